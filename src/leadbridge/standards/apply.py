"""`standards apply` and `standards revert`: normalize stored records through the one write path, and undo a run.

Each apply run has an id (`std-YYYYMMDD-HHMMSS-xxxx`) stored as the source detail of every batch
it writes (`standards apply <id>`), so its field history can be listed and reverted as a unit.
A revert writes the old values back through the same write path (source detail
`standards revert <id>`, which the standards stage lets through untouched); a field changed after
the run keeps its later value, as a merge undo does.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from leadbridge.errors import LeadbridgeError
from leadbridge.model.changes import Change, Outcome, Source, SourceKind
from leadbridge.model.types import to_text
from leadbridge.standards.stage import NORMALIZED, REVERT_DETAIL
from leadbridge.store import query, standards_runs

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

APPLY_DETAIL = "standards apply"
OBJECTS = ("person", "company")


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"std-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def apply_standards(ws: "Workspace", where: str | None = None, *, dry_run: bool = False,
                    objects: tuple[str, ...] = OBJECTS,
                    progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Re-run the standards stage on matching records; a before → after summary per object and field."""
    run_id = new_run_id()
    source = Source(SourceKind.STANDARDS, f"{APPLY_DETAIL} {run_id}")
    total = sum(ws.count(o, where if o == "person" else None) for o in objects) if progress else 0
    fields: dict[str, dict[str, Counter]] = {o: defaultdict(Counter) for o in objects}
    checked = changed = flagged = rejected = 0
    for obj in objects:
        for page in query.iter_records(ws.db, obj, where if obj == "person" else None, columns=["id"],
                                       batch=ws.config.write.batch_size):
            # an empty change from `standards`: the stage normalizes and checks every field of the record
            res = ws.write([Change({}, id=r["id"], create=False) for r in page], source, obj, dry_run=dry_run)
            checked += len(page)
            for item in res.items:
                if item.outcome is Outcome.UPDATED:
                    changed += 1
                    for f, (old, new) in item.changed.items():
                        if f in NORMALIZED[obj]:
                            fields[obj][f][(to_text(old), to_text(new))] += 1
                rejected += item.outcome is Outcome.REJECTED
                flagged += bool(item.flags)
            if progress:
                progress(checked, total)
    return {"run_id": None if dry_run else run_id, "checked": checked, "changed": changed, "flagged": flagged,
            "rejected": rejected, "dry_run": dry_run,
            "fields": {f"{o}.{f}" if o != "person" else f: [{"old": a, "new": b, "count": k}
                                                            for (a, b), k in c.most_common()]
                       for o in objects for f, c in fields[o].items()}}


def revert_run(ws: "Workspace", run_id: str, *, dry_run: bool = False) -> dict[str, Any]:
    """Put back what run `run_id` changed, except fields changed since; a summary of restored and kept."""
    batches = standards_runs.batches_of(ws.db, f"{APPLY_DETAIL} {run_id}")
    if not batches:
        raise LeadbridgeError(f"no standards apply run {run_id!r}", hint="`leadbridge standards runs` lists the runs")
    if standards_runs.batches_of(ws.db, f"{REVERT_DETAIL} {run_id}"):
        raise LeadbridgeError(f"run {run_id} was already reverted", hint="nothing to do")
    edits: dict[tuple[str, int], dict[str, tuple[str | None, str | None]]] = defaultdict(dict)
    for row in standards_runs.changes_in(ws.db, [b["id"] for b in batches]):
        for f, entry in row["changes"].items():
            edits[(row["object"], row["record_id"])].setdefault(f, (entry[0], entry[1]))
    source = Source(SourceKind.STANDARDS, f"{REVERT_DETAIL} {run_id}")
    restored: Counter = Counter()
    kept: list[dict[str, Any]] = []
    for obj in OBJECTS:
        ids = [rid for (o, rid) in edits if o == obj]
        changes = []
        for start in range(0, len(ids), 1000):
            chunk = ids[start:start + 1000]
            current = {r["id"]: r for r in ws.list(obj, f"id in ({', '.join(map(str, chunk))})")}
            for rid in chunk:
                rec = current.get(rid)
                if rec is None:
                    continue
                back = {}
                for f, (old, new) in edits[(obj, rid)].items():
                    if to_text(rec.get(f)) == new:
                        back[f] = old
                    else:
                        kept.append({"object": obj, "id": rid, "field": f, "value": to_text(rec.get(f))})
                if back:
                    changes.append(Change(back, id=rid, create=False))
                    restored.update(back.keys())
        if changes:
            ws.write(changes, source, obj, dry_run=dry_run)
    return {"run_id": run_id, "dry_run": dry_run, "records": len({k for k in edits}),
            "restored": dict(restored.most_common()), "kept_later_edits": kept}


def list_runs(ws: "Workspace") -> list[dict[str, Any]]:
    """Apply runs, oldest first, with whether each was reverted."""
    reverted = {r["source_detail"].removeprefix(REVERT_DETAIL).strip()
                for r in standards_runs.list_runs(ws.db, REVERT_DETAIL)}
    out = []
    for r in standards_runs.list_runs(ws.db, APPLY_DETAIL):
        rid = r["source_detail"].removeprefix(APPLY_DETAIL).strip()
        out.append({"run_id": rid, "started_at": r["at"], "actor": r["actor"], "batches": r["batches"],
                    "reverted": rid in reverted})
    return out
