"""Accounts, campaigns, opportunities and campaign members pulled from the sandbox over real HTTPS into
the local company / campaign / opportunity / campaign_member objects, through the one write path."""

from __future__ import annotations


import sqlalchemy as sa

from leadbridge.model import Change, SourceKind
from leadbridge.sandbox import SandboxServer
from leadbridge.sync.engine import run_cycle
from leadbridge.workspace import Workspace


def crm_create(srv: SandboxServer, obj: str, **values) -> str:
    rec = srv.org.prepare_create(obj, values)
    srv.org.commit(obj, [rec])
    return rec["Id"]


def outbox_rows(ws: Workspace) -> int:
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()


def test_related_objects_are_pulled_and_linked(connected):
    ws, srv, crm = connected
    ann, bob = ws.write([Change({"email": "ann@example.com", "last_name": "Lee", "company": "Acme"}),
                         Change({"email": "bob@example.com", "last_name": "Ng", "company": "Beta"})],
                        SourceKind.FORM).ids
    local_campaign = ws.write([Change({"name": "Spring Webinar", "type": "Webinar"})], SourceKind.UI,
                              obj="campaign").ids[0]
    run_cycle(ws, crm)  # the people become Leads, the campaign a Campaign
    ann_lead = next(l["crm_id"] for l in ws.crm_links(ann) if l["crm_object"] == "Lead")
    bob_lead = next(l["crm_id"] for l in ws.crm_links(bob) if l["crm_object"] == "Lead")
    camp = ws.crm_links(local_campaign, "campaign")[0]["crm_id"]
    assert srv.org.store.get("Campaign", camp)["Name"] == "Spring Webinar"
    conv = srv.org.convert_lead(ann_lead)  # creates the Account "Acme" and a Contact
    srv.org.commit("Campaign", [srv.org.prepare_update("Campaign", camp, {"Status": "In Progress"})])
    opp = crm_create(srv, "Opportunity", Name="Acme renewal", StageName="Prospecting", CloseDate="2026-12-31",
                     Amount=12000.0, AccountId=conv["accountId"], CampaignId=camp)
    crm_create(srv, "CampaignMember", CampaignId=camp, ContactId=conv["contactId"], Status="Responded")
    crm_create(srv, "CampaignMember", CampaignId=camp, LeadId=bob_lead, Status="Sent")
    before = outbox_rows(ws)

    res = run_cycle(ws, crm)
    assert res.related["company"]["created"] == 1 and res.related["campaign"]["created"] == 0
    assert res.related["opportunity"]["created"] == 1 and res.related["campaign_member"]["created"] == 2
    company = ws.list("company")[0]
    assert company["name"] == "Acme" and ws.crm_links(company["id"], "company")[0]["crm_id"] == conv["accountId"]
    assert ws.count("campaign") == 1  # the pushed campaign comes back as itself, not doubled
    assert ws.get(local_campaign, "campaign")["status"] == "In Progress"
    o = ws.list("opportunity")[0]
    assert (o["name"], o["stage"], float(o["amount"]), str(o["close_date"])) == \
        ("Acme renewal", "Prospecting", 12000.0, "2026-12-31")
    assert (o["company_id"], o["campaign_id"]) == (company["id"], local_campaign)
    members = {m["person_id"]: m for m in ws.list("campaign_member")}
    assert set(members) == {ann, bob} and members[ann]["status"] == "Responded"
    assert {m["campaign_id"] for m in members.values()} == {local_campaign}
    assert outbox_rows(ws) == before  # pulled values are never pushed back

    srv.org.commit("Opportunity", [srv.org.prepare_update("Opportunity", opp, {"StageName": "Negotiation/Review"})])
    res = run_cycle(ws, crm)
    assert res.related["opportunity"] == {"pulled": 1, "unchanged": 0, "created": 0, "skipped": 0, "failed": 0,
                                              "deleted": 0}
    assert ws.count("opportunity") == 1 and ws.list("opportunity")[0]["stage"] == "Negotiation/Review"
    hist = [h for h in ws.history(o["id"], "opportunity") if h["field"] == "stage"]
    assert [h["new"] for h in hist] == ["Prospecting", "Negotiation/Review"] and hist[-1]["source"] == "crm"
