"""The sync engine against an in-memory CRM: push, pull, errors, retries, conversion, echo."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from leadbridge.errors import CrmConfigError
from leadbridge.model import Change, Source, SourceKind
from leadbridge.store import outbox, sync_state
from leadbridge.sync.engine import resume, run_cycle
from leadbridge.sync.status import sync_status
from leadbridge.workspace import Workspace

from fakecrm import FakeCrm, transient  # noqa: E402  (tests/sync on sys.path via conftest)


@pytest.fixture
def crm() -> FakeCrm:
    return FakeCrm()


def person(ws: Workspace, **values) -> int:
    base = {"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee", "company": "Acme"}
    return ws.write([Change({**base, **values})], SourceKind.FORM).items[0].id


def states(ws: Workspace) -> dict[str, int]:
    return outbox.backlog(ws.db, "person")


def test_new_person_is_created_as_lead_by_external_id_and_linked(workspace, crm):
    pid = person(workspace)
    res = run_cycle(workspace, crm)
    assert res.pushed == 1
    lead = next(iter(crm.records["Lead"].values()))
    assert (lead["LastName"], lead["Company"], lead["Leadbridge_Id__c"]) == ("Lee", "Acme", str(pid))
    assert [(l["crm_object"], l["crm_id"]) for l in workspace.crm_links(pid)] == [("Lead", lead["Id"])]
    assert states(workspace) == {"done": 1}


def test_echo_push_then_pull_creates_no_outbox_entries(workspace, crm):
    person(workspace)
    run_cycle(workspace, crm)
    t = workspace.db.table("outbox")
    with workspace.db.engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
    run_cycle(workspace, crm)
    run_cycle(workspace, crm)
    with workspace.db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() == before


def test_crm_change_is_pulled_by_rule(workspace, crm):
    pid = person(workspace, title="Engineer", lead_score=10)
    run_cycle(workspace, crm)
    lead_id = workspace.crm_links(pid)[0]["crm_id"]
    crm.edit("Lead", lead_id, Title="CTO", Status="Working - Contacted")
    res = run_cycle(workspace, crm)
    rec = workspace.get(pid)
    assert res.pulled >= 1 and rec["title"] == "CTO" and rec["lead_status"] == "Working - Contacted"


def test_local_change_newer_than_crm_change_wins_under_latest_wins(workspace, crm):
    pid = person(workspace, title="Engineer")
    run_cycle(workspace, crm)
    lead_id = workspace.crm_links(pid)[0]["crm_id"]
    old = crm.clock - timedelta(days=30)
    crm.edit("Lead", lead_id, at=old, Title="Stale title")  # an old CRM edit arriving late
    workspace.write([Change({"title": "VP"}, id=pid)], SourceKind.UI)
    run_cycle(workspace, crm)
    assert workspace.get(pid)["title"] == "VP"
    assert crm.records["Lead"][lead_id]["Title"] == "VP"


def test_data_error_is_kept_with_fix_and_requeued_when_record_changes(workspace, crm):
    pid = person(workspace, email="nocompany@example.com", company=None)
    res = run_cycle(workspace, crm)
    assert res.failed == 1 and crm.records["Lead"] == {}
    err = sync_state.open_errors(workspace.db)[0]
    assert (err["code"], err["fields"]) == ("REQUIRED_FIELD_MISSING", ["Company"]) and "Company" in err["fix"]
    workspace.write([Change({"company": "Fixed Inc"}, id=pid)], SourceKind.UI)
    res = run_cycle(workspace, crm)
    assert res.pushed == 1 and sync_state.open_errors(workspace.db) == []
    lead = next(iter(crm.records["Lead"].values()))
    assert (lead["Company"], lead["Email"]) == ("Fixed Inc", "nocompany@example.com")


def test_transient_failure_retries_with_backoff(workspace, crm):
    person(workspace)
    crm.fail_next_call = transient()
    res = run_cycle(workspace, crm, do_pull=False)
    assert res.pushed == 0
    t = workspace.db.table("outbox")
    with workspace.db.engine.connect() as conn:
        row = conn.execute(sa.select(t)).mappings().first()
    assert row["state"] == "pending" and row["attempts"] == 1 and row["next_attempt_at"] is not None
    with workspace.db.atomic() as conn:
        conn.execute(t.update().values(next_attempt_at=None))
    assert run_cycle(workspace, crm).pushed == 1 and len(crm.records["Lead"]) == 1


def test_locked_row_is_retried_not_failed(workspace, crm):
    pid = person(workspace)
    run_cycle(workspace, crm)
    lead_id = workspace.crm_links(pid)[0]["crm_id"]
    crm.lock_ids.add(lead_id)
    workspace.write([Change({"title": "CEO"}, id=pid)], SourceKind.UI)
    assert run_cycle(workspace, crm).failed == 0
    crm.lock_ids.clear()
    with workspace.db.atomic() as conn:
        conn.execute(workspace.db.table("outbox").update().values(next_attempt_at=None))
    run_cycle(workspace, crm)
    assert crm.records["Lead"][lead_id]["Title"] == "CEO"


def test_configuration_error_pauses_and_alerts(workspace, crm):
    person(workspace)
    crm.fail_next_call = CrmConfigError("INVALID_FIELD: No such column 'Foo__c'", code="INVALID_FIELD")
    run_cycle(workspace, crm)
    status = sync_status(workspace)
    assert status["status"] == "critical" and "paused" in status["paused"]
    assert status["alerts"][0]["kind"] == "config_error"
    assert run_cycle(workspace, crm).paused  # stays paused
    resume(workspace)
    assert run_cycle(workspace, crm).pushed == 1


def test_lead_conversion_relinks_to_contact_never_a_second_person(workspace, crm):
    pid = person(workspace)
    run_cycle(workspace, crm)
    lead_id = workspace.crm_links(pid)[0]["crm_id"]
    contact_id = crm.convert(lead_id)
    res = run_cycle(workspace, crm)
    assert res.converted == 1 and workspace.count() == 1
    links = {(l["crm_object"], l["crm_id"]): l["active"] for l in workspace.crm_links(pid)}
    assert links == {("Lead", lead_id): False, ("Contact", contact_id): True}
    workspace.write([Change({"title": "Buyer"}, id=pid)], SourceKind.UI)
    run_cycle(workspace, crm)
    assert crm.records["Contact"][contact_id]["Title"] == "Buyer"


def test_crm_created_lead_becomes_a_person_and_email_change_keeps_identity(workspace, crm):
    lead = crm.add("Lead", FirstName="Zed", LastName="Ng", Company="Z", Email="zed@example.com")
    run_cycle(workspace, crm)
    pid = workspace.list(where="email = 'zed@example.com'")[0]["id"]
    crm.edit("Lead", lead, Email="zed.ng@example.com")
    run_cycle(workspace, crm)
    assert workspace.count() == 1 and workspace.get(pid)["email"] == "zed.ng@example.com"


def test_deleted_crm_record_unlinks(workspace, crm):
    pid = person(workspace)
    run_cycle(workspace, crm)
    lead_id = workspace.crm_links(pid)[0]["crm_id"]
    crm.delete("Lead", lead_id)
    res = run_cycle(workspace, crm)
    assert res.deleted == 1 and workspace.crm_links(pid)[0]["active"] is False


def test_sync_filter_skips_test_records(workspace, crm):
    person(workspace, email="t@example.com", is_test=True)
    res = run_cycle(workspace, crm)
    assert res.skipped == 1 and crm.records["Lead"] == {}


def test_unmapped_owner_fails_before_the_api_call(workspace, crm):
    uid = workspace.write([Change({"name": "Rep", "email": "rep@example.com"})], SourceKind.API, obj="user").items[0].id
    person(workspace, owner_id=uid)
    res = run_cycle(workspace, crm)
    assert res.failed == 1 and sync_state.open_errors(workspace.db)[0]["code"] == "UNMAPPED_OWNER"
    assert crm.records["Lead"] == {} and crm.write_calls == 0  # refused before any API call


def test_owner_mapped_by_email_is_pushed_as_crm_user(workspace, crm):
    crm_user = crm.add("User", Name="Rep", Email="rep@example.com", IsActive=True)
    run_cycle(workspace, crm)  # pulls users and links them by email
    uid = workspace.list("user", where="email = 'rep@example.com'")[0]["id"]
    person(workspace, owner_id=uid)
    run_cycle(workspace, crm)
    assert next(iter(crm.records["Lead"].values()))["OwnerId"] == crm_user


def test_sync_log_keeps_every_push_and_pull(workspace, crm):
    pid = person(workspace)
    run_cycle(workspace, crm)
    crm.edit("Lead", workspace.crm_links(pid)[0]["crm_id"], Title="X")
    run_cycle(workspace, crm)
    log = sync_state.log_of(workspace.db, "person", pid)
    assert [e["direction"] for e in log][:1] == ["push"] and "pull" in [e["direction"] for e in log]
    assert json.loads(log[0]["payload"])["LastName"] == "Lee"


def test_crm_merge_of_two_records_of_one_person_just_retires_the_loser(workspace, crm):
    pid = person(workspace)
    run_cycle(workspace, crm)
    loser = workspace.crm_links(pid)[0]["crm_id"]
    master = crm.add("Lead", LastName="Lee", Company="Acme", Email="ann@example.com")  # sales' own copy
    run_cycle(workspace, crm)  # found by email: the same person, linked to both
    crm.merge("Lead", master, [loser])
    res = run_cycle(workspace, crm)
    assert res.merged == 1 and workspace.count() == 1
    assert {(l["crm_id"], l["active"]) for l in workspace.crm_links(pid)} == {(loser, False), (master, True)}
    assert sync_state.alerts(workspace.db) == [] and sync_state.open_errors(workspace.db) == []
    workspace.write([Change({"title": "VP"}, id=pid)], SourceKind.UI)
    run_cycle(workspace, crm)
    assert crm.records["Lead"][master]["Title"] == "VP"


def test_transient_failure_of_the_pull_does_not_stop_the_cycle(workspace, crm):
    person(workspace)
    crm.fail_next_call = transient()  # the first call of a cycle is the pull's
    res = run_cycle(workspace, crm)
    assert res.pull_error and res.pushed == 1 and res.paused is None
    assert run_cycle(workspace, crm).pull_error is None


def test_campaign_member_of_a_person_not_linked_here_is_skipped_and_logged(workspace, crm):
    camp = crm.add("Campaign", Name="Trade Show")
    crm.add("CampaignMember", CampaignId=camp, LeadId="00Q999999999999999", Status="Sent")
    res = run_cycle(workspace, crm)
    assert res.related["campaign"]["created"] == 1 and res.related["campaign_member"]["skipped"] == 1
    assert workspace.count("campaign_member") == 0
    t = workspace.db.table("sync_log")
    with workspace.db.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.object == "campaign_member")).mappings().first()
    assert row["status"] == "skipped" and "not linked" in row["result"]
