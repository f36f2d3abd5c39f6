"""The sync engine against the sandbox CRM over real HTTPS: push, pull, errors, retries, conversion, echo.

CRM-side edits are made in the sandbox's org (as a sales user would); targeted faults
(`srv.faults.fail_next`) make the next matching requests fail as Salesforce does.
"""

from __future__ import annotations

import json
import time

import sqlalchemy as sa

from leadbridge.model import Change, SourceKind
from leadbridge.store import outbox, sync_state
from leadbridge.sync.engine import run_cycle
from leadbridge.workspace import Workspace


def person(ws: Workspace, **values) -> int:
    base = {"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee", "company": "Acme"}
    return ws.write([Change({**base, **values})], SourceKind.FORM).items[0].id


def states(ws: Workspace) -> dict[str, int]:
    return outbox.backlog(ws.db, "person")


def leads(srv) -> dict[str, dict]:
    return dict(srv.org.store.table("Lead"))


def crm_edit(srv, obj: str, rid: str, **values) -> None:
    srv.org.commit(obj, [srv.org.prepare_update(obj, rid, values)])


def crm_add(srv, obj: str, **values) -> str:
    rec = srv.org.prepare_create(obj, values)
    srv.org.commit(obj, [rec])
    return rec["Id"]


def due_now(ws: Workspace) -> None:
    """Skip the backoff wait (the test does not sleep through it)."""
    with ws.db.atomic() as conn:
        conn.execute(ws.db.table("outbox").update().values(next_attempt_at=None))


def outbox_rows(ws: Workspace) -> list[dict]:
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t).order_by(t.c.id)).mappings()]


def test_new_person_is_created_as_lead_by_external_id_and_linked(connected):
    ws, srv, crm = connected
    pid = person(ws)
    res = run_cycle(ws, crm)
    assert res.pushed == 1
    [lead] = leads(srv).values()
    assert (lead["LastName"], lead["Company"], lead["Leadbridge_Id__c"]) == ("Lee", "Acme", str(pid))
    assert [(l["crm_object"], l["crm_id"]) for l in ws.crm_links(pid)] == [("Lead", lead["Id"])]
    assert states(ws) == {"done": 1}


def test_echo_push_then_pull_creates_no_outbox_entries(connected):
    ws, srv, crm = connected
    person(ws)
    run_cycle(ws, crm)
    before = len(outbox_rows(ws))
    run_cycle(ws, crm)
    run_cycle(ws, crm)
    assert len(outbox_rows(ws)) == before


def test_crm_change_is_pulled_by_rule(connected):
    ws, srv, crm = connected
    pid = person(ws, title="Engineer", lead_score=10)
    run_cycle(ws, crm)
    crm_edit(srv, "Lead", ws.crm_links(pid)[0]["crm_id"], Title="CTO", Status="Working - Contacted")
    res = run_cycle(ws, crm)
    rec = ws.get(pid)
    assert res.pulled >= 1 and rec["title"] == "CTO" and rec["lead_status"] == "Working - Contacted"


def test_local_change_newer_than_crm_change_wins_under_latest_wins(connected):
    ws, srv, crm = connected
    pid = person(ws, title="Engineer")
    run_cycle(ws, crm)
    lead_id = ws.crm_links(pid)[0]["crm_id"]
    crm_edit(srv, "Lead", lead_id, Title="Sales title")
    time.sleep(0.05)
    ws.write([Change({"title": "VP"}, id=pid)], SourceKind.UI)  # the more recent change
    run_cycle(ws, crm)
    assert ws.get(pid)["title"] == "VP" and leads(srv)[lead_id]["Title"] == "VP"


def test_data_error_is_kept_with_fix_and_requeued_when_record_changes(connected):
    ws, srv, crm = connected
    pid = person(ws, email="nocompany@example.com", company=None)
    res = run_cycle(ws, crm)
    assert res.failed == 1 and leads(srv) == {}
    [err] = sync_state.open_errors(ws.db)
    assert (err["code"], err["fields"], err["error_class"]) == ("REQUIRED_FIELD_MISSING", ["Company"], "data")
    assert "Company" in err["fix"]
    ws.write([Change({"company": "Fixed Inc"}, id=pid)], SourceKind.UI)
    res = run_cycle(ws, crm)
    assert res.pushed == 1 and sync_state.open_errors(ws.db) == []
    [lead] = leads(srv).values()
    assert (lead["Company"], lead["Email"]) == ("Fixed Inc", "nocompany@example.com")  # the earlier fields too


def test_transient_failure_retries_with_backoff(connected):
    ws, srv, crm = connected
    person(ws)
    srv.faults.fail_next("unavailable", path="/composite/sobjects")
    res = run_cycle(ws, crm, do_pull=False)
    assert res.pushed == 0 and leads(srv) == {}
    [row] = outbox_rows(ws)
    assert row["state"] == "pending" and row["attempts"] == 1 and row["next_attempt_at"] is not None
    assert "SERVER_UNAVAILABLE" in row["last_error"]
    assert run_cycle(ws, crm, do_pull=False).pushed == 0  # not due yet: the backoff is honoured
    due_now(ws)
    assert run_cycle(ws, crm).pushed == 1 and len(leads(srv)) == 1


def test_locked_row_is_retried_not_failed(connected):
    ws, srv, crm = connected
    pid = person(ws)
    run_cycle(ws, crm)
    lead_id = ws.crm_links(pid)[0]["crm_id"]
    ws.write([Change({"title": "CEO"}, id=pid)], SourceKind.UI)
    srv.faults.fail_next("lock", path="/composite/sobjects")
    res = run_cycle(ws, crm, do_pull=False)
    assert (res.pushed, res.failed) == (0, 0) and sync_state.open_errors(ws.db) == []
    assert leads(srv)[lead_id].get("Title") is None
    due_now(ws)
    assert run_cycle(ws, crm).pushed == 1
    assert leads(srv)[lead_id]["Title"] == "CEO"


