"""Routing over a workspace: run (through the write path), explain, simulate."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Callable

import sqlalchemy as sa

from leadbridge.errors import CoercionError
from leadbridge.model.changes import Change
from leadbridge.routing.router import Router
from leadbridge.routing.stage import run_source
from leadbridge.store import query, records, routing_state
from leadbridge.store.records import utc
from leadbridge.store.where_sql import filter_fields

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


def run(ws: "Workspace", where: str | None = None, *, dry_run: bool = False, reassign: bool = False,
        progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Route the people matching `where` through the write path (source `routing`).

    People without an owner are routed; people with one keep it (territory and time zone are brought
    up to date) unless `reassign`, and so do CRM people whose CRM owner is not a user here (a queue). Each batch decides inside its own transaction, so counters and
    decisions commit (or, in a dry run, roll back) with the owners they assign.
    """
    ids, settled = _to_route(ws, where, reassign)
    report = _RunReport(len(ids) + len(settled), dry_run, reassign)
    report.add_state(settled)
    size = ws.config.write.batch_size
    for k in range(0, len(ids), size):
        part = ids[k:k + size]

        def collect(conn: sa.Connection, res, part=part) -> None:
            report.add_decisions(routing_state.decisions_of_batch(conn, ws.db, res.batch_id))
            report.add_state(routing_state.after_state(conn, ws.db, part))

        res = ws.write([Change({}, id=i, create=False) for i in part], run_source(reassign), dry_run=dry_run,
                       after=collect)
        report.changed += res.counts.get("updated", 0)
        if progress:
            progress(k + len(part), len(ids))
    return report.as_dict()


def _to_route(ws: "Workspace", where: str | None, reassign: bool) -> tuple[list[int], list[tuple]]:
    """Ids to write, and (territory, owner email) of the people who need nothing: an owner they keep,
    territory and time zone current."""
    if reassign:
        return [r["id"] for page in query.iter_records(ws.db, "person", where, columns=["id"]) for r in page], []
    locate = Router(ws.config.routing).locate  # pure: where a person is; no counters are touched here
    in_crm = routing_state.linked_people(ws.db)
    ids, settled = [], []
    for page in query.iter_records(ws.db, "person", where,
                                   columns=["id", "owner_id", "country", "state", "territory", "time_zone"]):
        for r in page:
            # an owner here, or a CRM person whose owner is not a user here (a queue): theirs to keep
            if r["owner_id"] is not None or r["id"] in in_crm:
                territory, _, tz, _ = locate(r)
                if (territory is None or territory == r["territory"]) and (tz is None or tz == r["time_zone"]):
                    settled.append((r["territory"], r["owner_id"]))
                    continue
            ids.append(r["id"])
    if settled:
        emails = {u["id"]: u["email"] for u in ws.list("user", limit=None, columns=["id", "email"])}
        settled = [(t, emails.get(o) if o is not None else "(owner in the CRM)") for t, o in settled]
    return ids, settled


class _RunReport:
    def __init__(self, people: int, dry_run: bool, reassign: bool):
        self.people, self.dry_run, self.reassign = people, dry_run, reassign
        self.changed = self.routed = 0
        self.by_territory: Counter[str] = Counter()
        self.by_owner: Counter[str] = Counter()
        self.by_rule: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def add_decisions(self, decisions: list[tuple]) -> None:
        for user, queue, rule, explanation in decisions:
            self.routed += 1
            self.by_rule[rule or "(no rule)"] += 1
            self.examples.setdefault(user or queue or "?", explanation)

    def add_state(self, rows: list) -> None:
        """Territory and owner of the batch's people after the batch (inside its transaction)."""
        for territory, owner in rows:
            self.by_territory[territory or "(none)"] += 1
            self.by_owner[owner or "(no owner)"] += 1

    def as_dict(self) -> dict[str, Any]:
        return {"people": self.people, "routed": self.routed, "kept_owner": self.people - self.routed,
                "changed": self.changed, "reassign": self.reassign, "dry_run": self.dry_run,
                "by_territory": dict(self.by_territory.most_common()),
                "by_owner": dict(self.by_owner.most_common()), "by_rule": dict(self.by_rule.most_common()),
                "examples": self.examples}


def explain(ws: "Workspace", person_id: int) -> dict[str, Any]:
    """The recorded decisions for a person, and what routing would decide now (nothing is changed)."""
    rec = ws.get(person_id)
    cfg = ws.config.routing
    with ws.db.engine.connect() as conn:
        counters = routing_state.load_counters(conn, ws.db)
        users = routing_state.users(conn, ws.db, cfg.user_emails())
    router = Router(cfg, counters.copy(), _fields(ws), users)
    return {"person": person_id, "decisions": routing_state.decisions_of(ws.db, person_id),
            "now": router.decide(rec).as_dict()}


def simulate(ws: "Workspace", since: str = "-90d") -> dict[str, Any]:
    """Replay the people created since `since`, in the order they came, with their values as they were
    when they came (field history's create entry) and fresh counters: the distribution the current
    rules would have given, and how many would now have a different owner."""
    cfg = ws.config.routing
    defs = ws.db.objects["person"].by_name
    people = [r for page in query.iter_records(ws.db, "person", f"created_at >= {since}",
                                               columns=["id", "created_at", "owner_id"]) for r in page]
    people.sort(key=lambda r: (r["created_at"], r["id"]))
    with ws.db.engine.connect() as conn:
        users = routing_state.users(conn, ws.db, cfg.user_emails())
        entry = routing_state.entry_values(conn, ws.db, [r["id"] for r in people])
    router = Router(cfg, None, _fields(ws), users)
    email_of = {u.id: u.email.lower() for u in users.values()}
    by_territory: Counter[str] = Counter()
    by_owner: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    differs = 0
    missing = [p["id"] for p in people if p["id"] not in entry]
    if missing:  # no create entry (history predates it): today's values are the best there is
        with ws.db.engine.connect() as conn:
            entry.update(records.fetch_by_ids(conn, ws.db.object_table("person"), missing))
    for p in people:
        rec = _typed(entry.get(p["id"]) or {}, defs)
        d = router.decide(rec, utc(p["created_at"]))
        by_territory[d.territory or "(none)"] += 1
        by_owner[d.user or d.queue or "?"] += 1
        by_rule[d.rule or "(no rule)"] += 1
        if d.user and email_of.get(p["owner_id"]) != d.user.lower():
            differs += 1
    return {"people": len(people), "since": since, "by_territory": dict(by_territory.most_common()),
            "by_owner": dict(by_owner.most_common()), "by_rule": dict(by_rule.most_common()),
            "owner_differs": differs, "replayed_with_current_values": len(missing)}


def _typed(values: dict[str, Any], defs) -> dict[str, Any]:
    """History's text values back to field types (values that no longer fit the field are left out)."""
    out = {}
    for name, value in values.items():
        fd = defs.get(name)
        if fd is None:
            continue
        try:
            out[name] = fd.coerce(value) if isinstance(value, str) else value
        except CoercionError:
            continue
    return out


def _fields(ws: "Workspace"):
    return filter_fields(ws.db.objects["person"].by_name)
