"""Hygiene actions: real changes only, values checked like input, flags that stick, lists and sync
requests through the one door, the sources rules act on."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from leadbridge.errors import ConfigError
from leadbridge.hygiene.config import Action, HygieneConfig, HygieneRule
from leadbridge.model import Change, SourceKind
from leadbridge.model.changes import Source
from leadbridge.routing.config import Member, RouteRule, RoutingConfig, Team
from leadbridge.store import routing_state
from leadbridge.workspace import Workspace


def rules(*items: HygieneRule) -> HygieneConfig:
    return HygieneConfig(rules=list(items))


def outbox(ws: Workspace, obj: str | None = None) -> list[dict]:
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(t.c.id))]
    return [r for r in rows if obj is None or r["object"] == obj]


def test_changed_fires_only_when_the_value_really_changes(workspace: Workspace):
    ws = workspace
    ws.config.hygiene = rules(HygieneRule(name="title change", trigger=["changed"], fields=["title", "country"],
                                          actions=[Action(set={"lead_status": "Recycled"})]))
    pid = ws.write([Change({"email": "t@x.com", "title": "CTO", "country": "Germany"})], SourceKind.FORM).ids[0]
    ws.write([Change({"title": "CTO"}, id=pid)], SourceKind.UI)          # the same value again
    ws.write([Change({"country": "Deutschland"}, id=pid)], SourceKind.LIST_IMPORT)  # normalizes to the same
    ws.write([Change({"title": "CTO", "last_name": "T"}, crm_id="00Q000000000001AAA", crm_object="Lead",
                     id=pid)], SourceKind.CRM)                          # a pull echoing the value
    assert ws.get(pid)["lead_status"] is None
    ws.write([Change({"title": "CEO"}, id=pid)], SourceKind.UI)
    assert ws.get(pid)["lead_status"] == "Recycled"


def test_set_values_are_coerced_normalized_and_checked(workspace: Workspace):
    ws = workspace
    ws.config.hygiene = rules(HygieneRule(name="fill", trigger=["created"], when="email like '%.us'",
                                          actions=[Action(set={"country": "USA", "state": "Calif.",
                                                               "lead_score": "90", "unsubscribed": "no"})]))
    pid = ws.write([Change({"email": "a@b.us"})], SourceKind.FORM).ids[0]
    p = ws.get(pid)
    assert (p["country"], p["state"], p["lead_score"], p["unsubscribed"]) == ("United States", "CA", 90, False)
    assert (p["territory"], p["time_zone"]) == ("NA West", "America/Los_Angeles")  # routing saw the set values
    ws.config.hygiene = rules(HygieneRule(name="narnia", trigger=["created"],
                                          actions=[Action(set={"country": "Narnia"})]))
    bad = ws.write([Change({"email": "n@b.us"})], SourceKind.FORM).items[0]
    p = ws.get(bad.id)
    assert p["data_invalid"] is True and "country known" in p["data_issues"]  # flagged like any input


@pytest.mark.parametrize("rule, message", [
    (HygieneRule(name="r", trigger=["created"], actions=[Action(set={"lead_score": "high"})]),
     "hygiene rule 'r': set: "),
    (HygieneRule(name="r", trigger=["created"], actions=[Action(set={"no_such": 1})]),
     "hygiene rule 'r': set: unknown field 'no_such'"),
    (HygieneRule(name="r", trigger=["changed"], fields=["titel"], actions=[Action(flag="x")]),
     "hygiene rule 'r': fields: unknown field(s) titel"),
    (HygieneRule(name="r", trigger=["created"], when="titel = CTO", actions=[Action(flag="x")]),
     "hygiene rule 'r': when: unknown field 'titel'"),
    (HygieneRule(name="r", trigger=["created"], actions=[Action(normalize="title")]),
     "hygiene rule 'r': normalize: no normalizer for 'title'"),
    (HygieneRule(name="r", trigger=["created"], actions=[Action(set={"data_invalid": True})]),
     "set by leadbridge itself"),
])
def test_rules_that_do_not_fit_the_schema_fail_before_anything_is_written(workspace: Workspace, rule, message):
    ws = workspace
    ws.config.hygiene = rules(rule)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ws.write([Change({"email": "x@y.com"})], SourceKind.FORM)
    assert ws.count() == 0
    path = ws.root / "leadbridge.yaml"
    path.write_text(path.read_text() + "hygiene:\n  rules:\n    - " + json.dumps(rule.model_dump(
        mode="json", exclude_defaults=True)) + "\n")
    with pytest.raises(ConfigError, match="hygiene rule 'r'"):  # and when the workspace opens
        Workspace.open(ws.root)


def test_a_flag_stays_across_later_writes_and_clears_when_its_condition_goes(workspace: Workspace):
    ws = workspace
    ws.config.hygiene = rules(HygieneRule(name="no company", trigger=["created", "imported"], when="company is empty",
                                          actions=[Action(flag="company missing")]))
    pid = ws.write([Change({"email": "f@x.com", "last_name": "F"})], SourceKind.LIST_IMPORT).ids[0]
    p = ws.get(pid)
    assert p["data_invalid"] is True and "hygiene: no company: company missing" in p["data_issues"]
    ws.write([Change({"first_name": "fred"}, id=pid)], SourceKind.UI)  # the standards stage re-checks the person
    p = ws.get(pid)
    assert p["first_name"] == "Fred"
    assert p["data_invalid"] is True and "hygiene: no company: company missing" in p["data_issues"]
    ws.write([Change({"company": "Acme"}, id=pid)], SourceKind.UI)
    p = ws.get(pid)
    assert p["data_invalid"] is None and "hygiene:" not in (p["data_issues"] or "")


def test_merges_and_system_writes_are_left_alone_unless_a_rule_names_them(workspace: Workspace):
    ws = workspace
    ws.config.hygiene = rules(
        HygieneRule(name="recycle", trigger=["changed"], fields=["company"],
                    actions=[Action(set={"title": "Recycled"})]),
        HygieneRule(name="crm only", trigger=["changed"], fields=["city"], sources=[SourceKind.CRM],
                    actions=[Action(set={"department": "Sales"})]))
    pid = ws.write([Change({"email": "m@x.com"})], SourceKind.FORM).ids[0]
    ws.write([Change({"company": "Merged Co"}, id=pid)], Source(SourceKind.MERGE, "merged 2 into 1"))
    ws.write([Change({"company": "System Co"}, id=pid)], SourceKind.SYSTEM)
    assert ws.get(pid)["title"] is None
    ws.write([Change({"city": "Oslo"}, id=pid)], SourceKind.UI)
    assert ws.get(pid)["department"] is None  # the rule acts on CRM writes only
    ws.write([Change({"city": "Bergen", "last_name": "M"}, id=pid, crm_id="00Q000000000002AAA",
                     crm_object="Lead")], SourceKind.CRM)
    assert ws.get(pid)["department"] == "Sales"
    ws.write([Change({"company": "Real Co"}, id=pid)], SourceKind.UI)
    assert ws.get(pid)["title"] == "Recycled"


def test_add_to_list_writes_the_campaign_and_members_through_the_one_door(workspace: Workspace):
    ws = workspace
    ws.config.hygiene = rules(HygieneRule(name="needs company", trigger=["imported"], when="company is empty",
                                          actions=[Action(add_to_list="Needs company")]))
    ids = ws.write([Change({"email": f"l{i}@x.com"}) for i in range(3)], Source(SourceKind.LIST_IMPORT, "Expo")).ids
    ws.write([Change({"email": "l0@x.com", "title": "CTO"})], Source(SourceKind.LIST_IMPORT, "Expo again"))
    camps = ws.list("campaign", limit=None)
    assert [(c["name"], c["is_list"]) for c in camps] == [("Needs company", True)]
    members = ws.list("campaign_member", limit=None)
    assert sorted(m["person_id"] for m in members) == sorted(ids)  # once each, the re-import adds nobody
    hist = ws.history(members[0]["id"], "campaign_member")
    assert {(h["source"], h["source_detail"]) for h in hist} == {("hygiene", "rule 'needs company'")}
    assert all(h["batch_id"] > 0 for h in hist + ws.history(camps[0]["id"], "campaign"))
    queued = {(e["object"], e["record_id"]) for e in outbox(ws)}
    assert ("campaign", camps[0]["id"]) in queued and all(("campaign_member", m["id"]) in queued for m in members)


def test_request_sync_queues_the_person_in_the_batch(workspace: Workspace):
    ws = workspace
    pid = ws.write([Change({"email": "s@x.com", "last_name": "S", "company": "C"})], SourceKind.FORM).ids[0]
    before = len(outbox(ws, "person"))
    ws.config.hygiene = rules(HygieneRule(name="resync on form", trigger=["form"], actions=[Action(request_sync=True)]))
    res = ws.write([Change({"email": "s@x.com"})], SourceKind.FORM)
    assert res.items[0].outcome.value == "unchanged"
    entries = outbox(ws, "person")
    assert len(entries) == before + 1 and entries[-1]["batch_id"] == res.batch_id
    assert entries[-1]["record_id"] == pid
    fields = set(json.loads(entries[-1]["fields"]))
    assert {"email", "last_name", "company"} <= fields and "territory" not in fields  # only what may be pushed


def test_a_rule_that_routes_and_the_routing_stage_make_one_decision(workspace: Workspace):
    ws = workspace
    ws.write([Change({"email": "anna@x.com", "name": "Anna"})], SourceKind.SYSTEM, "user")
    ws.config.routing = RoutingConfig(teams=[Team(name="EMEA", members=[Member(user="anna@x.com")])],
                                      rules=[RouteRule(name="own", when="country is not empty", territory="*")])
    ws.config.hygiene = rules(HygieneRule(name="german phones", trigger=["created"], when="phone startswith '+49'",
                                          actions=[Action(set={"country": "Germany"}), Action(route=True)]))
    pid = ws.write([Change({"email": "p@x.de", "phone": "+49 30 1234567"})], SourceKind.FORM).ids[0]
    decisions = routing_state.decisions_of(ws.db, pid)
    assert len(decisions) == 1 and decisions[0]["user_email"] == "anna@x.com"
    owner = next(h for h in ws.history(pid) if h["field"] == "owner_id")
    assert owner["note"].startswith("hygiene: rule 'german phones': routed to EMEA team → anna@x.com")
    t = ws.db.table("route_counter")
    with ws.db.engine.connect() as conn:
        assert conn.execute(sa.select(t.c.total)).scalars().all() == [1]