def test_dropped_connection_is_retried_and_lands_once(connected):
    ws, srv, crm = connected
    pid = person(ws)
    srv.faults.fail_next("drop", path="/composite/sobjects")  # applied in the CRM, the answer lost
    run_cycle(ws, crm, do_pull=False)
    due_now(ws)
    run_cycle(ws, crm, do_pull=False)
    assert [l["Leadbridge_Id__c"] for l in leads(srv).values()] == [str(pid)]
    assert ws.crm_links(pid)[0]["crm_id"] in leads(srv)


def test_crm_created_lead_becomes_a_person_and_email_change_keeps_identity(connected):
    ws, srv, crm = connected
    lead = crm_add(srv, "Lead", FirstName="Zed", LastName="Ng", Company="Z", Email="zed@example.com")
    run_cycle(ws, crm)
    [rec] = ws.list(where="email = 'zed@example.com'")
    crm_edit(srv, "Lead", lead, Email="zed.ng@example.com")
    run_cycle(ws, crm)
    assert ws.count() == 1 and ws.get(rec["id"])["email"] == "zed.ng@example.com"
    ws.write([Change({"email": "zed@ng.example.com"}, id=rec["id"])], SourceKind.UI)  # and on our side
    run_cycle(ws, crm)
    assert ws.count() == 1 and leads(srv)[lead]["Email"] == "zed@ng.example.com" and len(leads(srv)) == 1


def test_deleted_crm_record_unlinks(connected):
    ws, srv, crm = connected
    pid = person(ws)
    run_cycle(ws, crm)
    srv.org.delete("Lead", ws.crm_links(pid)[0]["crm_id"])
    res = run_cycle(ws, crm)
    assert res.deleted == 1 and ws.crm_links(pid)[0]["active"] is False and ws.count() == 1


def test_sync_filter_skips_test_records(connected):
    ws, srv, crm = connected
    person(ws, email="t@example.com", is_test=True)
    res = run_cycle(ws, crm)
    assert res.skipped == 1 and leads(srv) == {}
    assert states(ws) == {"skipped": 1}


def test_unmapped_owner_fails_before_the_api_call(connected):
    ws, srv, crm = connected
    uid = ws.write([Change({"name": "Rep", "email": "rep@example.com"})], SourceKind.API, obj="user").items[0].id
    person(ws, owner_id=uid)
    run_cycle(ws, crm, do_push=False)  # users pulled and linked: rep@example.com is no CRM user
    used = srv.org.api_used
    res = run_cycle(ws, crm, do_pull=False)
    [err] = sync_state.open_errors(ws.db)
    assert res.failed == 1 and (err["code"], err["fields"]) == ("UNMAPPED_OWNER", ["OwnerId"])
    assert leads(srv) == {} and res.api_calls == 0 and srv.org.api_used == used  # refused before any API call


def test_owner_mapped_by_email_is_pushed_as_crm_user(connected):
    ws, srv, crm = connected
    crm_user = next(u["Id"] for u in srv.org.store.table("User").values() if u["Email"] == "ben@sandbox.leadbridge.local")
    run_cycle(ws, crm)  # pulls users and links them by email
    [user] = ws.list("user", where="email = 'ben@sandbox.leadbridge.local'")
    person(ws, owner_id=user["id"])
    run_cycle(ws, crm)
    [lead] = leads(srv).values()
    assert lead["OwnerId"] == crm_user


def test_sync_log_keeps_every_push_and_pull(connected):
    ws, srv, crm = connected
    pid = person(ws)
    run_cycle(ws, crm)
    crm_edit(srv, "Lead", ws.crm_links(pid)[0]["crm_id"], Title="X")
    run_cycle(ws, crm)
    log = sync_state.log_of(ws.db, "person", pid)
    directions = [e["direction"] for e in log]
    assert directions[0] == "push" and "pull" in directions
    assert json.loads(log[0]["payload"])["LastName"] == "Lee"
    pulled = next(e for e in log if e["direction"] == "pull" and "title" in e["result"])
    assert json.loads(pulled["payload"])["Title"] == "X"


def test_crm_merge_of_two_records_of_one_person_just_retires_the_loser(connected):
    ws, srv, crm = connected
    pid = person(ws)
    run_cycle(ws, crm)
    loser = ws.crm_links(pid)[0]["crm_id"]
    master = crm_add(srv, "Lead", LastName="Lee", Company="Acme", Email="ann2@example.com")  # sales' own copy
    ws.write([Change({}, id=pid, crm_id=master, crm_object="Lead")], SourceKind.CRM)  # both linked to Ann
    crm.merge("Lead", master, [loser])
    res = run_cycle(ws, crm)
    assert res.merged == 1 and ws.count() == 1
    assert {(l["crm_id"], l["active"]) for l in ws.crm_links(pid)} == {(loser, False), (master, True)}
    assert sync_state.alerts(ws.db) == [] and sync_state.open_errors(ws.db) == []
    ws.write([Change({"title": "VP"}, id=pid)], SourceKind.UI)
    run_cycle(ws, crm)
    assert leads(srv)[master]["Title"] == "VP" and len(leads(srv)) == 1


def test_transient_failure_of_the_pull_does_not_stop_the_cycle(connected):
    ws, srv, crm = connected
    person(ws)
    srv.faults.fail_next("unavailable", path="/query")  # the pull's first query
    res = run_cycle(ws, crm)
    assert res.pull_error and "SERVER_UNAVAILABLE" in res.pull_error
    assert res.pushed == 1 and res.paused is None
    assert run_cycle(ws, crm).pull_error is None

