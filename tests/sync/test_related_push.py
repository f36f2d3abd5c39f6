"""Companies, campaigns and campaign members pushed to the sandbox over real HTTPS (Account, Campaign,
CampaignMember), Contact.AccountId both ways, CRM deletions of those records, and lost answers."""

from __future__ import annotations

import json


from leadbridge.model import Change, SourceKind
from leadbridge.sandbox import SandboxServer
from leadbridge.sandbox.config import ValidationRule
from leadbridge.store import outbox, sync_state
from leadbridge.sync.engine import run_cycle
from leadbridge.sync.push import PUSH_ORDER
from leadbridge.workspace import Workspace


def link(ws: Workspace, rid: int, obj: str, crm_object: str | None = None) -> str | None:
    return next((l["crm_id"] for l in ws.crm_links(rid, obj)
                 if l["active"] and (crm_object is None or l["crm_object"] == crm_object)), None)


def crm(srv: SandboxServer, obj: str, rid: str) -> dict:
    return srv.org.store.get(obj, rid)


def crm_all(srv: SandboxServer, obj: str) -> list[dict]:
    return list(srv.org.store.table(obj).values())


def pending(ws: Workspace) -> int:
    return sum(outbox.backlog(ws.db, o).get("pending", 0) for o in PUSH_ORDER)


def last_log(ws: Workspace, obj: str, rid: int) -> dict:
    return json.loads(sync_state.log_of(ws.db, obj, rid)[-1]["result"])


def seed(ws: Workspace) -> dict[str, int]:
    acme = ws.write([Change({"name": "Acme GmbH", "website": "https://acme.example", "country": "Germany"})],
                    SourceKind.UI, obj="company").ids[0]
    webinar = ws.write([Change({"name": "Spring Webinar", "type": "Webinar", "status": "Planned"})],
                       SourceKind.UI, obj="campaign").ids[0]
    ann, bob = ws.write([Change({"email": "ann@example.com", "last_name": "Lee", "company": "Acme GmbH",
                                 "company_id": acme}),
                         Change({"email": "bob@example.com", "last_name": "Ng", "company": "Beta"})],
                        SourceKind.FORM).ids
    m_ann, m_bob = ws.write([Change({"campaign_id": webinar, "person_id": ann, "status": "Registered"}),
                             Change({"campaign_id": webinar, "person_id": bob, "status": "Sent"})],
                            SourceKind.UI, obj="campaign_member").ids
    return {"acme": acme, "webinar": webinar, "ann": ann, "bob": bob, "m_ann": m_ann, "m_bob": m_bob}


def test_company_campaign_and_members_reach_the_crm_linked_to_each_other(connected):
    ws, srv, c = connected
    ids = seed(ws)
    res = run_cycle(ws, c)
    assert res.paused is None and res.failed == 0
    assert res.pushed_by_object == {"company": {"pushed": 1, "failed": 0, "skipped": 0, "retried": 0},
                                    "campaign": {"pushed": 1, "failed": 0, "skipped": 0, "retried": 0},
                                    "person": {"pushed": 2, "failed": 0, "skipped": 0, "retried": 0},
                                    "campaign_member": {"pushed": 2, "failed": 0, "skipped": 0, "retried": 0}}
    account = crm(srv, "Account", link(ws, ids["acme"], "company"))
    assert (account["Name"], account["Website"], account["Leadbridge_Id__c"]) == \
        ("Acme GmbH", "https://acme.example", str(ids["acme"]))
    campaign_id = link(ws, ids["webinar"], "campaign")
    assert (crm(srv, "Campaign", campaign_id)["Name"], crm(srv, "Campaign", campaign_id)["Type"]) == \
        ("Spring Webinar", "Webinar")
    lead = link(ws, ids["ann"], "person", "Lead")
    member = crm(srv, "CampaignMember", link(ws, ids["m_ann"], "campaign_member"))
    assert (member["CampaignId"], member["LeadId"], member["Status"]) == (campaign_id, lead, "Registered")
    assert res.backlog == 0

    # a second cycle pulls our own records back: nothing new locally, nothing to push (no echo)
    res = run_cycle(ws, c)
    assert res.pushed == 0 and pending(ws) == 0
    assert ws.count("company") == 1 and ws.count("campaign") == 1 and ws.count("campaign_member") == 2

    # a status change on the member is an update: CampaignId/LeadId are create-only and not re-sent
    ws.write([Change({"status": "Attended"}, id=ids["m_ann"])], SourceKind.UI, obj="campaign_member")
    res = run_cycle(ws, c)
    assert res.failed == 0 and res.pushed_by_object["campaign_member"]["pushed"] == 1
    assert crm(srv, "CampaignMember", link(ws, ids["m_ann"], "campaign_member"))["Status"] == "Attended"
    assert len(crm_all(srv, "CampaignMember")) == 2


