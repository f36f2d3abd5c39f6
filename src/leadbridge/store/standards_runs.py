"""Reads of `standards apply` runs: their batches and field changes (a run id is stored with each batch)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from leadbridge.store.database import Database


def batches_of(db: Database, detail: str) -> list[dict[str, Any]]:
    """Write batches whose source detail is `detail`, oldest first."""
    t = db.table("write_batch")
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.id, t.c.object, t.c.started_at, t.c.actor, t.c.counts)
                            .where(t.c.source == "standards", t.c.source_detail == detail).order_by(t.c.id))
        return [dict(r._mapping) for r in rows]


def changes_in(db: Database, batch_ids: list[int]) -> list[dict[str, Any]]:
    """Field history rows of those batches: object, record_id and {field: [old, new, note?]}, in order."""
    if not batch_ids:
        return []
    t = db.table("record_change")
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.object, t.c.record_id, t.c.changes).where(t.c.batch_id.in_(batch_ids))
                            .order_by(t.c.id))
        return [{"object": r.object, "record_id": r.record_id, "changes": json.loads(r.changes)} for r in rows]


def list_runs(db: Database, prefix: str) -> list[dict[str, Any]]:
    """One row per source detail starting with `prefix`: batches, first start, actor."""
    t = db.table("write_batch")
    stmt = (sa.select(t.c.source_detail, sa.func.count().label("batches"), sa.func.min(t.c.started_at).label("at"),
                      sa.func.max(t.c.actor).label("actor"))
            .where(t.c.source == "standards", t.c.source_detail.like(f"{prefix}%"))
            .group_by(t.c.source_detail).order_by(sa.func.min(t.c.id)))
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
