"""The `routing:` section of leadbridge.yaml: territories, teams, ordered rules, fallback."""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadbridge.routing.territory import default_territories


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _zone(value: str | None) -> str | None:
    if value is not None:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/Berlin)") from None
    return value


class Territory(_M):
    """A territory: ISO countries, and/or states as 'US-CA'. States are checked before countries."""

    name: str
    region: str | None = None
    countries: list[str] = Field(default_factory=list)
    states: list[str] = Field(default_factory=list)


class Away(_M):
    """Out of office from `from` to `until`, both days included, in the rep's time zone."""

    start: date = Field(alias="from")
    until: date

    @model_validator(mode="after")
    def _ordered(self) -> "Away":
        if self.until < self.start:
            raise ValueError(f"away: until {self.until} is before from {self.start}")
        return self


class Member(_M):
    user: str = Field(description="the user's email (local users, mapped to CRM users by email)")
    weight: int = Field(1, ge=1, description="weighted round robin: share of assignments")
    capacity_per_day: int | None = Field(None, ge=0, description="capacity: at most this many per day (the rep's "
                                                                 "day, in their time zone)")
    out_of_office: bool = Field(False, description="out until further notice")
    away: list[Away] = Field(default_factory=list, description="out of office on these dates, e.g. "
                                                               "{from: 2026-12-21, until: 2027-01-02}")
    time_zone: str | None = Field(None, description="the rep's IANA time zone (default: the user record's, else UTC)")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        return _zone(v)


class Team(_M):
    name: str
    members: list[Member] = Field(default_factory=list)
    distribution: Literal["round_robin", "weighted", "capacity"] = "round_robin"
    territories: list[str] = Field(default_factory=list, description="territories this team covers (for rules with "
                                                                      "`territory:`); default: the one named like it")
    regions: list[str] = Field(default_factory=list, description="regions (NA, LATAM, EMEA, APAC) this team covers")


class RouteRule(_M):
    """First matching rule wins: `when` is a --where filter; target a territory's team, a team, or a user."""

    name: str
    when: str
    territory: str | None = Field(None, description="route to the team covering this territory ('*': the "
                                                    "person's own territory)")
    team: str | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "RouteRule":
        if sum(x is not None for x in (self.territory, self.team, self.user)) != 1:
            raise ValueError(f"rule {self.name!r}: give exactly one of territory, team, user")
        return self


class RoutingConfig(_M):
    on_entry: bool = Field(True, description="assign an owner to new people as they are written (territory and "
                                             "time zone are always kept current)")
    reroute_on_location_change: bool = Field(False, description="re-route (new owner) when a person's country or "
                                                                "state changes; otherwise only territory and time "
                                                                "zone follow")
    territories: list[Territory] = Field(default_factory=lambda: [Territory(**t) for t in default_territories()])
    teams: list[Team] = Field(default_factory=list)
    rules: list[RouteRule] = Field(default_factory=lambda: [
        RouteRule(name="own territory", when="country is not empty", territory="*")])
    fallback: str = Field("Unassigned queue", description="where people no rule (or nobody available) takes go")
    fallback_user: str | None = Field(None, description="email of the user who owns what falls back (e.g. the "
                                                        "lead-desk user); default: no owner")

    @model_validator(mode="after")
    def _unique_names(self) -> "RoutingConfig":
        for what, names in (("team", [t.name for t in self.teams]), ("rule", [r.name for r in self.rules]),
                            ("territory", [t.name for t in self.territories])):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{what} names must be unique: {', '.join(dupes)}")
        return self

    def user_emails(self) -> set[str]:
        """Every user the rules can assign to (team members, rule users, the fallback user)."""
        out = {m.user for t in self.teams for m in t.members} | {r.user for r in self.rules if r.user}
        return out | ({self.fallback_user} if self.fallback_user else set())