def test_contact_account_follows_the_company_both_ways(connected):
    ws, srv, c = connected
    ids = seed(ws)
    run_cycle(ws, c)
    acme_account = link(ws, ids["acme"], "company")
    conv = srv.org.convert_lead(link(ws, ids["ann"], "person", "Lead"), acme_account)
    run_cycle(ws, c)
    assert link(ws, ids["ann"], "person", "Contact") == conv["contactId"]
    assert ws.get(ids["ann"])["company_id"] == ids["acme"]

    # marketing moves Ann to a company the CRM has not seen: the Account is made first, then AccountId set
    beta = ws.write([Change({"name": "Beta Ltd"})], SourceKind.UI, obj="company").ids[0]
    ws.write([Change({"company_id": beta}, id=ids["ann"])], SourceKind.UI)
    res = run_cycle(ws, c)
    assert res.failed == 0
    beta_account = link(ws, beta, "company")
    assert crm(srv, "Account", beta_account)["Name"] == "Beta Ltd"
    assert crm(srv, "Contact", conv["contactId"])["AccountId"] == beta_account

    # sales moves her back to Acme in the CRM: the pull maps AccountId to the local company
    srv.org.commit("Contact", [srv.org.prepare_update("Contact", conv["contactId"], {"AccountId": acme_account})])
    run_cycle(ws, c)
    assert ws.get(ids["ann"])["company_id"] == ids["acme"]
    assert pending(ws) == 0  # the pulled change is not pushed back


def test_contact_waits_for_a_company_the_crm_refused(connected):
    ws, srv, c = connected
    ids = seed(ws)
    run_cycle(ws, c)
    conv = srv.org.convert_lead(link(ws, ids["ann"], "person", "Lead"), link(ws, ids["acme"], "company"))
    run_cycle(ws, c)
    # a company the CRM refuses (a validation rule: a data error): Ann's Contact waits for it, whole
    gamma = ws.write([Change({"name": "Gamma 2"})], SourceKind.UI, obj="company").ids[0]
    srv.org.config.validation_rules.append(ValidationRule(object="Account", name="no_digits", field="Name",
                                                          pattern=r"[^0-9]*", message="No digits in account names"))
    ws.write([Change({"company_id": gamma, "title": "CTO"}, id=ids["ann"])], SourceKind.UI)
    res = run_cycle(ws, c)
    contact = crm(srv, "Contact", conv["contactId"])
    assert contact["Title"] is None and contact["AccountId"] == link(ws, ids["acme"], "company")
    assert res.pushed_by_object["company"]["failed"] == 1 and res.backlog == 1
    assert last_log(ws, "person", ids["ann"]) == {"waiting": f"company_id={gamma} is not in the CRM yet"}
    run_cycle(ws, c)  # waiting uses no attempts and no API call, and the pull does not undo her change
    assert ws.get(ids["ann"])["company_id"] == gamma
    err = next(e for e in sync_state.open_errors(ws.db) if e["object"] == "company")
    assert err["record_id"] == gamma and "No digits in account names" in err["message"]

    # the company is fixed; it lands and Ann's Contact follows in the same cycle
    ws.write([Change({"name": "Gamma Two"}, id=gamma)], SourceKind.UI, obj="company")
    res = run_cycle(ws, c)
    contact = crm(srv, "Contact", conv["contactId"])
    assert (contact["Title"], contact["AccountId"]) == ("CTO", link(ws, gamma, "company")) and res.backlog == 0
    assert not [e for e in sync_state.open_errors(ws.db) if e["object"] == "company"]


