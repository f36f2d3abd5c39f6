"""Write stages: what they set reaches the CRM by policy, and what they write beside the batch
goes through the same door, in the same transaction."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.model.policies import FieldRule
from leadbridge.config import PolicyConfig
from leadbridge.store import routing_state
from leadbridge.workspace import Workspace
from leadbridge.writepath.item import PendingItem, WriteContext


def _outbox(ws: Workspace) -> list[dict]:
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]


class SetWhenTitleChanges:
    """A stage that sets one field whenever a title comes in (like a hygiene rule)."""

    name = "set_when_title"

    def __init__(self, field: str, value):
        self.field, self.value = field, value

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        for item in items:
            if "title" in item.applied:
                item.set(self.field, self.value, note="test stage")


@pytest.mark.parametrize("rule, pushed", [(FieldRule.LATEST_WINS, True), (FieldRule.MA_WINS, True),
                                          (FieldRule.CRM_WINS, False), (FieldRule.NONE, False)])
def test_a_field_a_stage_sets_is_pushed_when_its_policy_lets_it(workspace: Workspace, rule, pushed):
    pid = workspace.write([Change({"email": "s@example.com", "title": "A"})], SourceKind.API).items[0].id
    workspace.config.policies["city"] = PolicyConfig(rule=rule)
    workspace.stages.append(SetWhenTitleChanges("city", "Oslo"))
    res = workspace.write([Change({"title": "B"}, id=pid)], SourceKind.UI)
    assert workspace.get(pid)["city"] == "Oslo"
    assert set(res.items[0].pushed) == ({"title", "city"} if pushed else {"title"})
    assert set(json.loads(_outbox(workspace)[-1]["fields"])) == set(res.items[0].pushed)
    note = [h for h in workspace.history(pid) if h["field"] == "city"][-1]["note"]
    assert note == "test stage"


def test_a_stage_acting_on_a_crm_pull_pushes_nothing(workspace: Workspace):
    workspace.stages.append(SetWhenTitleChanges("city", "Oslo"))
    before = len(_outbox(workspace))
    res = workspace.write([Change({"email": "c@example.com", "title": "A"}, crm_id="00Q000000000001AAA",
                                  crm_object="Lead")], SourceKind.CRM)
    assert workspace.get(res.items[0].id)["city"] == "Oslo"
    assert len(_outbox(workspace)) == before


class AddToList:
    """A stage that puts every new person on a list, through ctx.write once ids are known."""

    name = "add_to_list"

    def __init__(self, fail_after: bool = False):
        self.fail_after = fail_after

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        if ctx.obj.name == "person":
            ctx.scratch[self.name] = [i.index for i in items if i.is_new]

    def persisted(self, items: list[PendingItem], ctx: WriteContext) -> None:
        wanted = set(ctx.scratch.pop(self.name, []))
        people = [i.id for i in items if i.index in wanted]
        if not people:
            return
        camp = ctx.write([Change({"name": "Stage list", "is_list": True})], "campaign",
                         Source(SourceKind.HYGIENE, "list rule"))
        ctx.write([Change({"campaign_id": camp.ids[0], "person_id": p, "status": "Added"}) for p in people],
                  "campaign_member", Source(SourceKind.HYGIENE, "list rule"))
        if self.fail_after:
            raise RuntimeError("the batch fails after its nested writes")


def _members(ws: Workspace) -> list[dict]:
    return ws.list("campaign_member", limit=None)


def test_nested_writes_get_history_and_outbox_in_the_same_batch(workspace: Workspace):
    workspace.stages.append(AddToList())
    res = workspace.write([Change({"email": f"n{i}@example.com"}) for i in range(3)], SourceKind.FORM)
    members = _members(workspace)
    assert sorted(m["person_id"] for m in members) == sorted(res.ids)
    camp = workspace.list("campaign", limit=None)
    assert [c["name"] for c in camp] == ["Stage list"]
    hist = workspace.history(members[0]["id"], "campaign_member")
    assert {h["source"] for h in hist} == {"hygiene"} and {h["source_detail"] for h in hist} == {"list rule"}
    queued = {(e["object"], e["record_id"]) for e in _outbox(workspace)}
    assert ("campaign", camp[0]["id"]) in queued
    assert all(("campaign_member", m["id"]) in queued for m in members)
    # the same list again: matched by name, not a second campaign
    workspace.write([Change({"email": "n9@example.com"})], SourceKind.FORM)
    assert len(workspace.list("campaign", limit=None)) == 1 and len(_members(workspace)) == 4


def test_nested_writes_roll_back_with_their_batch(workspace: Workspace):
    workspace.stages.append(AddToList())
    workspace.write([Change({"email": "d@example.com"})], SourceKind.FORM, dry_run=True)
    assert workspace.count() == 0 and _members(workspace) == [] and workspace.list("campaign", limit=None) == []
    workspace.stages[-1] = AddToList(fail_after=True)
    with pytest.raises(RuntimeError):
        workspace.write([Change({"email": "f@example.com"})], SourceKind.FORM)
    assert workspace.count() == 0 and _members(workspace) == [] and _outbox(workspace) == []


def test_nested_writes_leave_other_stages_batch_state_alone(workspace: Workspace):
    """Routing keeps its decisions for the batch while a later stage's nested writes run the stages again."""
    workspace.write([Change({"email": "anna@example.com", "name": "Anna", "active": True})],
                    Source(SourceKind.SYSTEM), "user")
    from leadbridge.routing.config import Member, RouteRule, Team
    workspace.config.routing.teams = [Team(name="Everyone", members=[Member(user="anna@example.com")])]
    workspace.config.routing.rules = [RouteRule(name="all", when="email is not empty", team="Everyone")]
    workspace.stages.append(AddToList())
    pid = workspace.write([Change({"email": "r@example.com", "country": "DE"})], SourceKind.FORM).ids[0]
    assert workspace.get(pid)["owner_id"] is not None
    assert [d["rule"] for d in routing_state.decisions_of(workspace.db, pid)] == ["all"]
    assert len(_members(workspace)) == 1
