"""`source backfill`: fill missing person source through the write path, from rules or a CSV of overrides."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from leadbridge.errors import LeadbridgeError
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.sourcing.derive import SourceDeriver
from leadbridge.store import query
from leadbridge.store.where_sql import filter_fields

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

PAGE = 20_000


def backfill(ws: "Workspace", *, dry_run: bool = False, overrides: Path | None = None, where: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Derive a source for every person without one (matching `where`); `overrides` (CSV: id or email,
    person_source) first. Overrides that fill nobody are reported, with why."""
    manual = _read_overrides(overrides) if overrides else {}
    deriver = SourceDeriver(ws.config.person_source, filter_fields(ws.db.objects["person"].by_name))
    values: Counter[str] = Counter()
    why: dict[str, str] = {}
    used: set[str] = set()
    filled = left = seen = 0
    missing = "person_source is empty" + (f" and ({where})" if where else "")
    total = ws.count("person", missing)
    columns = sorted({"id", "email", *deriver.used})
    for page in query.iter_records(ws.db, "person", missing, columns=columns, batch=PAGE):
        changes = []
        for rec in page:
            key_id, key_email = str(rec["id"]), (rec.get("email") or "").lower()
            value = manual.get(key_id) or manual.get(key_email)
            if value:
                used.add(key_id if key_id in manual else key_email)
                reason = "manual override"
            else:
                value, reason = deriver.derive(rec)
            if not value:
                left += 1
                continue
            values[value] += 1
            why.setdefault(value, reason)
            changes.append(Change({"person_source": value[:255]}, id=rec["id"], create=False))
        if changes:
            res = ws.write(changes, Source(SourceKind.SOURCING, "backfill"), dry_run=dry_run)
            filled += res.counts.get("updated", 0)
        seen += len(page)
        if progress:
            progress(seen, total)
    return {"filled": filled, "still_without_source": left, "dry_run": dry_run,
            "by_value": [{"value": v, "people": n, "example_reason": why[v]} for v, n in values.most_common()],
            "overrides_not_applied": _unapplied(ws, manual, used)}


def _unapplied(ws: "Workspace", manual: dict[str, str], used: set[str]) -> list[dict[str, str]]:
    """Override rows that filled nobody: the person has a source already, or there is no such person."""
    rest = [k for k in manual if k not in used]
    if not rest:
        return []
    ids = [k for k in rest if k.isdigit()]
    emails = [k for k in rest if not k.isdigit()]
    have: dict[str, str] = {}
    for part in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for r in ws.list("person", f"id in ({','.join(part)})", limit=None, columns=["id", "person_source"]):
            have[str(r["id"])] = r["person_source"]
    for part in (emails[i:i + 500] for i in range(0, len(emails), 500)):
        quoted = ",".join("'" + e.replace("'", "''") + "'" for e in part)
        for r in ws.list("person", f"email in ({quoted})", limit=None, columns=["email", "person_source"]):
            have[(r["email"] or "").lower()] = r["person_source"]
    out = []
    for k in rest:
        if k in have:
            out.append({"key": k, "reason": f"already has a source: {have[k]!r}" if have[k] else
                        "not selected (--where)"})
        else:
            out.append({"key": k, "reason": "no such person (by id or email)"})
    return out


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
