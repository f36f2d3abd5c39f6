"""Find, merge and undo in a workspace, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from leadbridge.dedupe.find import auto_merge, find
from leadbridge.dedupe.merge import merge, undo
from leadbridge.dedupe.synthetic import synthetic_people
from leadbridge.errors import DedupeError
from leadbridge.model import Change, SourceKind
from leadbridge.model.changes import Outcome
from leadbridge.store import dedupe_state
from leadbridge.workspace import Workspace

BOOKKEEPING = {"updated_at", "field_times"}


def background(ws: Workspace, n: int = 150) -> None:
    """Distinct people, so the matcher learns what agreement between strangers looks like."""
    people = synthetic_people(n, duplicate_share=0.0, seed=9)
    ws.write([Change({k: v for k, v in p.items() if k != "entity"}) for p in people], SourceKind.LIST_IMPORT)


def snapshot(ws: Workspace) -> dict[str, Any]:
    """Everything a merge touches, as users would compare it (bookkeeping timestamps aside)."""
    db = ws.db
    out: dict[str, Any] = {}
    with db.engine.connect() as conn:
        people = db.object_table("person")
        out["person"] = {r["id"]: {k: v for k, v in r.items() if k not in BOOKKEEPING}
                         for r in conn.execute(sa.select(people)).mappings()}
        for obj in ("campaign_member", "activity"):
            t = db.object_table(obj)
            out[obj] = sorted(tuple(r) for r in conn.execute(sa.select(t.c.id, t.c.person_id)))
        links = db.table("crm_link")
        out["crm_link"] = sorted(tuple(r) for r in conn.execute(
            sa.select(links.c.id, links.c.record_id, links.c.crm_object, links.c.crm_id, links.c.active)))
        hist = db.table("record_change")
        out["history"] = dict(tuple(r) for r in conn.execute(sa.select(hist.c.id, hist.c.record_id)))
    return out


@pytest.fixture
def pair(workspace: Workspace) -> tuple[Workspace, int, int, int]:
    """A marketing-only person and the same person as a CRM Contact, with a membership and an activity."""
    ws = workspace
    a = ws.write([Change({"first_name": "Robert", "last_name": "Smith", "email": "rob@acme.com", "company": "Acme",
                          "title": "CTO", "lead_score": 10})], SourceKind.LIST_IMPORT).ids[0]
    b = ws.write([Change({"first_name": "Bob", "last_name": "Smith", "email": "bob.smith@gmail.com",
                          "phone": "+14155550101", "lead_score": 80}, crm_id="003000000000001AAA",
                         crm_object="Contact")], SourceKind.CRM).ids[0]
    ws.write([Change({"lead_score": 95}, id=a)], SourceKind.FORM)  # a's score is the most recent
    campaign = ws.write([Change({"name": "Webinar", "is_list": False})], SourceKind.UI, "campaign").ids[0]
    ws.write([Change({"campaign_id": campaign, "person_id": a, "status": "Responded"})], SourceKind.FORM,
             "campaign_member")
    ws.write([Change({"person_id": a, "type": "form_fill"})], SourceKind.FORM, "activity")
    return ws, a, b, campaign


def test_merge_keeps_the_crm_contact_and_applies_survivorship(pair):
    ws, a, b, campaign = pair
    outcome = merge(ws, [a, b])
    assert outcome.plan.winner_id == b and outcome.plan.why == "is a CRM Contact"
    winner = ws.get(b)
    assert winner["first_name"] == "Bob"            # the winner's value
    assert winner["company"] == "Acme"              # a blank never wins: filled from the loser
    assert winner["title"] == "CTO"
    assert winner["lead_score"] == 95               # lead_score: most recent
    assert ws.get(a)["merged_into_id"] == b
    assert [p["id"] for p in ws.list(where="last_name = Smith")] == [b]
    members = ws.list("campaign_member", where=f"campaign_id = {campaign}")
    assert [m["person_id"] for m in members] == [b]
    assert [x["person_id"] for x in ws.list("activity")] == [b]
    sources = {h["source"] for h in ws.history(b)}
    assert "merge" in sources and "list_import" in sources  # the loser's history came along
    event = dedupe_state.get_merge(ws.db, outcome.merge_id)
    assert event["winner_id"] == b and event["loser_ids"] == [a]


def test_a_merged_persons_email_and_crm_id_lead_to_the_winner(pair):
    ws, a, b, _ = pair
    merge(ws, [a, b])
    before = ws.count()
    res = ws.write([Change({"email": "ROB@acme.com", "city": "Austin"})], SourceKind.LIST_IMPORT)
    assert res.items[0].outcome is Outcome.UPDATED and res.ids == [b]
    assert ws.count() == before and ws.get(b)["city"] == "Austin"


def test_undo_restores_everything_exactly(pair):
    ws, a, b, _ = pair
    before = snapshot(ws)
    outcome = merge(ws, [a, b])
    assert snapshot(ws) != before
    result = undo(ws, outcome.merge_id)
    after = snapshot(ws)
    assert after["person"] == before["person"]
    assert after["campaign_member"] == before["campaign_member"]
    assert after["activity"] == before["activity"]
    assert after["crm_link"] == before["crm_link"]
    assert {k: v for k, v in after["history"].items() if k in before["history"]} == before["history"]
    assert set(result.restored) >= {"company", "title", "lead_score"} and not result.kept
    with pytest.raises(DedupeError, match="already undone"):
        undo(ws, outcome.merge_id)


def test_undo_keeps_later_edits_to_the_winner(pair):
    ws, a, b, _ = pair
    outcome = merge(ws, [a, b])
    ws.write([Change({"title": "VP Engineering"}, id=b)], SourceKind.UI)
    result = undo(ws, outcome.merge_id)
    assert ws.get(b)["title"] == "VP Engineering" and result.kept == {"title": "VP Engineering"}
    assert ws.get(b)["company"] is None            # restored: it was blank before the merge
    assert ws.get(a)["merged_into_id"] is None and ws.get(a)["title"] == "CTO"


def test_dry_run_changes_nothing(pair):
    ws, a, b, _ = pair
    before = snapshot(ws)
    outcome = merge(ws, [a, b], dry_run=True)
    assert outcome.plan.winner_id == b and outcome.merge_id is None and outcome.moved
    assert snapshot(ws) == before and dedupe_state.merges(ws.db) == []


def test_merging_a_merged_person_again_says_what_to_do(pair):
    ws, a, b, _ = pair
    merge(ws, [a, b])
    with pytest.raises(DedupeError, match=f"already merged into {b}"):
        merge(ws, [a, b])
    with pytest.raises(DedupeError, match="at least two"):
        merge(ws, [b])


def test_undo_in_order_when_merges_chain(pair):
    ws, a, b, _ = pair
    c = ws.write([Change({"first_name": "Rob", "last_name": "Smith", "email": "rs@acme.com"})],
                 SourceKind.LIST_IMPORT).ids[0]
    first = merge(ws, [a, b])
    second = merge(ws, [b, c])
    with pytest.raises(DedupeError, match=f"followed by merge {second.merge_id}"):
        undo(ws, first.merge_id)
    undo(ws, second.merge_id)
    undo(ws, first.merge_id)
    assert all(ws.get(i)["merged_into_id"] is None for i in (a, b, c))


def test_find_clusters_then_auto_merge(workspace: Workspace):
    ws = workspace
    background(ws)
    ids = ws.write([
        Change({"first_name": "Elizabeth", "last_name": "Warrington", "email": "liz.warrington@gmail.com",
                "company": "Northwind Traders Inc.", "phone": "+12065550188"}),
        Change({"first_name": "Liz", "last_name": "Warrington", "email": "l.i.z.warrington+promo@gmail.com",
                "company": "NORTHWIND TRADERS"}),
        Change({"first_name": "Elizabeth", "last_name": "Warington", "email": "ewarrington@northwind.com",
                "company": "Northwind Traders GmbH", "phone": "(206) 555-0188"}),
    ], SourceKind.LIST_IMPORT).ids
    people = ws.count()
    report = find(ws)
    cluster = next(c for c in report.clusters if ids[0] in c.ids)
    assert cluster.ids == sorted(ids)
    reasons = {f["field"]: f["level"] for p in cluster.pairs for f in p["fields"] if p["a"] == ids[0]
               and p["b"] == ids[1]}
    assert reasons["email"] == "same address" and reasons["first_name"] == "nickname"
    assert all(len(c.ids) >= 2 for c in report.clusters)
    assert report.records == people
    _, outcomes = auto_merge(ws)
    assert len(outcomes) == len(report.clusters)
    assert ws.count() == people - sum(len(c.ids) - 1 for c in report.clusters)
    assert find(ws).clusters == []                      # nothing left to merge


def test_review_queue_remembers_rejections(workspace: Workspace):
    ws = workspace
    background(ws)
    ws.config.dedupe.auto_merge_threshold = 1.0         # nothing merges by itself: every match goes to review
    ws.config.dedupe.review_threshold = 0.5
    x, y = ws.write([
        Change({"first_name": "Dana", "last_name": "Okafor", "email": "dana.okafor@contoso.com",
                "company": "Contoso"}),
        Change({"first_name": "Dana", "last_name": "Okafor", "email": "dokafor@contoso.com", "company": "Contoso Ltd"}),
    ], SourceKind.LIST_IMPORT).ids
    report = find(ws)
    assert (x, y) in {(p["a"], p["b"]) for p in report.review}
    queued = dedupe_state.review_queue(ws.db, "person")
    mine = next(p for p in queued if (p["a_id"], p["b_id"]) == (x, y))
    assert mine["detail"]["fields"] and report.new_review == len(queued)
    dedupe_state.decide_pair(ws.db, mine["id"], "rejected", "tester")
    again = find(ws)
    assert (x, y) not in {(p["a"], p["b"]) for p in again.review} and again.rejected_before >= 1
    assert again.new_review == 0


def test_scheduled_auto_merge_runs_once_per_period(workspace: Workspace):
    from datetime import datetime, timedelta, timezone

    from leadbridge.dedupe.schedule import due, run_if_due
    ws = workspace
    ws.write([Change({"first_name": "Ann", "last_name": "Lee", "email": "ann.lee@gmail.com", "company": "Initech"}),
              Change({"first_name": "Ann", "last_name": "Lee", "email": "a.n.n.lee+x@gmail.com",
                      "company": "Initech"})], SourceKind.LIST_IMPORT)
    assert run_if_due(ws) is None                     # schedule: off by default
    ws.config.dedupe.schedule = "daily"
    now = datetime.now(timezone.utc)
    assert run_if_due(ws, now) == 1 and ws.count() == 1
    assert not due(ws, now + timedelta(hours=23)) and due(ws, now + timedelta(hours=25))
    from leadbridge.store import sync_state
    assert sync_state.alerts(ws.db)[0]["kind"] == "dedupe_auto_merge"
