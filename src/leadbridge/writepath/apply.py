"""Incoming values onto pending records: coerced, then stored or ignored by each field's policy."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable

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
        plans: dict[tuple[frozenset[str], bool], _FieldsPlan | None] = {}
        for item in items:
            if item.reasons:
                continue
            key = (frozenset(item.change.values), item.existing is None)
            plan = plans[key] if key in plans else plans.setdefault(
                key, _FieldsPlan.build(self.obj, key[0], self.source, self.policy, key[1]))
            if plan is None or not plan.apply(item):
                self.apply(item, item.change)
            elif plan.decided:
                self.apply(item, item.change, plan.decided)
        for index, primary in follow.items():
            if not primary.reasons:
                self.apply(primary, changes[index - offset])

    def apply(self, item: PendingItem, change: Change, names: Iterable[str] | None = None) -> None:
        """Coerce each incoming value (of `names` only, if given) and let the field's policy decide whether it applies."""
        obj, source, now = self.obj, self.source, self.now
        by_name, record, applied, push = obj.by_name, item.record, item.applied, item.push
        from_crm, system = source.kind.is_crm, source.kind in SYSTEM_ONLY
        # from a marketing-side source, every rule but append and fill_only stores the value (decide's
        # _from_ma): no decision to compute for a field that is not blocked for the source
        plain_ma = not from_crm and source.kind is not SourceKind.MERGE
        new = item.existing is None
        times = None
        values = change.values
        for name, raw in values.items() if names is None else ((n, values[n]) for n in names):
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
        pushed, quiet, if_filled, known = set(), set(), set(), set()  # fields by their rule, sorted once per batch
        for item in items:
            staged = item.staged
            if item.reasons or not staged:
                continue
            if not staged <= known:
                for name in staged - known:
                    rule = self.policy(name).rule
                    (quiet if rule in _NEVER_PUSHED else if_filled if rule is FieldRule.MA_UNLESS_BLANK
                     else pushed).add(name)
                known |= staged
            item.push |= staged & pushed
            item.push -= staged & quiet
            for name in staged & if_filled:  # ma_unless_blank: a blank is not pushed
                if is_blank(item.record.get(name)):
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


class _FieldsPlan:
    """The work for changes with one set of incoming fields, resolved once per batch.

    Imports send thousands of rows with the same columns; resolving each field's definition
    and push rule once keeps the per-row loop tight. For a new record every value is stored.
    For an update, a value is simply stored under a rule that does not look at the stored one,
    from a marketing-side source the field does not block (`Applier.apply`'s own shortcut); the
    other fields (`decided`: append, fill_only…) take the general path, field by field.
    """

    __slots__ = ("fields", "push", "quiet", "decided")

    def __init__(self, fields: list[tuple[str, Any, bool]], push: frozenset[str], quiet: frozenset[str],
                 decided: tuple[str, ...]):
        self.fields, self.push, self.quiet, self.decided = fields, push, quiet, decided

    @classmethod
    def build(cls, obj: ObjectDef, names: frozenset[str], source: Source, policy, new: bool) -> "_FieldsPlan | None":
        kind = source.kind
        if not new and (kind.is_crm or kind is SourceKind.MERGE):
            return None  # each value is decided against the stored one
        fields, push, quiet, decided = [], set(), set(), []
        for name in sorted(names):
            fd = obj.by_name.get(name)
            if fd is None or (not fd.writable and kind not in SYSTEM_ONLY):
                return None  # rejected or ignored fields: take the general path
            pol = policy(name)
            if not new and (pol.rule in _DECIDED or pol.rule is FieldRule.MA_UNLESS_BLANK
                            or kind.value in pol.blocked_sources):
                decided.append(name)
                continue
            fields.append((name, fd, fd.fast_text))
            if not kind.is_crm and pol.rule not in _NEVER_PUSHED:
                push.add(name)
            else:
                quiet.add(name)
        return cls(fields, frozenset(push), frozenset(quiet), tuple(decided))

    def apply(self, item: PendingItem) -> bool:
        """Coerce and apply the plain values; False (nothing applied) if one needs the general path."""
        values = item.change.values
        try:
            # fd.coerce's own fast path, inlined: this comprehension runs for every field of every record
            coerced = {name: (raw.strip() or None) if fast and type(raw := values[name]) is str and "\x00" not in raw
                       else fd.coerce(values[name]) for name, fd, fast in self.fields}
        except CoercionError:
            return False
        if item.existing is None:
            item.record, item.applied, item.push = coerced, set(coerced), set(self.push)
        else:
            item.record.update(coerced)
            item.applied.update(coerced)
            item.push |= self.push
            item.push -= self.quiet
        return True
