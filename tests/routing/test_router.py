"""The router on its own: first matching rule, explanations, distribution, availability, fallback."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from pydantic import ValidationError

from leadbridge.routing.config import Away, Member, RouteRule, RoutingConfig, Team
from leadbridge.routing.router import Router, UserInfo


def cfg(**team_kw) -> RoutingConfig:
    return RoutingConfig(
        teams=[Team(name="DACH", members=[Member(user="anna@x.com"), Member(user="ben@x.com")], **team_kw),
               Team(name="EMEA", members=[Member(user="eve@x.com")])],
        rules=[RouteRule(name="vip", when="lead_score >= 90", user="boss@x.com"),
               RouteRule(name="dach", when="country in (DE, AT, CH)", team="DACH"),
               RouteRule(name="own territory", when="country is not empty", territory="*")])


def users(*emails: str, **flags) -> dict[str, UserInfo]:
    return {e: UserInfo(n + 1, e, **flags.get(e.split("@")[0], {})) for n, e in enumerate(emails)}


def test_first_matching_rule_wins_and_explains_with_the_values_it_read():
    r = Router(cfg())
    d = r.decide({"country": "DE", "lead_score": 10})
    assert d.user == "anna@x.com"
    assert d.explanation == "routed to EMEA/DACH team → anna@x.com because country=DE matched rule 2 'dach'"
    vip = r.decide({"country": "DE", "lead_score": 95})
    assert vip.user == "boss@x.com"
    assert vip.explanation == "routed to boss@x.com because lead_score=95 matched rule 1 'vip'"
    assert r.decide({"country": "France"}).user == "eve@x.com"
    none = r.decide({"country": ""})
    assert none.queue == "Unassigned queue" and none.explanation.startswith("routed to Unassigned queue: no rule")


def test_country_rules_match_codes_and_names_as_people_write_them():
    r = Router(cfg())
    for written in ("Germany", "Deutschland", "DE", "germany"):
        assert r.decide({"country": written}).team == "DACH", written
    assert r.decide({"country": "Denmark"}).team == "EMEA"


def test_round_robin_and_weighted():
    r = Router(cfg())
    assert [r.decide({"country": "DE"}).user for _ in range(4)] == ["anna@x.com", "ben@x.com"] * 2
    c = cfg(distribution="weighted")
    c.teams[0].members[0].weight = 3
    r = Router(c)
    picks = [r.decide({"country": "DE"}).user for _ in range(8)]
    assert picks.count("anna@x.com") == 6 and picks.count("ben@x.com") == 2


def test_capacity_counts_the_reps_own_day():
    c = cfg(distribution="capacity")
    c.teams[0].members = [Member(user="kiri@x.com", capacity_per_day=1, time_zone="Pacific/Auckland")]
    r = Router(c)
    evening = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)  # 23:00 on 2 March in Auckland
    assert r.decide({"country": "DE"}, evening).user == "kiri@x.com"
    full = r.decide({"country": "DE"}, datetime(2026, 3, 2, 10, 30, tzinfo=timezone.utc))
    assert full.user is None and "nobody available in team DACH" in full.explanation
    # 00:30 on 3 March in Auckland, still 2 March in UTC: a new day for the rep
    assert r.decide({"country": "DE"}, datetime(2026, 3, 2, 11, 30, tzinfo=timezone.utc)).user == "kiri@x.com"


def test_out_of_office_for_good_and_on_dates():
    c = cfg()
    c.teams[0].members[0].out_of_office = True
    c.teams[0].members[1].away = [Away.model_validate({"from": "2026-12-21", "until": "2027-01-02"})]
    r = Router(c)
    holiday = datetime(2026, 12, 24, 12, tzinfo=timezone.utc)
    d = r.decide({"country": "DE"}, holiday)
    assert d.queue == "Unassigned queue" and "nobody available in team DACH" in d.explanation
    assert r.decide({"country": "DE"}, datetime(2027, 1, 3, 12, tzinfo=timezone.utc)).user == "ben@x.com"
    with pytest.raises(ValidationError, match="before from"):
        Away.model_validate({"from": "2026-12-21", "until": "2026-12-01"})


def test_members_who_are_not_users_here_inactive_or_away_are_skipped():
    known = users("anna@x.com", "ben@x.com", "eve@x.com", "boss@x.com", anna={"active": False},
                  boss={"out_of_office": True})
    r = Router(cfg(), users=known)
    d = r.decide({"country": "DE"})
    assert (d.user, d.owner_id) == ("ben@x.com", known["ben@x.com"].id)  # anna is inactive
    vip = r.decide({"country": "DE", "lead_score": 99})
    assert vip.user is None and vip.queue == "Unassigned queue"
    assert "boss@x.com is out of office" in vip.explanation
    ghost = RoutingConfig(teams=[Team(name="EMEA", members=[Member(user="ghost@x.com")])])
    d = Router(ghost, users=known).decide({"country": "FR"})
    assert d.user is None and d.owner_id is None and "nobody available in team EMEA" in d.explanation


def test_the_fallback_can_name_a_user():
    c = RoutingConfig(fallback="Lead desk", fallback_user="desk@x.com")
    r = Router(c, users=users("desk@x.com"))
    d = r.decide({"country": "FR"})  # no team covers EMEA
    assert (d.queue, d.user, d.owner_id) == ("Lead desk", "desk@x.com", 1)
    assert d.explanation == ("routed to Lead desk → desk@x.com: no team covers territory EMEA (because "
                             "country=FR matched rule 1 'own territory')")


def test_teams_cover_territories_and_regions_explicitly():
    c = RoutingConfig(teams=[Team(name="Americas", regions=["NA", "LATAM"], members=[Member(user="a@x.com")]),
                             Team(name="West", territories=["NA West"], members=[Member(user="w@x.com")]),
                             Team(name="EMEA", members=[Member(user="e@x.com")])])
    r = Router(c)
    assert r.decide({"country": "US", "state": "CA"}).team == "West"  # a listed territory before a region
    assert r.decide({"country": "US", "state": "NY"}).team == "Americas"
    assert r.decide({"country": "Brazil"}).team == "Americas"
    assert r.decide({"country": "France"}).team == "EMEA"  # by name, as before


def test_config_refuses_what_cannot_work():
    with pytest.raises(ValidationError, match="exactly one of territory, team, user"):
        RouteRule(name="x", when="country = DE", team="A", user="b@x.com")
    with pytest.raises(ValidationError, match="unknown time zone"):
        Member(user="a@x.com", time_zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="team names must be unique"):
        RoutingConfig(teams=[Team(name="A"), Team(name="A")])
    assert Away.model_validate({"from": date(2026, 1, 1), "until": date(2026, 1, 1)}).until == date(2026, 1, 1)
