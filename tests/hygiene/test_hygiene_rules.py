"""Hygiene rules acting on entry: triggers, filters, actions in order, history naming the rule, no loops."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from leadbridge.hygiene.config import Action, HygieneConfig, HygieneRule
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def rules(*items: HygieneRule) -> HygieneConfig:
    return HygieneConfig(rules=list(items))


def test_rules_fix_flag_and_list_on_entry(workspace: Workspace):
    ws = workspace
    ws.config.hygiene = rules(
        HygieneRule(name="german phones are in Germany", trigger=["created"],
                    when="country is empty and phone startswith '+49'",
                    actions=[Action(set={"country": "Germany"}), Action(route=True)]),
        HygieneRule(name="no company", trigger=["imported"], when="company is empty",
                    actions=[Action(flag="company missing"), Action(add_to_list="Needs company")]),
    )
    pid = ws.write([Change({"email": "a@b.de", "phone": "+49 30 1234567"})], SourceKind.LIST_IMPORT).ids[0]
    p = ws.get(pid)
    assert p["country"] == "Germany" and p["territory"] == "EMEA" and p["time_zone"] == "Europe/Berlin"
    assert p["data_invalid"] is True and "company missing" in p["data_issues"]
    members = ws.list("campaign_member", where=f"person_id = {pid}")
    assert len(members) == 1 and ws.get(members[0]["campaign_id"], "campaign")["name"] == "Needs company"
    country = next(h for h in ws.history(pid) if h["field"] == "country")
    assert country["new"] == "Germany" and "rule 'german phones are in Germany'" in country["note"]


def test_triggers_and_filters(workspace: Workspace):
    ws = workspace
    ws.config.hygiene = rules(HygieneRule(name="title change", trigger=["changed"], fields=["title"],
                                          actions=[Action(set={"lead_status": "Recycled"})]))
    pid = ws.write([Change({"email": "t@x.com", "title": "CTO"})], SourceKind.FORM).ids[0]
    assert ws.get(pid)["lead_status"] is None            # created, not changed
    ws.write([Change({"city": "Oslo"}, id=pid)], SourceKind.UI)
    assert ws.get(pid)["lead_status"] is None            # another field changed
    ws.write([Change({"title": "CEO"}, id=pid)], SourceKind.UI)
    assert ws.get(pid)["lead_status"] == "Recycled"


def test_rules_cannot_loop(workspace: Workspace):
    """Two rules that would feed each other forever run once each, in order."""
    ws = workspace
    ws.config.hygiene = rules(
        HygieneRule(name="a", trigger=["changed"], fields=["title"], actions=[Action(set={"city": "A"})]),
        HygieneRule(name="b", trigger=["changed"], fields=["city"], actions=[Action(set={"title": "B"})]),
    )
    pid = ws.write([Change({"email": "l@x.com"})], SourceKind.FORM).ids[0]
    ws.write([Change({"title": "CTO"}, id=pid)], SourceKind.UI)
    p = ws.get(pid)
    assert (p["title"], p["city"]) == ("CTO", "A")        # b is not triggered by a's change to city
    ws.write([Change({"city": "Oslo"}, id=pid)], SourceKind.UI)
    p = ws.get(pid)
    assert (p["title"], p["city"]) == ("B", "Oslo")      # a is not triggered by b's change to title


def test_request_sync_queues_an_unchanged_person(workspace: Workspace):
    ws = workspace
    pid = ws.write([Change({"email": "s@x.com", "last_name": "S"})], SourceKind.FORM).ids[0]
    before = queued(ws, pid)
    ws.config.hygiene = rules(HygieneRule(name="resync on form", trigger=["form"],
                                          actions=[Action(request_sync=True)]))
    res = ws.write([Change({"email": "s@x.com"})], SourceKind.FORM)
    assert res.items[0].outcome.value == "unchanged" and queued(ws, pid) == before + 1


def queued(ws: Workspace, pid: int) -> int:
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(t.c.record_id == pid, t.c.state == "pending")).scalar()


def test_an_action_has_one_kind():
    with pytest.raises(ValidationError, match="exactly one"):
        Action(set={"a": 1}, flag="x")
