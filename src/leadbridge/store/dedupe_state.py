"""Dedupe's durable state: candidate pairs with their decisions, and merge events with undo snapshots."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

import polars as pl
import sqlalchemy as sa

from leadbridge.store import query
from leadbridge.store.database import Database
from leadbridge.store.records import row_dict


def load_frame(db: Database, obj: str, columns: Sequence[str], where: str | None = None) -> pl.DataFrame:
    """Live records matching `where` as a Polars frame of `id` + `columns` (text), read in one pass."""
    table = db.object_table(obj)
    names = list(dict.fromkeys(["id", *columns]))
    cols = [table.c[c] if c == "id" else sa.cast(table.c[c], sa.Text).label(c) for c in names]
    stmt = sa.select(*cols).where(query.condition(db, obj, where)).order_by(table.c.id)
    schema = {c: (pl.Int64 if c == "id" else pl.Utf8) for c in names}
    frames = []
    with db.engine.connect() as conn:
        # the driver's cursor, not SQLAlchemy rows: plain tuples, 1M people in a few seconds
        cursor = conn.execute(stmt).cursor  # (a streamed result buffers rows of its own before the cursor)
        while rows := cursor.fetchmany(100_000):
            frames.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def decided_pairs(db: Database, obj: str) -> dict[tuple[int, int], str]:
    """(a, b) → status, for pairs someone decided (accepted / rejected) or that were merged."""
    t = db.table("dedupe_pair")
    stmt = sa.select(t.c.a_id, t.c.b_id, t.c.status).where(t.c.object == obj, t.c.status != "review")
    with db.engine.connect() as conn:
        return {(r.a_id, r.b_id): r.status for r in conn.execute(stmt)}


def save_review(db: Database, obj: str, rows: list[dict[str, Any]]) -> int:
    """Put pairs in the review queue (pairs already known keep their status); returns how many are new."""
    t = db.table("dedupe_pair")
    now = datetime.now(timezone.utc)
    new = 0
    with db.atomic() as conn:
        existing = {(r.a_id, r.b_id): r.id for r in conn.execute(
            sa.select(t.c.id, t.c.a_id, t.c.b_id).where(t.c.object == obj))}
        inserts, updates = [], []
        for r in rows:
            key = (r["a"], r["b"])
            detail = json.dumps(r["detail"], ensure_ascii=False)
            if key in existing:
                updates.append({"_id": existing[key], "score": r["score"], "rule": r["rule"], "detail": detail})
            else:
                inserts.append({"object": obj, "a_id": r["a"], "b_id": r["b"], "score": r["score"], "rule": r["rule"],
                                "detail": detail, "status": "review", "found_at": now})
        if inserts:
            conn.execute(t.insert(), inserts)
            new = len(inserts)
        if updates:
            conn.execute(t.update().where(t.c.id == sa.bindparam("_id"), t.c.status == "review")
                         .values(score=sa.bindparam("score"), rule=sa.bindparam("rule"),
                                 detail=sa.bindparam("detail")), updates)
    return new


def review_queue(db: Database, obj: str, status: str = "review", limit: int | None = None) -> list[dict[str, Any]]:
    t = db.table("dedupe_pair")
    stmt = sa.select(t).where(t.c.object == obj, t.c.status == status).order_by(t.c.score.desc(), t.c.id)
    if limit:
        stmt = stmt.limit(limit)
    with db.engine.connect() as conn:
        return [_pair(r) for r in conn.execute(stmt).mappings()]


def get_pair(db: Database, pair_id: int) -> dict[str, Any] | None:
    t = db.table("dedupe_pair")
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == pair_id)).mappings().first()
    return _pair(row) if row else None


def decide_pair(db: Database, pair_id: int, status: str, actor: str | None) -> None:
    t = db.table("dedupe_pair")
    with db.atomic() as conn:
        conn.execute(t.update().where(t.c.id == pair_id).values(
            status=status, decided_at=datetime.now(timezone.utc), decided_by=actor))


def remember(conn: sa.Connection, db: Database, obj: str, ids: Iterable[int], status: str, actor: str | None,
             reason: str = "merge") -> None:
    """Mark every pair among `ids` with `status` (merged / rejected), creating the pair rows if needed."""
    t = db.table("dedupe_pair")
    ids = sorted(set(ids))
    now = datetime.now(timezone.utc)
    wanted = {(a, b) for i, a in enumerate(ids) for b in ids[i + 1:]}
    have = {(r.a_id, r.b_id) for r in conn.execute(
        sa.select(t.c.a_id, t.c.b_id).where(t.c.object == obj, t.c.a_id.in_(ids), t.c.b_id.in_(ids)))}
    if have:
        conn.execute(t.update().where(t.c.object == obj, t.c.a_id.in_(ids), t.c.b_id.in_(ids))
                     .values(status=status, decided_at=now, decided_by=actor))
    missing = [{"object": obj, "a_id": a, "b_id": b, "score": 1.0, "rule": reason, "detail": None,
                "status": status, "found_at": now, "decided_at": now, "decided_by": actor}
               for a, b in sorted(wanted - have)]
    if missing:
        conn.execute(t.insert(), missing)


def _pair(row: sa.RowMapping) -> dict[str, Any]:
    out = row_dict(row)
    out["detail"] = json.loads(out["detail"]) if out.get("detail") else None
    return out


def add_merge(conn: sa.Connection, db: Database, row: dict[str, Any]) -> int:
    t = db.table("merge_event")
    return conn.execute(t.insert().values(**row).returning(t.c.id)).scalar_one()


def get_merge(db: Database, merge_id: int) -> dict[str, Any] | None:
    t = db.table("merge_event")
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.id == merge_id)).mappings().first()
    if row is None:
        return None
    out = row_dict(row)
    out["loser_ids"] = json.loads(out["loser_ids"])
    out["snapshot"] = json.loads(out["snapshot"])
    return out


def merges(db: Database, obj: str = "person", limit: int = 50, record_id: int | None = None) -> list[dict[str, Any]]:
    t = db.table("merge_event")
    stmt = sa.select(t.c.id, t.c.winner_id, t.c.loser_ids, t.c.reason, t.c.auto, t.c.actor, t.c.merged_at,
                     t.c.crm_action, t.c.undone_at).where(t.c.object == obj)
    if record_id is not None:
        stmt = stmt.where(t.c.winner_id == record_id)
    with db.engine.connect() as conn:
        rows = [row_dict(r) for r in conn.execute(stmt.order_by(t.c.id.desc()).limit(limit)).mappings()]
    for r in rows:
        r["loser_ids"] = json.loads(r["loser_ids"])
    return rows


def later_merges(db: Database, obj: str, merge_id: int, ids: Sequence[int]) -> list[int]:
    """Live merges after `merge_id` that involve any of `ids` (they must be undone first)."""
    t = db.table("merge_event")
    stmt = sa.select(t.c.id, t.c.winner_id, t.c.loser_ids).where(
        t.c.object == obj, t.c.id > merge_id, t.c.undone_at.is_(None))
    wanted = set(ids)
    with db.engine.connect() as conn:
        return [r.id for r in conn.execute(stmt)
                if r.winner_id in wanted or wanted & set(json.loads(r.loser_ids))]


def mark_undone(conn: sa.Connection, db: Database, merge_id: int, actor: str | None) -> None:
    t = db.table("merge_event")
    conn.execute(t.update().where(t.c.id == merge_id).values(undone_at=datetime.now(timezone.utc), undone_by=actor))


def set_crm_action(db: Database, merge_id: int, text: str) -> None:
    t = db.table("merge_event")
    with db.atomic() as conn:
        conn.execute(t.update().where(t.c.id == merge_id).values(crm_action=text))
