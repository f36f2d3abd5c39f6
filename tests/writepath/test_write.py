"""The one door: identity, coercion, history, outbox, batches."""

from __future__ import annotations

import json

import sqlalchemy as sa

from leadbridge.model import Change, Outcome, Source, SourceKind
from leadbridge.workspace import Workspace


def _outbox(ws: Workspace) -> list[dict]:
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t).order_by(t.c.id)).mappings()]


def test_create_then_update_by_email_match_key(workspace: Workspace):
    r1 = workspace.write([Change({"email": "Ann@Example.com", "last_name": "Lee"})], SourceKind.LIST_IMPORT)
    r2 = workspace.write([Change({"email": "ann@example.COM ", "title": "CTO"})], SourceKind.FORM)
    assert r1.items[0].outcome is Outcome.CREATED
    assert r2.items[0].outcome is Outcome.UPDATED and r2.items[0].id == r1.items[0].id
    assert workspace.count() == 1
    assert workspace.get(r1.items[0].id)["title"] == "CTO"


def test_changing_email_never_creates_a_second_person(workspace: Workspace):
    pid = workspace.write([Change({"email": "old@example.com", "last_name": "X"})], SourceKind.API).items[0].id
    workspace.write([Change({"email": "new@example.com"}, id=pid)], SourceKind.UI)
    again = workspace.write([Change({"email": "new@example.com", "city": "Oslo"})], SourceKind.FORM).items[0]
    assert again.id == pid and workspace.count() == 1
    assert workspace.get(pid)["email_key"] == "new@example.com"
    # the old address no longer matches: a form with it is a new person
    other = workspace.write([Change({"email": "old@example.com"})], SourceKind.FORM).items[0]
    assert other.outcome is Outcome.CREATED and other.id != pid


def test_crm_id_resolves_through_the_crosswalk(workspace: Workspace):
    r = workspace.write([Change({"email": "c@example.com", "last_name": "C"}, crm_id="00Q000000000001AAA",
                                crm_object="Lead")], SourceKind.CRM).items[0]
    assert workspace.crm_links(r.id)[0]["crm_id"] == "00Q000000000001AAA"
    # the CRM changes the email: found by CRM id, not by the (new) email
    r2 = workspace.write([Change({"email": "changed@example.com"}, crm_id="00Q000000000001AAA",
                                 crm_object="Lead")], SourceKind.CRM).items[0]
    assert r2.id == r.id and r2.outcome is Outcome.UPDATED and workspace.count() == 1


def test_crm_record_matching_an_existing_email_links_to_it(workspace: Workspace):
    pid = workspace.write([Change({"email": "m@example.com"})], SourceKind.FORM).items[0].id
    r = workspace.write([Change({"email": "M@example.com", "last_name": "M"}, crm_id="00Q0000000000XYZAB",
                                crm_object="Lead")], SourceKind.CRM).items[0]
    assert r.id == pid and [l["crm_id"] for l in workspace.crm_links(pid)] == ["00Q0000000000XYZAB"]


def test_unknown_id_and_bad_values_are_rejected_with_reasons(workspace: Workspace):
    res = workspace.write([
        Change({"lead_score": "abc", "email": "a@example.com"}, ref="row2"),
        Change({"title": "x"}, id=999, ref="row3"),
        Change({"shoe_size": 42, "email": "b@example.com"}, ref="row4"),
        Change({"email": "c@example.com", "lead_score": "7"}, ref="row5"),
    ], SourceKind.API)
    by_ref = {i.ref: i for i in res.items}
    assert by_ref["row2"].outcome is Outcome.REJECTED
    assert "lead_score" in by_ref["row2"].reasons[0] and "'abc'" in by_ref["row2"].reasons[0]
    assert "integer" in by_ref["row2"].reasons[0]
    assert by_ref["row3"].reasons == ["no person with id 999"]
    assert "unknown field 'shoe_size'" in by_ref["row4"].reasons[0]
    assert by_ref["row5"].outcome is Outcome.CREATED
    assert workspace.count() == 1


def test_same_person_twice_in_one_batch_is_one_record(workspace: Workspace):
    res = workspace.write([Change({"email": "d@example.com", "title": "A"}, ref=1),
                           Change({"email": "D@example.com", "city": "Paris"}, ref=2)], SourceKind.LIST_IMPORT)
    assert res.items[0].id == res.items[1].id
    rec = workspace.get(res.items[0].id)
    assert (rec["title"], rec["city"], workspace.count()) == ("A", "Paris", 1)


def test_history_names_source_actor_old_and_new(workspace: Workspace):
    pid = workspace.write([Change({"email": "h@example.com", "title": "Engineer"})],
                          Source(SourceKind.LIST_IMPORT, "Webinar March")).items[0].id
    workspace.write([Change({"title": "CTO"}, id=pid)], Source(SourceKind.UI, actor="maria"))
    hist = [h for h in workspace.history(pid) if h["field"] == "title"]
    assert [(h["source"], h["source_detail"], h["old"], h["new"]) for h in hist] == [
        ("list_import", "Webinar March", None, "Engineer"), ("ui", None, "Engineer", "CTO")]
    assert hist[1]["actor"] == "maria"


def test_unchanged_write_makes_no_history_or_outbox(workspace: Workspace):
    pid = workspace.write([Change({"email": "u@example.com", "title": "A"})], SourceKind.API).items[0].id
    n_hist, n_out = len(workspace.history(pid)), len(_outbox(workspace))
    res = workspace.write([Change({"email": "u@example.com", "title": "A"})], SourceKind.API)
    assert res.items[0].outcome is Outcome.UNCHANGED
    assert (len(workspace.history(pid)), len(_outbox(workspace))) == (n_hist, n_out)


