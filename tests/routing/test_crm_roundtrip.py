"""Routing and hygiene results reach the CRM: the sandbox over real HTTPS with the real client."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadbridge.hygiene.config import Action, HygieneConfig, HygieneRule
from leadbridge.model import Change, SourceKind
from leadbridge.routing.config import Member, RouteRule, RoutingConfig, Team
from leadbridge.routing.run import run
from leadbridge.sandbox import SandboxServer
from leadbridge.sync.connection import connect_sandbox
from leadbridge.sync.engine import connect, run_cycle
from leadbridge.workspace import Workspace

ANNA, BEN = "anna@sandbox.leadbridge.local", "ben@sandbox.leadbridge.local"


@pytest.fixture
def connected(workspace: Workspace, tmp_path: Path):
    """(workspace, sandbox server, connector), with the CRM's users pulled and linked."""
    with SandboxServer(tmp_path / "sandbox") as srv:
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(workspace, tmp_path / "sandbox.env")
        crm = connect(workspace)
        run_cycle(workspace, crm)
        yield workspace, srv, crm


def crm_user(srv: SandboxServer, email: str) -> str:
    return next(u["Id"] for u in srv.org.store.table("User").values() if u["Email"] == email)


def lead_of(srv: SandboxServer, pid: int) -> dict:
    return next(l for l in srv.org.store.table("Lead").values() if l["Leadbridge_Id__c"] == str(pid))


def test_routed_owners_reach_the_crm_and_stay(connected):
    ws, srv, crm = connected
    ws.config.routing = RoutingConfig(teams=[Team(name="DACH", members=[Member(user=ANNA)])],
                                      rules=[RouteRule(name="dach", when="country in (DE, AT, CH)", team="DACH")])
    pid = ws.write([Change({"email": "hans@example.de", "last_name": "Meier", "company": "Meier GmbH",
                            "country": "Germany"})], SourceKind.FORM).ids[0]
    run_cycle(ws, crm)
    assert lead_of(srv, pid)["OwnerId"] == crm_user(srv, ANNA)

    ws.config.routing.rules.insert(0, RouteRule(name="big accounts", when="company contains GmbH", user=BEN))
    assert run(ws, reassign=True)["routed"] == 1
    res = run_cycle(ws, crm)
    assert res.pushed == 1 and lead_of(srv, pid)["OwnerId"] == crm_user(srv, BEN)

    run_cycle(ws, crm)  # the pull re-reads the lead (overlap window): it must not undo the reassignment
    run_cycle(ws, crm)
    ben = ws.list("user", f"email = '{BEN}'")[0]["id"]
    assert ws.get(pid)["owner_id"] == ben
    owner_changes = [(h["source"], h["new"]) for h in ws.history(pid) if h["field"] == "owner_id"]
    assert [s for s, _ in owner_changes] == ["form", "routing"]

    # sales reassigns in the CRM: that comes back (owner_id is latest_wins)
    lead = lead_of(srv, pid)
    srv.org.commit("Lead", [srv.org.prepare_update("Lead", lead["Id"], {"OwnerId": crm_user(srv, ANNA)})])
    run_cycle(ws, crm)
    anna = ws.list("user", f"email = '{ANNA}'")[0]["id"]
    assert ws.get(pid)["owner_id"] == anna


def test_hygiene_actions_on_a_synced_person_reach_the_crm(connected):
    ws, srv, crm = connected
    pid = ws.write([Change({"email": "ola@example.no", "last_name": "Nordmann", "company": "Fjord AS",
                            "title": "Engineer"})], SourceKind.FORM).ids[0]
    run_cycle(ws, crm)
    assert lead_of(srv, pid)["City"] is None
    ws.config.hygiene = HygieneConfig(rules=[
        HygieneRule(name="promoted", trigger=["changed"], fields=["title"],
                    actions=[Action(set={"city": "Oslo", "country": "Norway"}), Action(add_to_list="Promoted")])])
    ws.write([Change({"title": "CTO"}, id=pid)], SourceKind.UI)
    res = run_cycle(ws, crm)
    assert res.failed == 0
    lead = lead_of(srv, pid)
    assert (lead["Title"], lead["City"], lead["CountryCode"]) == ("CTO", "Oslo", "NO")
    campaign = next(c for c in srv.org.store.table("Campaign").values() if c["Name"] == "Promoted")
    members = [m for m in srv.org.store.table("CampaignMember").values() if m["CampaignId"] == campaign["Id"]]
    assert [m["LeadId"] for m in members] == [lead["Id"]]
    run_cycle(ws, crm)  # and the next pull changes nothing back
    p = ws.get(pid)
    assert (p["city"], p["title"], p["time_zone"]) == ("Oslo", "CTO", "Europe/Oslo")
