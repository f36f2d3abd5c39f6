"""Routing decisions: territory and time zone from location, first matching rule, distribution in the team."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Iterator, Mapping

from leadbridge.model import where as w
from leadbridge.routing.config import Member, RouteRule, RoutingConfig, Team
from leadbridge.routing.territory import countries_with_states, country_code, state_code, time_zone


@dataclass(frozen=True)
class UserInfo:
    """What routing needs of a local user."""

    id: int
    email: str
    active: bool | None = None
    out_of_office: bool | None = None
    time_zone: str | None = None


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
    owner_id: int | None = None  # the local user id of `user`, when users are known

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


Key = tuple[str, str]  # (team, user email)
COUNTRY_CODE = "\x00country_code"  # the record's ISO country, for rules (never a field name)


@dataclass
class Counters:
    """Assignments per (team, user): in total (round robin) and on the rep's current day (capacity).

    Holds what was loaded and, apart, what this run added, so the store adds increments
    instead of replacing what others counted meanwhile.
    """

    total: dict[Key, int] = field(default_factory=dict)
    days: dict[Key, tuple[date, int]] = field(default_factory=dict)
    added: dict[Key, int] = field(default_factory=dict)

    def on(self, key: Key, day: date) -> int:
        d, n = self.days.get(key, (day, 0))
        return n if d == day else 0

    def add(self, key: Key, day: date) -> None:
        self.total[key] = self.total.get(key, 0) + 1
        self.days[key] = (day, self.on(key, day) + 1)
        self.added[key] = self.added.get(key, 0) + 1

    def copy(self) -> "Counters":
        return Counters(dict(self.total), dict(self.days))


_ZONES: dict[str, zoneinfo.ZoneInfo] = {}


def local_day(now: datetime, zone: str | None) -> date:
    """The date at `now` in an IANA zone (UTC when unknown)."""
    if not zone:
        return now.astimezone(timezone.utc).date()
    tz = _ZONES.get(zone)
    if tz is None:
        try:
            tz = _ZONES[zone] = zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return now.astimezone(timezone.utc).date()
    return now.astimezone(tz).date()


class Router:
    """Compiled routing config. `users` (email → UserInfo): members who are not users here, inactive or
    out of office are unavailable; without it (pure use) every member is available and owners are not resolved."""

    def __init__(self, cfg: RoutingConfig, counters: Counters | None = None,
                 fields: Mapping[str, Any] | None = None, users: Mapping[str, UserInfo] | None = None):
        self.cfg = cfg
        self.counters = counters or Counters()
        self.users = {k.lower(): v for k, v in users.items()} if users is not None else None
        parsed = [(r, w.parse(r.when, fields) if fields else w.parse(r.when)) for r in cfg.rules]
        self.rule_fields = [sorted(w.fields_used(n)) for _, n in parsed]
        self.rules = [(r, _by_code(n)) for r, n in parsed]
        self.teams = {t.name: t for t in cfg.teams}
        self.by_state: dict[str, tuple[str, str | None]] = {}
        self.by_country: dict[str, tuple[str, str | None]] = {}
        for t in cfg.territories:
            for s in t.states:
                self.by_state.setdefault(s.upper(), (t.name, t.region))
            for c in t.countries:
                self.by_country.setdefault(c.upper(), (t.name, t.region))
        self._state_countries = countries_with_states() | {s.split("-")[0] for s in self.by_state}
        self._where_cache: dict[tuple, tuple] = {}
        # the first matching rule depends only on the fields the rules use: cached by their values
        self._used = sorted(set().union(*self.rule_fields)) if self.rules else []
        self._rule_cache: dict[tuple, int] = {}
        self._fixed: dict[tuple, Decision] = {}  # decisions that move no counter, shared (never changed)
        self._covering: dict[str | None, Team | None] = {}
        self._avail: tuple[datetime | None, dict[str, list]] = (None, {})

    # -- where ---------------------------------------------------------------------------------

    def locate(self, record: Mapping[str, Any]) -> tuple[str | None, str | None, str | None, str | None]:
        """(territory, region, time zone, ISO country) of a record."""
        key = (record.get("country"), record.get("state"))
        hit = self._where_cache.get(key)
        if hit is None:
            cc = country_code(key[0])
            st = state_code(key[1], cc) if key[1] and cc in self._state_countries else None
            terr = self.by_state.get(f"{cc}-{st}") if st else None
            terr = terr or (self.by_country.get(cc) if cc else None) or (None, None)
            hit = self._where_cache[key] = (terr[0], terr[1], time_zone(cc, st), cc)
        return hit

    def matches(self, record: Mapping[str, Any], now: datetime | None = None) -> Iterator[bool]:
        """Whether each rule matches, in order (countries compared as ISO codes: `country = DE` matches
        'Germany' and 'Deutschland')."""
        view = {**record, COUNTRY_CODE: country_code(record.get("country"))}
        return (w.evaluate(node, view, now) for _, node in self.rules)

    # -- who -----------------------------------------------------------------------------------

    def decide(self, record: Mapping[str, Any], now: datetime | None = None) -> Decision:
        """The decision for one person (and the counters move on, when someone is picked)."""
        now = now or datetime.now(timezone.utc)
        territory, region, tz, _ = self.locate(record)
        get = record.get
        key = tuple([get(f) for f in self._used])
        hit = self._rule_cache.get(key)
        if hit is None:  # the first matching rule and the values it read depend on the key alone
            first = next((n for n, ok in enumerate(self.matches(record, now)) if ok), -1)
            if first < 0:
                why = f"no rule matched ({_values(record, self._used[:4]) or 'nothing to match on'})"
            else:
                rule = self.rules[first][0]
                why = f"because {_values(record, self.rule_fields[first]) or rule.when} matched rule {first + 1} " \
                      f"'{rule.name}'"
            hit = (first, why)
            if len(self._rule_cache) < 1_000_000:
                self._rule_cache[key] = hit
        first, why = hit
        place = (territory, region, tz)
        # a fallback or a rule naming a user moves no counter: the same place and rule give the same decision
        fixed = self._fixed.get((place, first, why))
        if fixed is not None:
            return fixed
        rule = self.rules[first][0] if first >= 0 else None
        if rule is None or rule.user:
            if rule is None:
                fixed = self._fallback(place, None, why, now)
            elif problem := self._unavailable_user(rule.user):
                fixed = self._fallback(place, rule, f"{rule.user} {problem} ({why})", now)
            else:
                fixed = Decision(*place, rule.name, None, rule.user, None, f"routed to {rule.user} {why}",
                                 self._owner(rule.user))
            if len(self._fixed) < 100_000:
                self._fixed[(place, first, why)] = fixed
            return fixed
        team, wanted = self._team_of(rule, territory)
        if team is None:
            return self._fallback(place, rule, f"{wanted} ({why})", now)
        user = self._pick(team, now)
        if user is None:
            return self._fallback(place, rule, f"nobody available in team {team.name} ({why})", now)
        label = f"{territory}/{team.name}" if territory and territory != team.name else team.name
        return Decision(*place, rule.name, team.name, user, None, f"routed to {label} team → {user} {why}",
                        self._owner(user))

    def _team_of(self, rule: RouteRule, territory: str | None) -> tuple[Team | None, str]:
        if rule.team:
            team = self.teams.get(rule.team)
            return team, f"no team {rule.team!r}"
        wanted = territory if rule.territory == "*" else rule.territory
        if wanted is None:
            return None, "no territory for this location"
        if wanted not in self._covering:
            self._covering[wanted] = self.covering_team(wanted)
        return self._covering[wanted], f"no team covers territory {wanted}"

    def covering_team(self, territory: str) -> Team | None:
        """The team covering a territory: listed in its `territories`, then its `regions`, then by name."""
        region = next((t.region for t in self.cfg.territories if t.name == territory), None)
        teams = self.cfg.teams
        return (next((t for t in teams if territory in t.territories), None)
                or next((t for t in teams if region and region in t.regions), None)
                or next((t for t in teams if t.name == territory and not t.territories), None))

    def _fallback(self, place: tuple, rule: RouteRule | None, why: str, now: datetime) -> Decision:
        user = self.cfg.fallback_user
        if user and self._unavailable_user(user):
            user = None
        target = f"{self.cfg.fallback} → {user}" if user else self.cfg.fallback
        return Decision(*place, rule.name if rule else None, None, user, self.cfg.fallback,
                        f"routed to {target}: {why}", self._owner(user) if user else None)

    def _owner(self, email: str) -> int | None:
        info = self.users.get(email.lower()) if self.users is not None else None
        return info.id if info else None

    def _unavailable_user(self, email: str) -> str | None:
        """Why a user cannot take people ('is not a user here', 'is inactive', 'is out of office'), or None."""
        if self.users is None:
            return None
        info = self.users.get(email.lower())
        if info is None:
            return "is not a user here"
        if info.active is False:
            return "is inactive"
        if info.out_of_office:
            return "is out of office"
        return None

    def member_problem(self, m: Member, now: datetime) -> tuple[str | None, date]:
        """(why the member cannot take people now or None, the member's current day)."""
        info = self.users.get(m.user.lower()) if self.users is not None else None
        day = local_day(now, m.time_zone or (info.time_zone if info else None))
        if m.out_of_office:
            return "is out of office", day
        if any(a.start <= day <= a.until for a in m.away):
            return f"is away until {next(a.until for a in m.away if a.start <= day <= a.until)}", day
        return self._unavailable_user(m.user), day

    def _available(self, team: Team, now: datetime) -> list[tuple[int, Member, Key, date]]:
        """Members who can take people at `now` (before capacity), computed once per instant."""
        at, table = self._avail
        if at is not now:
            minute = now.replace(second=0, microsecond=0)  # availability changes by the day: per minute is enough
            if at is None or at.replace(second=0, microsecond=0) != minute:
                table = {}
            self._avail = (now, table)
        got = table.get(team.name)
        if got is None:
            got = table[team.name] = []
            for k, m in enumerate(team.members):
                problem, day = self.member_problem(m, now)
                if problem is None:
                    got.append((k, m, (team.name, m.user), day))
        return got

    def _pick(self, team: Team, now: datetime) -> str | None:
        counters = self.counters
        total, weighted = counters.total, team.distribution == "weighted"
        best = None
        # the member furthest behind their share goes next (smooth weighted round robin); ties by order
        for _, m, key, day in self._available(team, now):
            if m.capacity_per_day is not None and counters.on(key, day) >= m.capacity_per_day:
                continue
            share = total.get(key, 0) / (m.weight if weighted else 1)
            if best is None or share < best[0]:
                best = (share, key, day, m.user)
        if best is None:
            return None
        counters.add(best[1], best[2])
        return best[3]


def _by_code(node: w.Node) -> w.Node:
    """The rule with its `country =` / `in` comparisons made on ISO codes."""
    if isinstance(node, w.Compare):
        if node.field != "country" or node.op not in ("=", "!=", "in"):
            return node
        values = node.value if node.op == "in" else (node.value,)
        codes = tuple(country_code(str(v)) or str(v) for v in values)
        return w.Compare(COUNTRY_CODE, node.op, codes if node.op == "in" else codes[0], node.negate)
    if isinstance(node, w.And):
        return w.And(tuple(_by_code(i) for i in node.items))
    if isinstance(node, w.Or):
        return w.Or(tuple(_by_code(i) for i in node.items))
    if isinstance(node, w.Not):
        return w.Not(_by_code(node.item))
    return node


def _values(record: Mapping[str, Any], fields: list[str]) -> str:
    """'country=DE, lead_score=95': the values a rule looked at."""
    return ", ".join(f"{f}={_show(record.get(f))}" for f in fields)


def _show(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)
