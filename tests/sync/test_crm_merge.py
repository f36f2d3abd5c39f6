"""A merge done in the CRM, pulled over real HTTPS from the sandbox (the SOAP merge call, getDeleted, queryAll)."""

from __future__ import annotations



from leadbridge.model import Change, SourceKind
from leadbridge.store import outbox, sync_state
from leadbridge.sync.engine import run_cycle
from leadbridge.sync.resync import resync
from leadbridge.workspace import Workspace


def person(ws: Workspace, email: str, **values) -> int:
    base = {"email": email, "first_name": "Ann", "last_name": "Lee", "company": "Acme"}
    return ws.write([Change({**base, **values})], SourceKind.FORM).items[0].id


def links(ws: Workspace, pid: int) -> set[tuple[str, str, bool]]:
    return {(l["crm_object"], l["crm_id"], l["active"]) for l in ws.crm_links(pid)}


def lead_of(ws: Workspace, pid: int) -> str:
    return next(l["crm_id"] for l in ws.crm_links(pid) if l["active"] and l["crm_object"] == "Lead")


def test_merge_of_two_local_people_flags_duplicates_and_holds_the_loser(connected):
    ws, srv, crm = connected
    a = person(ws, "ann@example.com", title="Buyer")
    b = person(ws, "ann.lee@example.com")
    run_cycle(ws, crm)
    loser, master = lead_of(ws, a), lead_of(ws, b)
    assert crm.merge("Lead", master, [loser]) == [loser]  # the CRM's SOAP merge, over HTTPS
    assert srv.org.store.deleted["Lead"][loser]["MasterRecordId"] == master

    res = run_cycle(ws, crm)
    assert res.merged == 1 and res.deleted == 0
    assert links(ws, a) == {("Lead", loser, False)}  # the deleted loser's link retired, no new link
    assert links(ws, b) == {("Lead", master, True)}
    assert ws.count() == 2  # the local merge is dedupe's job, not the sync's
    alert = sync_state.alerts(ws.db)[0]
    assert alert["kind"] == "crm_merge_duplicates"
    assert alert["message"] == (f"CRM merged Lead {loser} into {master}; local people {a} and {b} are duplicates "
                                "— run `leadbridge dedupe`")
    err = sync_state.open_errors(ws.db, "CRM_MERGED")
    assert [e["record_id"] for e in err] == [a] and "leadbridge dedupe" in err[0]["fix"]
    log_a = sync_state.log_of(ws.db, "person", a)
    assert log_a[-1]["error_code"] == "CRM_MERGED" and log_a[-1]["crm_id"] == loser

    # a change to the loser's person is held: pushing would re-create the Lead sales just merged away
    ws.write([Change({"title": "VP"}, id=a)], SourceKind.UI)
    res = run_cycle(ws, crm)
    assert res.failed == 1 and len(srv.org.store.table("Lead")) == 1
    assert outbox.backlog(ws.db, "person").get("pending", 0) == 0

    run_cycle(ws, crm)  # the deletion is still in the overlap window: nothing happens twice
    assert len([x for x in sync_state.alerts(ws.db) if x["kind"] == "crm_merge_duplicates"]) == 1


def test_held_person_is_pushed_again_after_resync_by_code(connected):
    ws, srv, crm = connected
    a = person(ws, "ann@example.com")
    b = person(ws, "bob@example.com", first_name="Bob")
    run_cycle(ws, crm)
    crm.merge("Lead", lead_of(ws, b), [lead_of(ws, a)])
    run_cycle(ws, crm)
    ws.write([Change({"title": "VP"}, id=a)], SourceKind.UI)
    run_cycle(ws, crm)
    assert len(srv.org.store.table("Lead")) == 1
    assert resync(ws, code="CRM_MERGED") == 1  # someone checked: not the same person after all
    run_cycle(ws, crm)
    assert len(srv.org.store.table("Lead")) == 2 and sync_state.open_errors(ws.db) == []
    assert {l["Title"] for l in srv.org.store.table("Lead").values()} == {"VP", None}


def test_merge_into_a_record_no_local_person_has_relinks_the_person(connected):
    ws, srv, crm = connected
    a = person(ws, "ann@example.com")
    run_cycle(ws, crm)
    loser = lead_of(ws, a)
    # sales' own record of the same person, without our external id, under another email
    created = srv.org.prepare_create("Lead", {"LastName": "Lee", "Company": "Acme", "Email": "a.lee@acme.example",
                                              "Title": "Director"})
    srv.org.commit("Lead", [created])
    master = created["Id"]
    crm.merge("Lead", master, [loser])

    res = run_cycle(ws, crm)
    assert res.merged == 1 and ws.count() == 1  # never a second person
    assert links(ws, a) == {("Lead", loser, False), ("Lead", master, True)}
    assert (ws.get(a)["title"], ws.get(a)["email"]) == ("Director", "a.lee@acme.example")  # the master's values
    assert sync_state.open_errors(ws.db) == [] and not [x for x in sync_state.alerts(ws.db)
                                                         if x["kind"] == "crm_merge_duplicates"]
    ws.write([Change({"title": "VP"}, id=a)], SourceKind.UI)
    run_cycle(ws, crm)
    assert [l["Title"] for l in srv.org.store.table("Lead").values()] == ["VP"]  # pushed to the master


def test_merge_of_contacts_after_conversion(connected):
    ws, srv, crm = connected
    a = person(ws, "ann@example.com")
    b = person(ws, "bea@example.com", first_name="Bea")
    run_cycle(ws, crm)
    ca = srv.org.convert_lead(lead_of(ws, a))["contactId"]
    cb = srv.org.convert_lead(lead_of(ws, b))["contactId"]
    run_cycle(ws, crm)
    crm.merge("Contact", ca, [cb])
    res = run_cycle(ws, crm)
    assert res.merged == 1
    assert ("Contact", cb, False) in links(ws, b) and ("Contact", ca, True) in links(ws, a)
    assert sync_state.alerts(ws.db)[0]["message"].startswith(f"CRM merged Contact {cb} into {ca}; local people {b} and {a}")


def test_plain_delete_still_unlinks(connected):
    ws, srv, crm = connected
    a = person(ws, "ann@example.com")
    run_cycle(ws, crm)
    lead = lead_of(ws, a)
    srv.org.delete("Lead", lead)
    res = run_cycle(ws, crm)
    assert (res.deleted, res.merged) == (1, 0) and links(ws, a) == {("Lead", lead, False)}
    assert run_cycle(ws, crm).deleted == 0  # re-read in the overlap window, not counted twice
