"""Routing over a workspace: run (through the write path), explain, simulate, lint."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from leadbridge.model import where as w
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.routing.router import Counters, Router
from leadbridge.store import query, routing_state
from leadbridge.store.where_sql import filter_fields

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

def run(ws: "Workspace", where: str | None = None, *, dry_run: bool = False) -> dict[str, Any]:
    """Route the people matching `where`; territory, time zone and owner are written with source `routing`."""
    cfg = ws.config.routing
    now = datetime.now(timezone.utc)
    with ws.db.engine.connect() as conn:
        counters = routing_state.load_counters(conn, ws.db, now.date())
        owners = routing_state.user_ids(conn, ws.db, [m.user for t in cfg.teams for m in t.members]
                                        + [r.user for r in cfg.rules if r.user])
    router = Router(cfg, counters, filter_fields({f.name: f for f in ws.db.objects["person"].fields}))
    by_user: Counter[str] = Counter()
    by_territory: Counter[str] = Counter()
    decided, changes = [], []
    for page in query.iter_records(ws.db, "person", where):
        for rec in page:
            d = router.decide(rec, now)
            decided.append((rec["id"], d))
            by_user[d.user or d.queue or "?"] += 1
            by_territory[d.territory or "(none)"] += 1
            values = {"territory": d.territory, "time_zone": d.time_zone}
            if d.user and d.user.lower() in owners:
                values["owner_id"] = owners[d.user.lower()]
            changes.append(Change(values, id=rec["id"], create=False))
    changed = 0
    size = ws.config.write.batch_size
    for k in range(0, len(changes), size):  # `after` needs one batch per call
        mine = decided[k:k + size]
        res = ws.write(changes[k:k + size], Source(SourceKind.ROUTING, "route run"), dry_run=dry_run,
                       after=lambda conn, _r, mine=mine: routing_state.save(conn, ws.db, router.counters, mine, now))
        changed += res.counts.get("updated", 0)
    return {"people": len(decided), "changed": changed, "by_territory": dict(by_territory.most_common()),
            "by_owner": dict(by_user.most_common()), "dry_run": dry_run}


def explain(ws: "Workspace", person_id: int) -> dict[str, Any]:
    """The recorded decisions for a person, and what routing would decide now."""
    rec = ws.get(person_id)
    with ws.db.engine.connect() as conn:
        counters = routing_state.load_counters(conn, ws.db, datetime.now(timezone.utc).date())
    now = Router(ws.config.routing, Counters(counters.total.copy(), counters.today.copy(), counters.day)).decide(rec)
    return {"person": person_id, "decisions": routing_state.decisions_of(ws.db, person_id), "now": now.as_dict()}


def simulate(ws: "Workspace", since: str = "-90d") -> dict[str, Any]:
    """Replay the people created since `since` with fresh counters: distribution per territory and owner."""
    router = Router(ws.config.routing)
    by_territory: Counter[str] = Counter()
    by_owner: Counter[str] = Counter()
    by_rule: Counter[str] = Counter()
    total = 0
    for page in query.iter_records(ws.db, "person", f"created_at >= {since}"):
        for rec in sorted(page, key=lambda r: r["created_at"]):
            d = router.decide(rec)
            total += 1
            by_territory[d.territory or "(none)"] += 1
            by_owner[d.user or d.queue or "?"] += 1
            by_rule[d.rule or "(no rule)"] += 1
    return {"people": total, "since": since, "by_territory": dict(by_territory.most_common()),
            "by_owner": dict(by_owner.most_common()), "by_rule": dict(by_rule.most_common())}


def lint(ws: "Workspace") -> list[dict[str, str]]:
    """Rules never reached or overlapping, unknown teams, users without a user record or CRM mapping,
    territories with nobody in them."""
    cfg = ws.config.routing
    out: list[dict[str, str]] = []
    teams = {t.name for t in cfg.teams}
    fields = filter_fields({f.name: f for f in ws.db.objects["person"].fields})
    seen_always = None
    for n, rule in enumerate(cfg.rules, 1):
        w.parse(rule.when, fields)  # a broken condition fails here, with the rule's text
        if seen_always:
            out.append({"kind": "unreachable rule", "item": rule.name,
                        "message": f"rule {n} '{rule.name}' is never reached: rule '{seen_always}' before it "
                                   f"matches everyone"})
        if rule.when.strip().lower() in ("true", "id > 0", "id is not empty"):
            seen_always = seen_always or rule.name
        if rule.team and rule.team not in teams:
            out.append({"kind": "unknown team", "item": rule.name, "message": f"rule '{rule.name}' routes to "
                        f"team {rule.team!r}, which is not defined"})
        if rule.territory and rule.territory != "*" and rule.territory not in teams:
            out.append({"kind": "unknown team", "item": rule.name, "message": f"rule '{rule.name}' routes to "
                        f"territory {rule.territory!r}, but no team has that name"})
    whens = [r.when.strip().lower() for r in cfg.rules]
    for i, a in enumerate(whens):
        for j in range(i + 1, len(whens)):
            if whens[j] == a:
                out.append({"kind": "overlapping rules", "item": cfg.rules[j].name,
                            "message": f"rules '{cfg.rules[i].name}' and '{cfg.rules[j].name}' have the same "
                                       f"condition: the second never wins"})
    emails = {m.user for t in cfg.teams for m in t.members}
    with ws.db.engine.connect() as conn:
        known = routing_state.user_ids(conn, ws.db, emails)
    links = {}
    for email, uid in known.items():
        links[email] = bool([l for l in ws.crm_links(uid, "user") if l["active"]])
    for email in sorted(emails):
        if email.lower() not in known:
            out.append({"kind": "unknown user", "item": email,
                        "message": f"{email} is in a team but not a user here: add it or sync users from the CRM"})
        elif not links[email.lower()]:
            out.append({"kind": "user not in CRM", "item": email,
                        "message": f"{email} has no CRM user mapping: its leads cannot be owned in the CRM"})
    targeted = {r.territory for r in cfg.rules if r.territory} | {r.team for r in cfg.rules if r.team}
    for t in cfg.teams:
        if not [m for m in t.members if not m.out_of_office]:
            out.append({"kind": "empty team", "item": t.name,
                        "message": f"team {t.name} has nobody available: its people go to {cfg.fallback}"})
    for terr in cfg.territories:
        if ("*" in targeted and terr.name not in teams) or (terr.name in targeted and terr.name not in teams):
            out.append({"kind": "territory without team", "item": terr.name,
                        "message": f"territory {terr.name} has nobody in it: its people go to {cfg.fallback}"})
    return out
