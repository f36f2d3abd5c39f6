"""`route lint`: rules that never win, match nobody or overlap; users, teams and territories that fail silently."""

from __future__ import annotations

import json

import yaml

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.model import where as w
from leadbridge.routing.config import Away, Member, RouteRule, RoutingConfig, Team
from leadbridge.routing.lint import implies, lint
from leadbridge.workspace import Workspace


def kinds(report: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report["findings"]:
        out.setdefault(f["kind"], set()).add(f["item"])
    return out


def test_rules_shadowed_by_earlier_ones_are_found_by_text_and_on_the_data(workspace: Workspace):
    """The audit's case: a catch-all first, then two German rules that can never win, and overlap."""
    ws = workspace
    ws.write([Change({"email": f"d{i}@example.de", "country": "Germany"}) for i in range(3)]
             + [Change({"email": "f@example.fr", "country": "France", "lead_score": 95})], SourceKind.FORM)
    ws.config.routing = RoutingConfig(
        teams=[Team(name="EMEA", members=[Member(user="anna@x.com")])],
        rules=[RouteRule(name="own territory", when="country is not empty", territory="*"),
               RouteRule(name="dach", when="country = DE", territory="*"),
               RouteRule(name="germany", when="country in (DE, Germany)", territory="*")])
    report = lint(ws)
    found = kinds(report)
    assert found["unreachable rule"] == {"dach", "germany"}
    stats = {r["rule"]: r for r in report["rules"]}
    assert report["people"] == 4
    assert (stats["own territory"]["matched"], stats["own territory"]["won"]) == (4, 4)
    assert (stats["dach"]["matched"], stats["dach"]["won"], stats["dach"]["taken_by"]) == (3, 0, {"own territory": 3})


def test_overlapping_rules_and_rules_matching_nobody(workspace: Workspace):
    ws = workspace
    ws.write([Change({"email": "a@example.de", "country": "Germany", "lead_score": 95}),
              Change({"email": "b@example.de", "country": "Germany", "lead_score": 10}),
              Change({"email": "c@example.fr", "country": "France", "lead_score": 99})], SourceKind.FORM)
    ws.config.routing = RoutingConfig(
        teams=[Team(name="EMEA", members=[Member(user="anna@x.com")])],
        rules=[RouteRule(name="vip", when="lead_score >= 90", territory="*"),
               RouteRule(name="germany", when="country = Germany", territory="*"),
               RouteRule(name="japan", when="country = JP", territory="*"),
               RouteRule(name="everyone else", when="country is not empty", territory="*")])
    found = kinds(lint(ws))
    assert "vip / germany" in found["overlapping rules"]  # one German VIP: vip takes them, germany the rest
    assert found["rule matches nobody"] == {"japan"}
    # a catch-all after specific rules is the usual order, not an overlap
    assert not any(item.endswith("/ everyone else") for item in found["overlapping rules"])


def test_users_teams_and_territories_that_silently_fail(workspace: Workspace):
    ws = workspace
    users = ws.write([Change({"email": "anna@x.com", "name": "Anna", "active": True}),
                      Change({"email": "old@x.com", "name": "Old", "active": False}),
                      Change({"email": "linked@x.com", "name": "Linked", "active": True},
                             crm_id="005000000000001AAA", crm_object="User")], SourceKind.CRM, "user").ids
    assert len(users) == 3
    ws.config.routing = RoutingConfig(
        teams=[Team(name="DACH", members=[Member(user="ghost@x.com"), Member(user="old@x.com")]),
               Team(name="Nordics", members=[Member(user="anna@x.com", away=[
                   Away.model_validate({"from": "2000-01-01", "until": "2999-12-31"})])]),
               Team(name="EMEA", territories=["Atlantis"], regions=["EU"], members=[Member(user="linked@x.com")])],
        rules=[RouteRule(name="all", when="id > 0", team="DACH"),
               RouteRule(name="later", when="country = DE", team="Benelux"),
               RouteRule(name="vip", when="lead_score > 90", user="boss@x.com"),
               RouteRule(name="mars", when="country = FR", territory="Mars"),
               RouteRule(name="own", when="country is not empty", territory="*")])
    found = kinds(lint(ws))
    assert found["unknown team"] == {"later"}
    assert found["unknown user"] == {"ghost@x.com", "boss@x.com"}  # team members and rule users
    assert found["inactive user"] == {"old@x.com"}
    assert found["user not in CRM"] == {"anna@x.com"}  # linked@x.com has its CRM user
    assert found["empty team"] == {"DACH", "Nordics"}  # nobody available: unknown, inactive, away
    assert found["unknown territory"] == {"mars", "EMEA"}
    assert found["unknown region"] == {"EMEA"}
    assert {"NA West", "APAC", "LATAM"} <= found["territory without team"]
    assert "unreachable rule" in found  # everything after `id > 0`


def test_implication_between_conditions():
    p = w.parse
    assert implies(p("country = DE"), p("country is not empty"))
    assert implies(p("country in (DE, AT)"), p("country in (AT, DE, CH)"))
    assert implies(p("country = DE and lead_score > 5"), p("country = de"))
    assert implies(p("country = DE"), p(""))
    assert not implies(p("country in (DE, FR)"), p("country = DE"))
    assert not implies(p("lead_score > 5"), p("country is not empty"))
    assert not implies(p("country is empty"), p("country is not empty"))


def test_cli_lint_exits_1_with_findings_and_0_when_clean(workspace: Workspace, capsys):
    ws = workspace
    ws.write([Change({"email": "anna@x.com", "name": "Anna", "active": True},
                     crm_id="005000000000002AAA", crm_object="User")], SourceKind.CRM, "user")
    ws.write([Change({"email": "p@example.de", "country": "Germany"})], SourceKind.FORM)
    path = ws.root / "leadbridge.yaml"
    base = path.read_text()
    clean = {"routing": {"territories": [{"name": "EMEA", "region": "EMEA", "countries": ["DE"]}],
                         "teams": [{"name": "EMEA", "members": [{"user": "anna@x.com"}]}],
                         "rules": [{"name": "own", "when": "country is not empty", "territory": "*"}]}}
    path.write_text(base + yaml.safe_dump(clean))
    assert main(["route", "lint", "-w", str(ws.root)]) == 0
    assert "routing rules look fine" in capsys.readouterr().out
    clean["routing"]["rules"].insert(0, {"name": "all", "when": "id > 0", "team": "Nobody"})
    path.write_text(base + yaml.safe_dump(clean))
    assert main(["route", "lint", "-w", str(ws.root), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {f["kind"] for f in report["findings"]} == {"unknown team", "unreachable rule"}
    assert report["rules"][0] == {"rule": "all", "matched": 1, "won": 1, "taken_by": {}}
