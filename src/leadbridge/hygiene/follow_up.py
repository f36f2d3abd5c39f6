"""What hygiene rules do beside the person, once the batch's ids exist: list memberships and sync requests.

Both happen in the batch's transaction: memberships (and a list's campaign, when it is new) are written
through the one write path (`ctx.write`: history, outbox, policies), sync requests through the outbox.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.model.policies import FieldRule
from leadbridge.store import outbox
from leadbridge.writepath.item import PendingItem, WriteContext

_NEVER_PUSHED = {FieldRule.NONE, FieldRule.CRM_WINS, FieldRule.CRM_UNLESS_BLANK}


@dataclass
class FollowUps:
    """Per batch: (item index, rule) pairs waiting for ids."""

    lists: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    syncs: list[tuple[int, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lists or self.syncs)


def run(state: FollowUps, items: list[PendingItem], ctx: WriteContext) -> None:
    """Add the stored people to their lists and queue the requested syncs."""
    ids = {i.index: i.id for i in items if i.id is not None}
    for name, wanted in state.lists.items():
        by_rule: dict[str, list[int]] = defaultdict(list)
        for index, rule in wanted:
            if index in ids and ids[index] not in by_rule[rule]:
                by_rule[rule].append(ids[index])
        if by_rule:
            _add_to_list(ctx, name, by_rule)
    people = {ids[index]: next(i for i in items if i.index == index) for index, _ in state.syncs if index in ids}
    if people:
        _request_sync(ctx, people)


def _source(ctx: WriteContext, rule: str) -> Source:
    return Source(SourceKind.HYGIENE, f"rule '{rule}'", ctx.source.actor)


def _add_to_list(ctx: WriteContext, name: str, by_rule: dict[str, list[int]]) -> None:
    camp = ctx.db.object_table("campaign")
    cid = ctx.conn.execute(sa.select(camp.c.id).where(camp.c.name == name).order_by(camp.c.id).limit(1)).scalar()
    if cid is None:
        first = next(iter(by_rule))
        cid = ctx.write([Change({"name": name, "is_list": True})], "campaign", _source(ctx, first)).ids[0]
    member = ctx.db.object_table("campaign_member")
    everyone = sorted({pid for pids in by_rule.values() for pid in pids})
    have: set[int] = set()
    for k in range(0, len(everyone), 900):
        have |= set(ctx.conn.execute(sa.select(member.c.person_id).where(
            member.c.campaign_id == cid, member.c.person_id.in_(everyone[k:k + 900]))).scalars())
    for rule, pids in by_rule.items():
        new = [p for p in pids if p not in have]
        have |= set(new)
        if new:
            ctx.write([Change({"campaign_id": cid, "person_id": p}) for p in new], "campaign_member",
                      _source(ctx, rule))


def _request_sync(ctx: WriteContext, people: dict[int, PendingItem]) -> None:
    """An outbox entry per person with every field marketing may push (what a first create would send)."""
    by_fields: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for pid, item in people.items():
        fields = tuple(sorted(f for f, v in item.record.items() if v not in (None, "") and f in ctx.obj.by_name
                              and ctx.obj.by_name[f].writable
                              and ctx.config.policy("person", f).rule not in _NEVER_PUSHED))
        by_fields[fields].append(pid)
    for fields, pids in by_fields.items():
        outbox.enqueue(ctx.db, "person", pids, fields, conn=ctx.conn, batch_id=ctx.batch_id, now=ctx.now)
