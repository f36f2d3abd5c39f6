"""The `routing:` section of leadbridge.yaml: territories, teams, ordered rules, fallback."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadbridge.routing.territory import default_territories


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Territory(_M):
    """A territory: ISO countries, and/or US/CA states as 'US-CA'. States are checked before countries."""

    name: str
    region: str | None = None
    countries: list[str] = Field(default_factory=list)
    states: list[str] = Field(default_factory=list)


class Member(_M):
    user: str = Field(description="the user's email (local users, mapped to CRM users by email)")
    weight: int = Field(1, ge=1, description="weighted round robin: share of assignments")
    capacity_per_day: int | None = Field(None, ge=0, description="capacity: at most this many per day")
    out_of_office: bool = False


class Team(_M):
    name: str
    members: list[Member] = Field(default_factory=list)
    distribution: Literal["round_robin", "weighted", "capacity"] = "round_robin"


class RouteRule(_M):
    """First matching rule wins: `when` is a --where filter; target a territory's team, a team, or a user."""

    name: str
    when: str
    territory: str | None = Field(None, description="route to the team named like this territory ('*': the "
                                                    "person's own territory)")
    team: str | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "RouteRule":
        if sum(x is not None for x in (self.territory, self.team, self.user)) != 1:
            raise ValueError(f"rule {self.name!r}: give exactly one of territory, team, user")
        return self


class RoutingConfig(_M):
    on_entry: bool = Field(True, description="route new people as they are written")
    territories: list[Territory] = Field(default_factory=lambda: [Territory(**t) for t in default_territories()])
    teams: list[Team] = Field(default_factory=list)
    rules: list[RouteRule] = Field(default_factory=lambda: [
        RouteRule(name="own territory", when="country is not empty", territory="*")])
    fallback: str = Field("Unassigned queue", description="where people no rule (or nobody available) takes go")
