"""Incoming values onto pending records: coerced, then stored or ignored by each field's policy."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from leadbridge.errors import CoercionError
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.model.objects import ObjectDef
from leadbridge.model.policies import FieldPolicy, FieldRule, decide
from leadbridge.model.types import is_blank
from leadbridge.writepath.item import PendingItem
from leadbridge.writepath.keys import DERIVED_KEYS

SYSTEM_ONLY = {SourceKind.MERGE, SourceKind.SYSTEM}
_NEVER_PUSHED = {FieldRule.NONE, FieldRule.CRM_WINS, FieldRule.CRM_UNLESS_BLANK}
_DECIDED = {FieldRule.APPEND, FieldRule.FILL_ONLY}  # rules that look at the stored value


class Applier:
    """Applies one batch's changes to its pending items under the workspace's field policies."""

    def __init__(self, config, obj: ObjectDef, source: Source, now: datetime):
        self.config, self.obj, self.source, self.now = config, obj, source, now
        self.stamp = f"[{now:%Y-%m-%d %H:%M} {source}] "
        self.policies: dict[str, FieldPolicy] = {}

    def policy(self, name: str) -> FieldPolicy:
        policy = self.policies.get(name)
        if policy is None:
            policy = self.policies[name] = self.config.policy(self.obj.name, name)
        return policy

    def apply_batch(self, items: list[PendingItem], follow: dict[int, PendingItem], changes: list[Change],
                    offset: int) -> None:
        """Each item's change, then the changes that follow an item of the same record in the batch."""
        plans: dict[frozenset[str], _CreatePlan | None] = {}
        for item in items:
            if item.reasons:
                continue
            if item.existing is None:
                keys = frozenset(item.change.values)
                plan = plans[keys] if keys in plans else plans.setdefault(
                    keys, _CreatePlan.build(self.obj, keys, self.source, self.policy))
                if plan is not None and plan.apply(item):
                    continue
            self.apply(item, item.change)
        for index, primary in follow.items():
            if not primary.reasons:
                self.apply(primary, changes[index - offset])

    def apply(self, item: PendingItem, change: Change) -> None:
        """Coerce each incoming value and let the field's policy decide whether it applies."""
        obj, source, now = self.obj, self.source, self.now
        by_name, record, applied, push = obj.by_name, item.record, item.applied, item.push
        from_crm, system = source.kind.is_crm, source.kind in SYSTEM_ONLY
        # from a marketing-side source, every rule but append and fill_only stores the value (decide's
        # _from_ma): no decision to compute for a field that is not blocked for the source
        plain_ma = not from_crm and source.kind is not SourceKind.MERGE
        new = item.existing is None
        times = None
        for name, raw in change.values.items():
            fd = by_name.get(name)
            if fd is None:
                item.reasons.append(f"unknown field {name!r} on {obj.name}")
                continue
            if not fd.writable and not system:
                item.ignored[name] = "derived field; set by leadbridge"
                continue
            try:
                value = fd.coerce(raw)
            except CoercionError as exc:
                item.reasons.append(str(exc))
                continue
            policy = self.policies.get(name) or self.policy(name)
            if new:  # a new record: nothing to protect, every value applies
                record[name] = value
                applied.add(name)
                if not from_crm and policy.rule not in _NEVER_PUSHED:
                    push.add(name)
                continue
            rule = policy.rule
            if plain_ma and rule not in _DECIDED and source.kind.value not in policy.blocked_sources:
                record[name] = value
                applied.add(name)
                if rule in _NEVER_PUSHED or (rule is FieldRule.MA_UNLESS_BLANK and is_blank(value)):
                    push.discard(name)
                else:
                    push.add(name)
                continue
            if times is None:
                raw_times = item.existing.get("field_times")
                times = json.loads(raw_times) if raw_times else {}
            at = times.get(name)
            decision = decide(policy, source.kind, record.get(name), value,
                              current_at=datetime.fromisoformat(at) if at else item.existing.get("created_at"),
                              incoming_at=change.occurred_at or now, stamp=self.stamp)
            if decision.apply:
                record[name] = decision.value
                applied.add(name)
                if decision.push:
                    push.add(name)
                else:
                    push.discard(name)
            else:
                item.ignored[name] = decision.reason

    def push_staged(self, items: list[PendingItem]) -> None:
        """Fields the stages set (normalized, routed, set by a rule) reach the CRM when their policy
        lets marketing-side changes through, like the values of the change itself."""
        for item in items:
            if item.reasons or not item.staged:
                continue
            for name in item.staged:
                rule = self.policy(name).rule
                if rule in _NEVER_PUSHED or (rule is FieldRule.MA_UNLESS_BLANK and is_blank(item.record.get(name))):
                    item.push.discard(name)
                else:
                    item.push.add(name)


def derive_keys(obj: ObjectDef, items: list[PendingItem]) -> None:
    """Recompute derived match keys (a person's email_key) of the records whose source field was set."""
    for (oname, key), (src, fn) in DERIVED_KEYS.items():
        if oname != obj.name:
            continue
        for item in items:
            if src in item.applied and not item.reasons:
                item.record[key] = fn(item.record.get(src))
                item.applied.add(key)


class _CreatePlan:
    """The work for new records with one set of incoming fields, resolved once per batch.

    Imports send thousands of rows with the same columns; resolving each field's
    definition and push rule once keeps the per-row loop tight.
    """

    __slots__ = ("fields", "push")

    def __init__(self, fields: list[tuple[str, Any, bool]], push: frozenset[str]):
        self.fields, self.push = fields, push

    @classmethod
    def build(cls, obj: ObjectDef, names: frozenset[str], source: Source, policy) -> "_CreatePlan | None":
        fields, push = [], set()
        for name in names:
            fd = obj.by_name.get(name)
            if fd is None or (not fd.writable and source.kind not in SYSTEM_ONLY):
                return None  # rejected or ignored fields: take the general path
            fields.append((name, fd, fd.fast_text))
            if not source.kind.is_crm and policy(name).rule not in _NEVER_PUSHED:
                push.add(name)
        return cls(fields, frozenset(push))

    def apply(self, item: PendingItem) -> bool:
        """Coerce and apply every value; False (nothing applied) if one needs the general path."""
        values = item.change.values
        try:
            # fd.coerce's own fast path, inlined: this comprehension runs for every field of every new record
            record = {name: (raw.strip() or None) if fast and type(raw := values[name]) is str and "\x00" not in raw
                      else fd.coerce(values[name]) for name, fd, fast in self.fields}
        except CoercionError:
            return False
        item.record = record
        item.applied = set(record)
        item.push = set(self.push)
        return True
