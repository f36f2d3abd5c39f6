"""Routing and person source: territories, time zones, distribution, explanations, lint, backfill."""

from __future__ import annotations

import json

import pytest

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.routing.config import Member, RouteRule, RoutingConfig, Team
from leadbridge.routing.router import Router
from leadbridge.routing.run import lint, run, simulate
from leadbridge.sourcing.backfill import backfill
from leadbridge.sourcing.channels import channel
from leadbridge.workspace import Workspace


@pytest.mark.parametrize("country,state,territory,zone", [
    ("Deutschland", None, "EMEA", "Europe/Berlin"),
    ("USA", "Calif.", "NA West", "America/Los_Angeles"),
    ("United States", "Texas", "NA Central", "America/Chicago"),
    ("U.S.A.", "Mass.", "NA East", "America/New_York"),
    ("Canada", "Québec", "NA East", "America/Toronto"),
    ("中国", None, "APAC", "Asia/Shanghai"),
    ("Brasil", None, "LATAM", "America/Noronha"),
    ("United Arab Emirates", None, "EMEA", "Asia/Dubai"),
    ("Europe", None, None, None),
])
def test_default_territories_and_time_zones(country, state, territory, zone):
    d = Router(RoutingConfig()).decide({"country": country, "state": state})
    assert d.territory == territory
    if zone != "America/Noronha":
        assert d.time_zone == zone
    assert d.queue == "Unassigned queue"  # no teams configured: everyone to the fallback queue


def cfg(**team_kw) -> RoutingConfig:
    return RoutingConfig(
        teams=[Team(name="DACH", members=[Member(user="anna@x.com"), Member(user="ben@x.com")], **team_kw),
               Team(name="EMEA", members=[Member(user="eve@x.com")])],
        rules=[RouteRule(name="vip", when="lead_score >= 90", user="boss@x.com"),
               RouteRule(name="dach", when="country in (DE, AT, CH, Germany, Austria, Switzerland)", team="DACH"),
               RouteRule(name="own territory", when="country is not empty", territory="*")])


def test_first_matching_rule_wins_and_explains_itself():
    r = Router(cfg())
    d = r.decide({"country": "DE", "lead_score": 10})
    assert d.user == "anna@x.com"
    assert d.explanation == "routed to EMEA/DACH team → anna@x.com because country=DE matched rule 2 'dach'"
    assert r.decide({"country": "DE", "lead_score": 95}).user == "boss@x.com"
    assert r.decide({"country": "France"}).user == "eve@x.com"
    assert r.decide({"country": ""}).queue == "Unassigned queue"


def test_round_robin_weighted_capacity_and_out_of_office():
    r = Router(cfg())
    assert [r.decide({"country": "DE"}).user for _ in range(4)] == ["anna@x.com", "ben@x.com"] * 2
    c = cfg(distribution="weighted")
    c.teams[0].members[0].weight = 3
    r = Router(c)
    picks = [r.decide({"country": "DE"}).user for _ in range(8)]
    assert picks.count("anna@x.com") == 6 and picks.count("ben@x.com") == 2
    c = cfg(distribution="capacity")
    c.teams[0].members[0].capacity_per_day = 1
    c.teams[0].members[1].out_of_office = True
    r = Router(c)
    assert r.decide({"country": "DE"}).user == "anna@x.com"
    d = r.decide({"country": "DE"})
    assert d.queue == "Unassigned queue" and "nobody available in team DACH" in d.explanation


def test_routing_on_entry_run_explain_and_simulate(workspace: Workspace, capsys):
    ws = workspace
    ws.config.routing = cfg()
    users = ws.write([Change({"email": "anna@x.com", "name": "Anna"}), Change({"email": "ben@x.com", "name": "Ben"})],
                     SourceKind.CRM, "user").ids
    ids = ws.write([Change({"email": f"p{i}@example.de", "country": "Germany"}) for i in range(4)],
                   SourceKind.FORM).ids
    owners = [ws.get(i)["owner_id"] for i in ids]
    assert owners == [users[0], users[1], users[0], users[1]]  # routed on entry, round robin
    assert ws.get(ids[0])["time_zone"] == "Europe/Berlin"
    owner = next(h for h in ws.history(ids[0]) if h["field"] == "owner_id")
    assert owner["source"] == "form" and owner["note"].startswith("routing: routed to EMEA/DACH team")

    code = main(["route", "explain", str(ids[0]), "-w", str(ws.root), "--json"])
    decisions = json.loads(capsys.readouterr().out)["decisions"]
    assert code == 0 and decisions[0]["explanation"].endswith("anna@x.com because country=DE matched rule 2 'dach'")

    report = run(ws, "email like '%example.de'", dry_run=True)
    assert report["people"] == 4 and report["by_territory"] == {"EMEA": 4}
    sim = simulate(ws, "-90d")
    assert sim["people"] == 4 and sim["by_owner"] == {"anna@x.com": 2, "ben@x.com": 2}


def test_lint_finds_what_silently_fails(workspace: Workspace):
    ws = workspace
    ws.config.routing = RoutingConfig(
        teams=[Team(name="DACH", members=[Member(user="ghost@x.com", out_of_office=True)])],
        rules=[RouteRule(name="all", when="id > 0", team="DACH"),
               RouteRule(name="later", when="country = DE", team="Nordics")])
    kinds = {f["kind"] for f in lint(ws)}
    assert {"unreachable rule", "unknown team", "unknown user", "empty team"} <= kinds


@pytest.mark.parametrize("source,medium,referrer,expected", [
    ("google", "cpc", None, "Paid Search"), ("google", "organic", None, "Organic Search"),
    ("linkedin", "paid_social", None, "Paid Social"), ("facebook", "social", None, "Organic Social"),
    ("newsletter", "email", None, "Email"), ("partner-site", "referral", None, "Referral"),
    (None, None, "https://www.google.co.uk/search?q=x", "Organic Search"),
    (None, None, "https://news.ycombinator.com/item", "Referral"), (None, None, None, "Direct"),
    ("adnet", "display", None, "Display"), ("foo", "bar", None, "Unassigned"),
])
def test_ga4_channels(source, medium, referrer, expected):
    assert channel(source, medium, referrer)[0] == expected


def test_person_source_on_entry_and_backfill(workspace: Workspace, tmp_path):
    ws = workspace
    a = ws.write([Change({"email": "a@x.com", "utm_source": "google", "utm_medium": "cpc"})], SourceKind.FORM).ids[0]
    assert ws.get(a)["person_source"] == "Web: Paid Search"
    ws.config.person_source.on_entry = False
    ids = ws.write([Change({"email": "b@x.com", "registration_source_type": "List Import",
                            "registration_source_info": "Expo 2026"}),
                    Change({"email": "c@x.com"}), Change({"email": "d@x.com"})], SourceKind.API).ids
    report = backfill(ws, dry_run=True)
    assert report["filled"] == 1 and report["still_without_source"] == 2 and ws.get(ids[0])["person_source"] is None
    overrides = tmp_path / "sources.csv"
    overrides.write_text("email,person_source\nc@x.com,Partner referral\n", encoding="utf-8")
    report = backfill(ws, overrides=overrides)
    assert report["filled"] == 2 and report["still_without_source"] == 1
    assert ws.get(ids[0])["person_source"] == "List Import: Expo 2026"
    assert ws.get(ids[1])["person_source"] == "Partner referral"
    assert [h["source"] for h in ws.history(ids[1])][-1] == "sourcing"
