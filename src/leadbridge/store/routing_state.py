"""Routing's durable state: decisions (with explanations) and distribution counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

import sqlalchemy as sa

from leadbridge.routing.router import Counters, Decision
from leadbridge.store.database import Database
from leadbridge.store.records import row_dict


def load_counters(conn: sa.Connection, db: Database, today: date) -> Counters:
    t = db.table("route_counter")
    c = Counters(day=today)
    for r in conn.execute(sa.select(t)):
        c.total[(r.team, r.user_email)] = r.total
        if r.day == today:
            c.today[(r.team, r.user_email)] = r.today
    return c


def save(conn: sa.Connection, db: Database, counters: Counters, decisions: Iterable[tuple[int, Decision]],
         now: datetime) -> None:
    """Record decisions and replace the counters (same transaction as the write that applied them)."""
    rows = [{"person_id": pid, "decided_at": now, "territory": d.territory, "rule": d.rule, "team": d.team,
             "user_email": d.user, "queue": d.queue, "explanation": d.explanation} for pid, d in decisions]
    if rows:
        conn.execute(db.table("route_decision").insert(), rows)
    t = db.table("route_counter")
    conn.execute(t.delete())
    counts = [{"team": team, "user_email": user, "total": n, "day": counters.day,
               "today": counters.today.get((team, user), 0)} for (team, user), n in counters.total.items()]
    if counts:
        conn.execute(t.insert(), counts)


def decisions_of(db: Database, person_id: int) -> list[dict[str, Any]]:
    t = db.table("route_decision")
    with db.engine.connect() as conn:
        return [row_dict(r) for r in conn.execute(
            sa.select(t).where(t.c.person_id == person_id).order_by(t.c.id)).mappings()]


def user_ids(conn: sa.Connection, db: Database, emails: Iterable[str]) -> dict[str, int]:
    t = db.object_table("user")
    wanted = sorted({e.lower() for e in emails if e})
    if not wanted:
        return {}
    return {r.email.lower(): r.id for r in conn.execute(
        sa.select(t.c.id, t.c.email).where(sa.func.lower(t.c.email).in_(wanted)))}