def test_member_already_in_the_crm_is_adopted_not_duplicated(connected):
    """Sales added Bob to the campaign in the CRM, or our create's answer was lost in a crash: one member."""
    ws, srv, c = connected
    ids = seed(ws)
    run_cycle(ws, c)
    members = {m["LeadId"]: m["Id"] for m in crm_all(srv, "CampaignMember")}
    # lose the answer: the links of both members vanish and their entries are pending again
    t = ws.db.table("crm_link")
    with ws.db.engine.begin() as conn:
        conn.execute(t.delete().where(t.c.object == "campaign_member"))
    outbox.enqueue(ws.db, "campaign_member", [ids["m_ann"], ids["m_bob"]], ["status"])
    ws.write([Change({"status": "Responded"}, id=ids["m_bob"])], SourceKind.UI, obj="campaign_member")
    res = run_cycle(ws, c)
    assert res.failed == 0 and res.paused is None
    assert len(crm_all(srv, "CampaignMember")) == 2
    bob_lead = link(ws, ids["bob"], "person", "Lead")
    assert link(ws, ids["m_bob"], "campaign_member") == members[bob_lead]
    assert crm(srv, "CampaignMember", members[bob_lead])["Status"] == "Responded"


def test_member_of_a_person_who_never_syncs_is_skipped_with_the_reason(connected):
    ws, srv, c = connected
    ids = seed(ws)
    nomail = ws.write([Change({"last_name": "Nobody", "company": "X"})], SourceKind.UI).ids[0]
    m = ws.write([Change({"campaign_id": ids["webinar"], "person_id": nomail, "status": "Sent"})], SourceKind.UI,
                 obj="campaign_member").ids[0]
    res = run_cycle(ws, c)
    assert res.pushed_by_object["campaign_member"] == {"pushed": 2, "failed": 0, "skipped": 1, "retried": 0}
    assert link(ws, m, "campaign_member") is None and len(crm_all(srv, "CampaignMember")) == 2
    assert last_log(ws, "campaign_member", m) == {"reason": "its person does not sync"}


def test_crm_deletions_retire_links_and_keep_local_records(connected):
    ws, srv, c = connected
    ids = seed(ws)
    run_cycle(ws, c)
    account, member = link(ws, ids["acme"], "company"), link(ws, ids["m_bob"], "campaign_member")
    srv.org.delete("Account", account)
    srv.org.delete("CampaignMember", member)
    res = run_cycle(ws, c)
    assert res.related["company"]["deleted"] == 1 and res.related["campaign_member"]["deleted"] == 1
    assert link(ws, ids["acme"], "company") is None and link(ws, ids["m_bob"], "campaign_member") is None
    assert ws.get(ids["acme"], "company")["name"] == "Acme GmbH" and ws.count("campaign_member") == 2
    assert last_log(ws, "company", ids["acme"])["deleted_at"]


def test_pull_only_objects_and_dry_run(connected):
    ws, srv, c = connected
    ids = seed(ws)
    res = run_cycle(ws, c, dry_run=True)
    planned = {(d["object"], d["record"]): d for d in res.dry_run}
    assert planned[("company", ids["acme"])]["fields"]["Name"] == "Acme GmbH"
    assert planned[("campaign", ids["webinar"])]["crm_object"] == "Campaign"
    assert not crm_all(srv, "Account") and pending(ws) == 6  # a dry run sends nothing and keeps the queue

    ws.config.sync.related["company"].direction = "pull"
    res = run_cycle(ws, c)
    assert res.pushed_by_object["company"]["skipped"] == 1 and not crm_all(srv, "Account")
    # Ann's Contact-to-be is a Lead, which has no AccountId: the unlinked company does not hold her
    assert link(ws, ids["ann"], "person", "Lead")
