"""The outbox state machine: pending → in_flight → done | failed | dead (| skipped).

Changed only by these verbs; each claim is one transaction, and several workers
share the queue (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

import sqlalchemy as sa

from leadbridge.store import texts
from leadbridge.store.database import Database
from leadbridge.store.rows import dicts

OPEN = ("pending", "in_flight", "failed")


def worker_id() -> str:
    return f"{os.uname().nodename}:{os.getpid()}"


def claim(db: Database, obj: str, limit: int, worker: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """Move up to `limit` due pending entries to in_flight for `worker` and return them."""
    now = now or datetime.now(timezone.utc)
    t = db.table("outbox")
    due = sa.and_(t.c.object == obj, t.c.state == "pending",
                  sa.or_(t.c.next_attempt_at.is_(None), t.c.next_attempt_at <= now))
    pick = sa.select(t.c.id).where(due).order_by(t.c.id).limit(limit)
    if db.is_postgres:
        pick = pick.with_for_update(skip_locked=True)
    with db.atomic() as conn:  # one statement: UPDATE … WHERE id IN (the due ones) RETURNING the entries
        rows = dicts(conn, t.update().where(t.c.id.in_(pick.scalar_subquery()))
                     .values(state="in_flight", claimed_by=worker, claimed_at=now).returning(*t.c), t.c)
        _field_lists(conn, db, rows)
    rows.sort(key=lambda r: r["id"])
    return rows


def peek(db: Database, obj: str, limit: int) -> list[dict[str, Any]]:
    """The first `limit` pending entries, left as they are (a dry run of a push)."""
    t = db.table("outbox")
    with db.engine.connect() as conn:
        rows = dicts(conn, sa.select(t).where(t.c.object == obj, t.c.state == "pending").order_by(t.c.id).limit(limit))
        return _field_lists(conn, db, rows)


def _field_lists(conn: sa.Connection, db: Database, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries with their fields as a JSON list: the write path stores a long list once, by number
    (store/texts.py)."""
    refs = {r["fields"] for r in rows if r["fields"][:1].isdigit()}
    if refs:
        stored = texts.load(conn, db, map(int, refs))
        for r in rows:
            if r["fields"] in refs:
                r["fields"] = stored[int(r["fields"])]
    return rows


def failed_for(db: Database, obj: str, record_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Entries of these records that failed on data errors (their fields are re-sent with the next change)."""
    t = db.table("outbox")
    out = []
    with db.engine.connect() as conn:
        for part in _parts(list(record_ids)):
            out += dicts(conn, sa.select(t).where(t.c.object == obj, t.c.state == "failed", t.c.record_id.in_(part)))
        return _field_lists(conn, db, out)


def complete(db: Database, ids: Sequence[int], state: str = "done", error: str | None = None) -> None:
    _set(db, ids, state=state, last_error=error, claimed_by=None)


def fail(db: Database, ids: Sequence[int], error: str) -> None:
    """A data error: kept as failed until the record changes or a resync."""
    t = db.table("outbox")
    _set(db, ids, state="failed", last_error=error, claimed_by=None, attempts=t.c.attempts + 1)


def retry(db: Database, ids: Sequence[int], error: str, *, base: float, cap: float, max_attempts: int,
          jitter: float | Callable[[], float], now: datetime | None = None, count_attempt: bool = True) -> int:
    """Back to pending with exponential backoff (× 1 + jitter, drawn per entry when a callable);
    entries past `max_attempts` become dead. Returns how many died."""
    now = now or datetime.now(timezone.utc)
    t = db.table("outbox")
    dead = 0
    with db.atomic() as conn:
        for part in _parts(list(ids)):
            for rid, attempts in conn.execute(sa.select(t.c.id, t.c.attempts).where(t.c.id.in_(part))).all():
                n = attempts + (1 if count_attempt else 0)
                if not count_attempt:
                    values = {"state": "pending", "next_attempt_at": None}
                elif n >= max_attempts:
                    values = {"state": "dead", "attempts": n}
                    dead += 1
                else:
                    delay = min(cap, base * (2 ** max(0, n - 1))) * (1 + (jitter() if callable(jitter) else jitter))
                    values = {"state": "pending", "attempts": n, "next_attempt_at": now + timedelta(seconds=delay)}
                conn.execute(t.update().where(t.c.id == rid).values(last_error=error, claimed_by=None, **values))
    return dead


def release_stale(db: Database, lease_seconds: float, now: datetime | None = None) -> int:
    """Return in_flight entries of crashed workers (dead pid here, or lease expired) to pending."""
    now = now or datetime.now(timezone.utc)
    t = db.table("outbox")
    host = os.uname().nodename
    with db.atomic() as conn:
        rows = conn.execute(sa.select(t.c.id, t.c.claimed_by, t.c.claimed_at).where(t.c.state == "in_flight")).all()
        stale = []
        for rid, who, at in rows:
            at = at.replace(tzinfo=timezone.utc) if at is not None and at.tzinfo is None else at
            h, _, pid = (who or "").rpartition(":")
            crashed = h == host and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid))
            if crashed or at is None or at < now - timedelta(seconds=lease_seconds):
                stale.append(rid)
        for part in _parts(stale):
            conn.execute(t.update().where(t.c.id.in_(part)).values(state="pending", claimed_by=None))
    return len(stale)


def requeue(db: Database, obj: str, states: Sequence[str], record_ids: Sequence[int] | None = None) -> int:
    """Resync: put failed/dead (or given) entries back to pending now."""
    t = db.table("outbox")
    cond = sa.and_(t.c.object == obj, t.c.state.in_(states))
    with db.atomic() as conn:
        if record_ids is None:
            return conn.execute(t.update().where(cond).values(state="pending", next_attempt_at=None,
                                                              attempts=0)).rowcount
        n = 0
        for part in _parts(list(record_ids)):
            n += conn.execute(t.update().where(cond, t.c.record_id.in_(part)).values(
                state="pending", next_attempt_at=None, attempts=0)).rowcount
        return n


def enqueue(db: Database, obj: str, record_ids: Sequence[int], fields: Sequence[str], *,
            conn: sa.Connection | None = None, batch_id: int = 0, now: datetime | None = None) -> None:
    """New pending entries for records (a resync, or a rule's sync request) even if nothing changed.

    With `conn`, the entries are added in that open transaction (a write batch's), else in their own.
    """
    t = db.table("outbox")
    now = now or datetime.now(timezone.utc)
    rows = [{"object": obj, "record_id": rid, "batch_id": batch_id, "fields": json.dumps(list(fields)),
             "created_at": now, "state": "pending", "attempts": 0} for rid in record_ids]
    if not rows:
        return
    if conn is not None:
        conn.execute(t.insert(), rows)
        return
    with db.atomic() as own:
        own.execute(t.insert(), rows)


def backlog(db: Database, obj: str) -> dict[str, int]:
    t = db.table("outbox")
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.state, sa.func.count(sa.distinct(t.c.record_id)))
                            .where(t.c.object == obj).group_by(t.c.state)).all()
    return {state: n for state, n in rows}


def _set(db: Database, ids: Sequence[int], **values: Any) -> None:
    t = db.table("outbox")
    with db.atomic() as conn:
        for part in _parts(list(ids)):
            conn.execute(t.update().where(t.c.id.in_(part)).values(**values))


def _parts(ids: list[Any], size: int = 900) -> list[list[Any]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