def test_outbox_lists_pushable_changed_fields(workspace: Workspace):
    pid = workspace.write([Change({"email": "o@example.com", "title": "A"})], SourceKind.API).items[0].id
    workspace.write([Change({"title": "B", "territory": "EMEA"}, id=pid)], SourceKind.UI)
    last = _outbox(workspace)[-1]
    assert last["record_id"] == pid and json.loads(last["fields"]) == ["title"]  # territory: rule none
    assert last["state"] == "pending"


def test_crm_changes_create_no_outbox_entries(workspace: Workspace):
    n = len(_outbox(workspace))
    workspace.write([Change({"email": "e@example.com", "title": "A"}, crm_id="00Q00000000000EAAA")], SourceKind.CRM)
    assert len(_outbox(workspace)) == n


def test_batches_split_large_writes(workspace: Workspace):
    workspace.config.write.batch_size = 7
    res = workspace.write((Change({"email": f"n{i}@example.com"}) for i in range(20)), SourceKind.API)
    assert res.count(Outcome.CREATED) == 20
    t = workspace.db.table("write_batch")
    with workspace.db.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() == 3


def test_checkpointed_batch_is_applied_once(workspace: Workspace):
    changes = [Change({"email": "k@example.com", "comments": "hello"})]
    assert not workspace.write(changes, SourceKind.LIST_IMPORT, checkpoint="imp1:0").skipped
    again = workspace.write(changes, SourceKind.LIST_IMPORT, checkpoint="imp1:0")
    assert again.skipped and again.items == []


def test_custom_fields_are_real_columns_with_coercion(workspace: Workspace):
    workspace.add_field("product_interest", "picklist", values=["Analytics", "Platform"])
    workspace.add_field("employees_est", "number")
    res = workspace.write([Change({"email": "f@example.com", "product_interest": "Platform",
                                   "employees_est": "1,200"}),
                           Change({"email": "g@example.com", "employees_est": "many"})], SourceKind.API)
    assert workspace.get(res.items[0].id)["employees_est"] == 1200.0
    assert res.items[1].reasons == ["field 'employees_est': 'many' is not a valid number: not a number"]
    assert [p["email"] for p in workspace.list(where="employees_est > 1000")] == ["f@example.com"]
    cols = sa.inspect(workspace.db.engine).get_columns("person")
    assert "product_interest" in {c["name"] for c in cols}


def test_hostile_strings_are_stored_verbatim(workspace: Workspace):
    evil = ["Robert'); DROP TABLE person;--", "=HYPERLINK(\"http://x\")", "<script>alert(1)</script>",
            "名字 🙂 \u202eevil", "a" * 5000]
    res = workspace.write([Change({"email": f"x{i}@example.com", "comments": s}) for i, s in enumerate(evil)],
                          SourceKind.API)
    assert [workspace.get(i.id)["comments"] for i in res.items] == evil
    assert workspace.count() == len(evil)


def test_nul_bytes_are_rejected_not_truncated(workspace: Workspace):
    res = workspace.write([Change({"email": "n@example.com", "title": "a\x00b"})], SourceKind.API)
    assert res.items[0].outcome is Outcome.REJECTED and "NUL" in res.items[0].reasons[0]


def test_dry_run_reports_outcomes_and_writes_nothing(workspace: Workspace):
    pid = workspace.write([Change({"email": "y@example.com", "title": "A"})], SourceKind.API).items[0].id
    res = workspace.write([Change({"email": "y@example.com", "title": "B"}), Change({"email": "z@example.com"}),
                           Change({"email": "q@example.com", "lead_score": "x"})], SourceKind.API, dry_run=True)
    assert [i.outcome for i in res.items] == [Outcome.UPDATED, Outcome.CREATED, Outcome.REJECTED]
    assert workspace.get(pid)["title"] == "A" and workspace.count() == 1
    assert len(_outbox(workspace)) == 1


def test_change_with_id_and_crm_id_records_the_link_once(workspace: Workspace):
    pid = workspace.write([Change({"email": "l@example.com"})], SourceKind.API).items[0].id
    for _ in range(2):
        workspace.write([Change({}, id=pid, crm_id="00Q00000000000LAAA", crm_object="Lead")], SourceKind.CRM)
    assert [(l["crm_object"], l["crm_id"]) for l in workspace.crm_links(pid)] == [("Lead", "00Q00000000000LAAA")]


def test_notes_and_field_lists_many_rows_share_are_stored_once(workspace: Workspace):
    """A note several records of a batch share, and a long outbox field list, are stored once by number;
    history and the outbox read them back as text."""
    from leadbridge.store import outbox
    res = workspace.write([Change({"email": f"n{i}@example.com", "country": "USA", "city": "Boston"})
                           for i in range(3)], Source(SourceKind.LIST_IMPORT, "Webinar 2026"))
    pid = res.items[0].id
    t = workspace.db.table("record_change")
    with workspace.db.engine.connect() as conn:
        raw = json.loads(conn.execute(sa.select(t.c.changes).where(t.c.record_id == pid, t.c.object == "person"))
                         .scalar_one())
        stored = conn.execute(sa.select(sa.func.count()).select_from(workspace.db.table("stored_text"))).scalar_one()
    assert type(raw["registration_source_type"][2]) is int and stored >= 2
    notes = {h["field"]: h["note"] for h in workspace.history(pid)}
    assert notes["registration_source_type"] == "registration source: list_import:Webinar 2026"
    assert notes["country"].startswith("standards:")
    entries = outbox.claim(workspace.db, "person", 10, "test")
    assert {tuple(json.loads(e["fields"])) for e in entries} == {tuple(res.items[0].pushed)}
    assert "registration_source_info" in json.loads(entries[0]["fields"])
