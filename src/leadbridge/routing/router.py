"""Routing decisions: territory and time zone from location, first matching rule, distribution in the team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

from leadbridge.model import where as w
from leadbridge.routing.config import RoutingConfig, Team
from leadbridge.routing.territory import country_code, state_code, time_zone


@dataclass
class Decision:
    territory: str | None
    region: str | None
    time_zone: str | None
    rule: str | None
    team: str | None
    user: str | None
    queue: str | None
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Counters:
    """Assignments per (team, user): in total (round robin) and per day (capacity)."""

    total: dict[tuple[str, str], int] = field(default_factory=dict)
    today: dict[tuple[str, str], int] = field(default_factory=dict)
    day: date = field(default_factory=date.today)

    def add(self, team: str, user: str) -> None:
        k = (team, user)
        self.total[k] = self.total.get(k, 0) + 1
        self.today[k] = self.today.get(k, 0) + 1


class Router:
    def __init__(self, cfg: RoutingConfig, counters: Counters | None = None,
                 fields: Mapping[str, Any] | None = None):
        self.cfg = cfg
        self.counters = counters or Counters()
        self.rules = [(r, w.parse(r.when, fields) if fields else w.parse(r.when)) for r in cfg.rules]
        self.teams = {t.name: t for t in cfg.teams}
        self.by_state: dict[str, tuple[str, str | None]] = {}
        self.by_country: dict[str, tuple[str, str | None]] = {}
        for t in cfg.territories:
            for s in t.states:
                self.by_state.setdefault(s.upper(), (t.name, t.region))
            for c in t.countries:
                self.by_country.setdefault(c.upper(), (t.name, t.region))
        self._where_cache: dict[tuple, tuple[str | None, str | None, str | None, str | None]] = {}
        # the first matching rule depends only on the fields the rules use: cached per batch by their values
        self._used = sorted(set().union(*(w.fields_used(n) for _, n in self.rules))) if self.rules else []
        self._rule_cache: dict[tuple, int] = {}

    def locate(self, record: Mapping[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
        """(territory, region, time zone, ISO country) of a record."""
        key = (record.get("country"), record.get("state"))
        hit = self._where_cache.get(key)
        if hit is None:
            cc = country_code(key[0])
            st = state_code(key[1], cc) if key[1] and cc in ("US", "CA") else None
            terr = self.by_state.get(f"{cc}-{st}") if st else None
            terr = terr or (self.by_country.get(cc) if cc else None) or (None, None)
            hit = self._where_cache[key] = (terr[0], terr[1], time_zone(cc, st), cc)
        return hit

    def decide(self, record: Mapping[str, Any], now: datetime | None = None) -> Decision:
        territory, region, tz, cc = self.locate(record)
        where_text = f"country={cc}" + (f", state={record.get('state')}" if record.get("state") else "") \
            if cc else "no known country"
        key = tuple(record.get(f) for f in self._used)
        first = self._rule_cache.get(key)
        if first is None:
            first = next((n for n, (_, node) in enumerate(self.rules) if w.evaluate(node, record, now)), -1)
            if len(self._rule_cache) < 1_000_000:
                self._rule_cache[key] = first
        if first >= 0:
            n, rule = first + 1, self.rules[first][0]
            why = f"because {where_text} matched rule {n} '{rule.name}'"
            if rule.user:
                return Decision(territory, region, tz, rule.name, None, rule.user, None,
                                f"routed to {rule.user} {why}")
            team_name = rule.team or (territory if rule.territory == "*" else rule.territory)
            team = self.teams.get(team_name or "")
            if team is None:
                return self._fallback(territory, region, tz, rule.name,
                                      f"no team {team_name!r} ({why})")
            user = self._pick(team)
            if user is None:
                return self._fallback(territory, region, tz, rule.name,
                                      f"nobody available in team {team.name} ({why})")
            label = f"{territory}/{team.name}" if territory and territory != team.name else team.name
            return Decision(territory, region, tz, rule.name, team.name, user, None,
                            f"routed to {label} team → {user} {why}")
        return self._fallback(territory, region, tz, None, f"no rule matched ({where_text})")

    def _fallback(self, territory, region, tz, rule, why: str) -> Decision:
        return Decision(territory, region, tz, rule, None, None, self.cfg.fallback,
                        f"routed to {self.cfg.fallback}: {why}")

    def _pick(self, team: Team) -> str | None:
        avail = [m for m in team.members if not m.out_of_office]
        if team.distribution == "capacity":
            avail = [m for m in avail if m.capacity_per_day is None
                     or self.counters.today.get((team.name, m.user), 0) < m.capacity_per_day]
        if not avail:
            return None
        weighted = team.distribution == "weighted"
        total = self.counters.total
        # the member furthest behind their share goes next (smooth weighted round robin); ties by order
        _, _, chosen = min((total.get((team.name, m.user), 0) / (m.weight if weighted else 1), k, m)
                           for k, m in enumerate(avail))
        self.counters.add(team.name, chosen.user)
        return chosen.user
