"""The sync error log: open errors per record, grouped by code or field, exportable."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadbridge.importing.export import escape_cell
from leadbridge.store import sync_state

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


def errors_table(ws: "Workspace") -> list[dict[str, Any]]:
    return [{**e, "fields": ", ".join(e["fields"])} for e in sync_state.open_errors(ws.db)]


def group_errors(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    key = {"code": "code", "field": "fields"}.get(by)
    if key is None:
        from leadbridge.errors import LeadbridgeError
        raise LeadbridgeError(f"cannot group by {by!r}", hint="use --group-by code or --group-by field")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r[key] or "(none)"].append(r)
    return [{by: k, "count": len(v), "example": v[0]["message"], "fix": v[0]["fix"]}
            for k, v in sorted(groups.items(), key=lambda kv: -len(kv[1]))]


ERROR_COLUMNS = ["record_id", "crm_object", "crm_id", "error_class", "code", "fields", "message", "fix", "first_at",
                 "last_at", "count"]


def errors_csv(rows: list[dict[str, Any]], writer) -> None:
    """Write the errors through a csv writer: a header, then one escaped row per error."""
    writer.writerow(ERROR_COLUMNS)
    for r in rows:
        writer.writerow([escape_cell(str(r.get(c))) if r.get(c) is not None else "" for c in ERROR_COLUMNS])


def export_errors(rows: list[dict[str, Any]], path: Path) -> None:
    with Path(path).open("w", encoding="utf-8-sig", newline="") as fh:
        errors_csv(rows, csv.writer(fh))
