"""`source backfill`: fill missing person source through the write path, from rules or a CSV of overrides."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadbridge.errors import LeadbridgeError
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.sourcing.derive import SourceDeriver
from leadbridge.store import query
from leadbridge.store.where_sql import filter_fields

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


def backfill(ws: "Workspace", *, dry_run: bool = False, overrides: Path | None = None) -> dict[str, Any]:
    """Derive a source for every person without one; `overrides` (CSV: id or email, person_source) first."""
    manual = _read_overrides(overrides) if overrides else {}
    deriver = SourceDeriver(ws.config.person_source,
                            filter_fields({f.name: f for f in ws.db.objects["person"].fields}))
    values: Counter[str] = Counter()
    why: dict[str, str] = {}
    changes, left = [], 0
    for page in query.iter_records(ws.db, "person", "person_source is empty"):
        for rec in page:
            value = manual.get(str(rec["id"])) or manual.get((rec.get("email") or "").lower())
            reason = "manual override" if value else ""
            if not value:
                value, reason = deriver.derive(rec)
            if not value:
                left += 1
                continue
            values[value] += 1
            why.setdefault(value, reason)
            changes.append(Change({"person_source": value}, id=rec["id"], create=False))
    result = ws.write(changes, Source(SourceKind.SOURCING, "backfill"), dry_run=dry_run) if changes else None
    return {"filled": len(changes) if result is None else result.counts.get("updated", 0),
            "still_without_source": left, "dry_run": dry_run,
            "by_value": [{"value": v, "people": n, "example_reason": why[v]} for v, n in values.most_common()]}


def _read_overrides(path: Path) -> dict[str, str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise LeadbridgeError(f"cannot read {path}: {exc}", hint="a UTF-8 CSV with columns id or email, and "
                              "person_source") from None
    if not rows or "person_source" not in rows[0] or not ({"id", "email"} & set(rows[0])):
        raise LeadbridgeError(f"{path} needs a person_source column and an id or email column",
                              hint="e.g. header: email,person_source")
    out = {}
    for r in rows:
        key = (r.get("id") or "").strip() or (r.get("email") or "").strip().lower()
        if key and (r.get("person_source") or "").strip():
            out[key] = r["person_source"].strip()
    return out
