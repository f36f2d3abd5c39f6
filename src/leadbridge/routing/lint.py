"""`route lint`: the checks behind "assignment rules too complex" and "users not connected between systems".

Rules are checked two ways: on the stored people (every distinct combination of the values the rules
read, counted in SQL), which shows per rule how many people it matches, how many it wins and which
earlier rule takes the rest; and by their text (a rule whose condition implies an earlier rule's can
never win), which works on an empty database too.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from leadbridge.errors import FilterError
from leadbridge.model import where as w
from leadbridge.routing.config import RoutingConfig
from leadbridge.routing.router import Router
from leadbridge.store import profile, routing_state
from leadbridge.store.where_sql import filter_fields

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

MAX_GROUPS = 200_000  # distinct value combinations read; beyond this the counts are of the largest groups


def lint(ws: "Workspace") -> dict[str, Any]:
    """Findings (kind, item, message) and, per rule, the people it matches and wins."""
    cfg = ws.config.routing
    fields = filter_fields(ws.db.objects["person"].by_name)
    findings: list[dict[str, str]] = []
    nodes = []
    for n, rule in enumerate(cfg.rules, 1):
        try:
            nodes.append(w.parse(rule.when, fields))
        except FilterError as exc:
            findings.append(_f("broken rule", rule.name, f"rule {n} '{rule.name}': {exc}"))
            nodes.append(None)
    findings += _static(cfg, nodes)
    stats, people = ([], 0) if any(n is None for n in nodes) else _on_data(ws, cfg, fields)
    findings += _data_findings(cfg, stats, people)
    findings += _targets(ws, cfg)
    return {"findings": _unique(findings), "people": people, "rules": stats}


def _f(kind: str, item: str, message: str) -> dict[str, str]:
    return {"kind": kind, "item": item, "message": message}


def _unique(findings: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = set(), []
    for f in findings:
        key = (f["kind"], f["item"])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# -- rules by their text ---------------------------------------------------------------------------

def _static(cfg: RoutingConfig, nodes: list) -> list[dict[str, str]]:
    out = []
    for j, b in enumerate(nodes):
        if b is None:
            continue
        for i in range(j):
            a = nodes[i]
            if a is not None and implies(b, a):
                rb, ra = cfg.rules[j], cfg.rules[i]
                out.append(_f("unreachable rule", rb.name,
                              f"rule {j + 1} '{rb.name}' is never reached: everyone it matches ({rb.when}) is "
                              f"taken by rule {i + 1} '{ra.name}' ({ra.when}) before it"))
                break
    return out


def implies(b: w.Node, a: w.Node) -> bool:
    """True when every record matching `b` matches `a` (a sound, partial check of the common forms)."""
    if always(a) or a == b:
        return True
    if isinstance(b, w.Or):
        return all(implies(i, a) for i in b.items)
    if isinstance(a, w.And):
        return all(implies(b, i) for i in a.items)
    if isinstance(a, w.Or) and any(implies(b, i) for i in a.items):
        return True
    if isinstance(b, w.And):
        return any(implies(i, a) for i in b.items)
    if isinstance(a, w.Compare) and isinstance(b, w.Compare) and a.field == b.field:
        return _compare_implies(b, a)
    return False


def always(node: w.Node) -> bool:
    """Conditions every stored person meets: the empty filter, `id > 0`, `id is not empty`, ..."""
    if isinstance(node, w.TrueNode):
        return True
    if isinstance(node, w.Or):
        return any(always(i) for i in node.items)
    if isinstance(node, w.And):
        return all(always(i) for i in node.items)
    if isinstance(node, w.Compare) and node.field in ("id", "created_at", "updated_at"):
        if node.op == "empty":
            return node.negate
        if node.field == "id" and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return (node.op == ">" and node.value < 1) or (node.op == ">=" and node.value <= 1)
    return False


def _compare_implies(b: w.Compare, a: w.Compare) -> bool:
    if a.op == "empty" and a.negate:  # `x is not empty` follows from any positive test of x on a value
        return not b.negate and b.op in ("=", "in", "contains", "startswith", "like", "<", "<=", ">", ">=") \
            and all(str(v).strip() for v in _values(b))
    if not a.negate and not b.negate and a.op in ("=", "in") and b.op in ("=", "in"):
        return {_key(v) for v in _values(b)} <= {_key(v) for v in _values(a)}
    return False


def _values(c: w.Compare) -> tuple:
    return c.value if c.op == "in" else (c.value,)


def _key(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


# -- rules on the stored people --------------------------------------------------------------------

def _on_data(ws: "Workspace", cfg: RoutingConfig, fields) -> tuple[list[dict[str, Any]], int]:
    """Per rule: people matched, people won, and the earlier rules that take the rest."""
    used = sorted(set().union(*(w.fields_used(w.parse(r.when, fields)) for r in cfg.rules))) if cfg.rules else []
    people, groups = profile.group_counts(ws.db, "person", used, MAX_GROUPS)
    router = Router(cfg, None, fields)
    now = datetime.now(timezone.utc)
    matched, won = Counter(), Counter()
    taken_by: dict[int, Counter[int]] = {k: Counter() for k in range(len(cfg.rules))}
    for g in groups:
        count = g.pop("n")
        hits = [k for k, hit in enumerate(router.matches(g, now)) if hit]
        if hits:
            won[hits[0]] += count
        for k in hits:
            matched[k] += count
            if k != hits[0]:
                taken_by[k][hits[0]] += count
    stats = [{"rule": r.name, "matched": matched[k], "won": won[k],
              "taken_by": {cfg.rules[i].name: c for i, c in taken_by[k].most_common()}}
             for k, r in enumerate(cfg.rules)]
    return stats, people


def _data_findings(cfg: RoutingConfig, stats: list[dict[str, Any]], people: int) -> list[dict[str, str]]:
    out = []
    if not people:
        return out
    by_name = {s["rule"]: s for s in stats}
    for k, s in enumerate(stats):
        rule = cfg.rules[k]
        if s["matched"] == 0:
            out.append(_f("rule matches nobody", rule.name,
                          f"rule {k + 1} '{rule.name}' ({rule.when}) matches none of the {people:,} people"))
        elif s["won"] == 0:
            first = next(iter(s["taken_by"]))
            out.append(_f("unreachable rule", rule.name,
                          f"rule {k + 1} '{rule.name}' never wins: all {s['matched']:,} people it matches are "
                          f"taken by rule '{first}' before it"))
        for earlier, shared in s["taken_by"].items():
            # an earlier rule that is a subset of this one is an exception carved out of it: the usual order
            if s["won"] and shared < by_name[earlier]["matched"]:
                out.append(_f("overlapping rules", f"{earlier} / {rule.name}",
                              f"rules '{earlier}' and '{rule.name}' both match {shared:,} people (rule "
                              f"'{earlier}' takes them): make the conditions exclusive or check the order"))
    return out


# -- targets: teams, users, territories ------------------------------------------------------------

def _targets(ws: "Workspace", cfg: RoutingConfig) -> list[dict[str, str]]:
    out = []
    teams = {t.name: t for t in cfg.teams}
    territories = {t.name for t in cfg.territories}
    regions = {t.region for t in cfg.territories if t.region}
    router = Router(cfg)
    for n, rule in enumerate(cfg.rules, 1):
        if rule.team and rule.team not in teams:
            out.append(_f("unknown team", rule.name, f"rule {n} '{rule.name}' routes to team {rule.team!r}, "
                                                     f"which is not defined"))
        if rule.territory and rule.territory != "*":
            if rule.territory not in territories:
                out.append(_f("unknown territory", rule.name, f"rule {n} '{rule.name}' routes to territory "
                                                              f"{rule.territory!r}, which is not defined"))
            elif router.covering_team(rule.territory) is None:
                out.append(_f("territory without team", rule.territory,
                              f"territory {rule.territory} has nobody in it (no team covers it): rule '{rule.name}'"
                              f" sends its people to {cfg.fallback}"))
    if any(r.territory == "*" for r in cfg.rules):
        for terr in cfg.territories:
            if router.covering_team(terr.name) is None:
                out.append(_f("territory without team", terr.name,
                              f"territory {terr.name} has nobody in it (no team covers it): its people go to "
                              f"{cfg.fallback}"))
    for t in cfg.teams:
        for name in t.territories:
            if name not in territories:
                out.append(_f("unknown territory", t.name, f"team {t.name} covers territory {name!r}, which is "
                                                           f"not defined"))
        for name in t.regions:
            if name not in regions:
                out.append(_f("unknown region", t.name, f"team {t.name} covers region {name!r}; regions are "
                                                        f"{', '.join(sorted(regions))}"))
    out += _people_checks(ws, cfg)
    return out


def _people_checks(ws: "Workspace", cfg: RoutingConfig) -> list[dict[str, str]]:
    """Users who are not users here, inactive, not linked to a CRM user; teams with nobody available."""
    out = []
    emails = sorted(cfg.user_emails(), key=str.lower)
    with ws.db.engine.connect() as conn:
        users = routing_state.users(conn, ws.db, emails)
    linked = {}
    for email, info in users.items():
        linked[email] = any(link["active"] for link in ws.crm_links(info.id, "user"))
    where = {m.user.lower(): f"team {t.name}" for t in cfg.teams for m in t.members}
    where.update({r.user.lower(): f"rule '{r.name}'" for r in cfg.rules if r.user and r.user.lower() not in where})
    if cfg.fallback_user:
        where.setdefault(cfg.fallback_user.lower(), "the fallback")
    for email in emails:
        info, used_in = users.get(email.lower()), where.get(email.lower(), "routing")
        if info is None:
            out.append(_f("unknown user", email, f"{email} ({used_in}) is not a user here: add it or sync users "
                                                 f"from the CRM; until then it gets no people"))
        elif info.active is False:
            out.append(_f("inactive user", email, f"{email} ({used_in}) is inactive: it gets no people"))
        elif not linked[email.lower()]:
            out.append(_f("user not in CRM", email, f"{email} ({used_in}) has no CRM user mapping: the people it "
                                                    f"owns cannot be owned in the CRM"))
    router = Router(cfg, None, None, users)
    now = datetime.now(timezone.utc)
    for t in cfg.teams:
        problems = [router.member_problem(m, now)[0] for m in t.members]
        if not t.members:
            out.append(_f("empty team", t.name, f"team {t.name} has no members: its people go to {cfg.fallback}"))
        elif all(problems):
            why = "; ".join(f"{m.user} {p}" for m, p in zip(t.members, problems))
            out.append(_f("empty team", t.name, f"team {t.name} has nobody available ({why}): its people go to "
                                                f"{cfg.fallback}"))
    return out
