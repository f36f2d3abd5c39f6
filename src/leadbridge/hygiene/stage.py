"""Hygiene rules as a write stage: triggers come from the incoming change, actions run in rule order.

Loops are impossible by construction: triggers are computed once, from the fields the incoming
change set, before any rule acts; what rules set never triggers rules (their own or others').
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from leadbridge.hygiene.config import HygieneConfig, HygieneRule
from leadbridge.model import where as w
from leadbridge.model.changes import SourceKind
from leadbridge.routing.router import Router
from leadbridge.routing.stage import apply as apply_route
from leadbridge.sourcing.derive import SourceDeriver
from leadbridge.standards.normalize import normalize_record
from leadbridge.store import records, routing_state
from leadbridge.writepath.item import PendingItem, WriteContext


class HygieneStage:
    name = "hygiene"

    def __init__(self, cfg: HygieneConfig | None = None):
        self.cfg = cfg

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None:
        cfg = self.cfg or ctx.config.hygiene
        rules = [r for r in cfg.rules if r.enabled]
        if not rules or ctx.obj.name != "person":
            return
        parsed = [(r, w.parse(r.when) if r.when else None) for r in rules]
        ctx.scratch[self.name] = _BatchState()
        for item in items:
            incoming = set(item.applied)  # fixed before any rule acts: rules never retrigger rules
            for rule, node in parsed:
                if not _triggered(rule, item, incoming, ctx.source.kind):
                    continue
                if node is not None and not w.evaluate(node, item.record, ctx.now):
                    continue
                self._act(rule, item, ctx)

    def _act(self, rule: HygieneRule, item: PendingItem, ctx: WriteContext) -> None:
        note = f"hygiene: rule '{rule.name}'"
        state: _BatchState = ctx.scratch[self.name]
        for action in rule.actions:
            if action.set:
                for field, value in action.set.items():
                    if item.record.get(field) != value:
                        item.set(field, value, note=note)
            elif action.normalize:
                n = normalize_record(item.record, {action.normalize}, ctx.config.standards).get(action.normalize)
                if n is not None and n.value is not None and n.value != item.record.get(action.normalize):
                    item.set(action.normalize, n.value, note=f"{note}: {n.reason}")
            elif action.flag:
                issues = item.record.get("data_issues") or ""
                if action.flag not in issues:
                    item.set("data_issues", f"{issues}; {action.flag}" if issues else action.flag, note=note)
                if item.record.get("data_invalid") is not True:
                    item.set("data_invalid", True, note=note)
                item.flags.append(rule.name)
            elif action.derive_source:
                if not item.record.get("person_source"):
                    value, why = SourceDeriver(ctx.config.person_source).derive(item.record, ctx.now)
                    if value:
                        item.set("person_source", value, note=f"{note}: {why}")
            elif action.route:
                if state.router is None:
                    state.router = Router(ctx.config.routing,
                                          routing_state.load_counters(ctx.conn, ctx.db, ctx.now.date()))
                d = state.router.decide(item.record, ctx.now)
                owners = routing_state.user_ids(ctx.conn, ctx.db, [d.user] if d.user else [])
                apply_route(item, d, owners, f"{note}: {d.explanation}")
                state.routes[item.index] = d
            elif action.add_to_list:
                state.after.append((item, "list", action.add_to_list, rule.name))
            elif action.request_sync:
                state.after.append((item, "sync", "", rule.name))

    def persisted(self, items: list[PendingItem], ctx: WriteContext) -> None:
        state: _BatchState | None = ctx.scratch.pop(self.name, None)
        if state is None:
            return
        stored = {i.index for i in items}
        if state.routes and state.router is not None:
            routing_state.save(ctx.conn, ctx.db, state.router.counters,
                               [(i.id, state.routes[i.index]) for i in items if i.index in state.routes], ctx.now)
        for item, kind, arg, rule in state.after:
            if item.index not in stored:
                continue
            if kind == "list":
                _add_to_list(ctx, item.id, arg, rule)
            else:
                fields = sorted(f for f, v in item.record.items() if v not in (None, "") and
                                f in ctx.obj.by_name and ctx.obj.by_name[f].writable)
                records.insert_outbox(ctx.conn, ctx.db, [{
                    "object": "person", "record_id": item.id, "batch_id": 0, "fields": json.dumps(fields),
                    "created_at": ctx.now, "state": "pending", "attempts": 0}])


@dataclass
class _BatchState:
    """What the rules decided in one batch that must wait for the records' ids."""

    after: list[tuple[PendingItem, str, str, str]] = field(default_factory=list)  # (item, action, arg, rule)
    routes: dict[int, Any] = field(default_factory=dict)
    router: Router | None = None


def _triggered(rule: HygieneRule, item: PendingItem, incoming: set[str], kind: SourceKind) -> bool:
    for t in rule.trigger:
        if t == "created" and item.is_new:
            return True
        if t == "changed" and not item.is_new and (incoming & set(rule.fields) if rule.fields else incoming):
            return True
        if t == "imported" and kind is SourceKind.LIST_IMPORT:
            return True
        if t == "form" and kind is SourceKind.FORM:
            return True
    return False


def _add_to_list(ctx: WriteContext, person_id: int, name: str, rule: str) -> None:
    """Membership in a static list (a campaign with is_list), with a history entry naming the rule."""
    camp = ctx.db.object_table("campaign")
    member = ctx.db.object_table("campaign_member")
    cid = ctx.conn.execute(sa.select(camp.c.id).where(camp.c.name == name, camp.c.merged_into_id.is_(None)
                                                      if "merged_into_id" in camp.c else sa.true())).scalar()
    if cid is None:
        cid = records.insert_records(ctx.conn, camp, [{"name": name, "is_list": True, "created_at": ctx.now,
                                                       "updated_at": ctx.now}])[0]
    exists = ctx.conn.execute(sa.select(member.c.id).where(member.c.campaign_id == cid,
                                                           member.c.person_id == person_id)).scalar()
    if exists is not None:
        return
    mid = records.insert_records(ctx.conn, member, [{"campaign_id": cid, "person_id": person_id, "status": "Added",
                                                     "created_at": ctx.now, "updated_at": ctx.now}])[0]
    records.insert_history(ctx.conn, ctx.db, [{
        "object": "campaign_member", "record_id": mid, "batch_id": 0, "source": SourceKind.HYGIENE.value,
        "source_detail": rule, "actor": None, "changed_at": ctx.now, "kind": "create",
        "changes": json.dumps({"campaign_id": [None, str(cid)], "person_id": [None, str(person_id)]})}])
