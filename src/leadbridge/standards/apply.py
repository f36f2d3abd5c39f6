"""`standards apply`: normalize stored people in batches through the one write path."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from leadbridge.model.changes import Change, Outcome, Source, SourceKind
from leadbridge.standards.stage import WATCHED
from leadbridge.store import query

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


def apply_standards(ws: "Workspace", where: str | None = None, *, dry_run: bool = False) -> dict[str, Any]:
    """Re-run the standards stage on matching people; returns a before → after summary per field."""
    fields: dict[str, Counter] = defaultdict(Counter)
    checked = changed = flagged = 0
    cols = ["id", *sorted(WATCHED)]
    for page in query.iter_records(ws.db, "person", where, columns=cols, batch=5000):
        # writing each watched value back makes the stage treat it as changed and normalize it
        changes = [Change({f: r[f] for f in WATCHED if r.get(f) is not None}, id=r["id"]) for r in page]
        res = ws.write(changes, Source(SourceKind.STANDARDS, "standards apply"), dry_run=dry_run)
        checked += len(page)
        for item in res.items:
            if item.outcome is Outcome.UPDATED:
                changed += 1
                for f, (old, new) in item.changed.items():
                    if f in WATCHED:
                        fields[f][(old, new)] += 1
            flagged += bool(item.flags)
    return {"checked": checked, "changed": changed, "flagged": flagged, "dry_run": dry_run,
            "fields": {f: [{"old": o, "new": n, "count": k} for (o, n), k in c.most_common()]
                       for f, c in fields.items()}}
