"""Routing's durable state: decisions (with explanations) and distribution counters.

Counters are read and written inside the write batch that routes (its transaction): writers are
serialized, so a batch sees every assignment committed before it, and adds its own as increments.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Sequence

import sqlalchemy as sa

from leadbridge.routing.router import Counters, Decision, UserInfo
from leadbridge.store.database import Database
from leadbridge.store.records import insert_with_head, row_dict
from leadbridge.store.rows import chunks


def load_counters(conn: sa.Connection, db: Database) -> Counters:
    t = db.table("route_counter")
    c = Counters()
    for r in conn.execute(sa.select(t)):
        c.total[(r.team, r.user_email)] = r.total
        c.days[(r.team, r.user_email)] = (r.day, r.today)
    return c


def save(conn: sa.Connection, db: Database, counters: Counters, decisions: Iterable[tuple[int, Decision]],
         now: datetime, batch_id: int | None = None) -> None:
    """Record decisions and add this batch's assignments to the counters (in the batch's transaction)."""
    rows = [(pid, d.territory, d.rule, d.team, d.user, d.queue, d.explanation) for pid, d in decisions]
    insert_with_head(conn, db.table("route_decision"), {"decided_at": now, "batch_id": batch_id},
                     ("person_id", "territory", "rule", "team", "user_email", "queue", "explanation"), rows)
    t = db.table("route_counter")
    for (team, user), n in counters.added.items():
        day, today = counters.days[(team, user)]
        key = sa.and_(t.c.team == team, t.c.user_email == user)
        done = conn.execute(t.update().where(key).values(total=t.c.total + n, day=day, today=today)).rowcount
        if not done:
            conn.execute(t.insert().values(team=team, user_email=user, total=n, day=day, today=today))
    counters.added.clear()


def decisions_of(db: Database, person_id: int) -> list[dict[str, Any]]:
    t = db.table("route_decision")
    with db.engine.connect() as conn:
        return [row_dict(r) for r in conn.execute(
            sa.select(t).where(t.c.person_id == person_id).order_by(t.c.id)).mappings()]


def decisions_of_batch(conn: sa.Connection, db: Database, batch_id: int) -> list[tuple[str | None, str | None,
                                                                                      str | None, str]]:
    """(user_email, queue, rule, explanation) of the decisions a write batch applied."""
    t = db.table("route_decision")
    return [tuple(r) for r in conn.execute(sa.select(t.c.user_email, t.c.queue, t.c.rule, t.c.explanation)
                                           .where(t.c.batch_id == batch_id))]


def users(conn: sa.Connection, db: Database, emails: Iterable[str]) -> dict[str, UserInfo]:
    """Local users by (lower-case) email, with what routing needs to know of them."""
    t = db.object_table("user")
    wanted = sorted({e.lower() for e in emails if e})
    out: dict[str, UserInfo] = {}
    for part in chunks(wanted):
        for r in conn.execute(sa.select(t.c.id, t.c.email, t.c.active, t.c.out_of_office, t.c.time_zone)
                              .where(sa.func.lower(t.c.email).in_(part)).order_by(t.c.id)):
            out.setdefault(r.email.lower(), UserInfo(r.id, r.email, r.active, r.out_of_office, r.time_zone))
    return out


def linked_people(db: Database) -> set[int]:
    """Ids of people with an active CRM link (their owner, when unknown here, is the CRM's: a queue)."""
    t = db.table("crm_link")
    with db.engine.connect() as conn:
        return set(conn.execute(sa.select(t.c.record_id).where(t.c.object == "person", t.c.active)).scalars())


def entry_values(conn: sa.Connection, db: Database, person_ids: Sequence[int]) -> dict[int, dict[str, str | None]]:
    """Each person's values as they were created (the `create` entry of field history), as stored text."""
    t = db.table("record_change")
    out: dict[int, dict[str, str | None]] = {}
    for part in chunks(list(person_ids)):
        for rid, changes in conn.execute(sa.select(t.c.record_id, t.c.changes).where(
                t.c.object == "person", t.c.kind == "create", t.c.record_id.in_(part))):
            out[rid] = {f: entry[1] for f, entry in json.loads(changes).items()}
    return out


def after_state(conn: sa.Connection, db: Database, ids: Sequence[int]) -> list[tuple[str | None, str | None]]:
    """(territory, owner's email) of these people, as the batch left them."""
    person, user = db.object_table("person"), db.object_table("user")
    rows = []
    for i in range(0, len(ids), 900):
        rows += conn.execute(sa.select(person.c.territory, user.c.email)
                             .select_from(person.outerjoin(user, person.c.owner_id == user.c.id))
                             .where(person.c.id.in_(ids[i:i + 900]))).all()
    return rows
