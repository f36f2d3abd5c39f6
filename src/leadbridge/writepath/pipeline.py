"""The one write path: every change to every object goes through `WritePipeline.run`."""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from typing import Any, Callable, Iterable, Iterator

import orjson

from leadbridge.errors import CoercionError
from leadbridge.model.changes import Change, CreatedValues, ItemResult, Outcome, Source, SourceKind, WriteResult
from leadbridge.model.objects import ObjectDef
from leadbridge.model.policies import FieldPolicy, FieldRule, decide
from leadbridge.model.types import is_blank, to_text
from leadbridge.store import records
from leadbridge.store.database import Database
from leadbridge.writepath.identity import resolve
from leadbridge.writepath.item import PendingItem, WriteContext, WriteStage
from leadbridge.writepath.keys import DERIVED_KEYS

_SYSTEM_ONLY = {SourceKind.MERGE, SourceKind.SYSTEM}
_NEVER_PUSHED = {FieldRule.NONE, FieldRule.CRM_WINS, FieldRule.CRM_UNLESS_BLANK}
_DECIDED = {FieldRule.APPEND, FieldRule.FILL_ONLY}  # rules that look at the stored value
_MAX_NESTING = 3


@dataclass(frozen=True)
class _Run:
    """What one `run` call asked for, passed down to its batches."""

    dry_run: bool = False
    describe: Callable[[WriteResult], dict] | None = None
    after: Callable[[Any, WriteResult], None] | None = None
    checkpoint: str | None = None


def _chunks(changes: Iterable[Change], size: int) -> Iterator[tuple[int, list[Change]]]:
    """(offset, batch) pairs of at most `size` changes."""
    it, offset = iter(changes), 0
    while chunk := list(islice(it, size)):
        yield offset, chunk
        offset += len(chunk)


class WritePipeline:
    """Runs batches of changes through identity, policies, stages, diff and persistence."""

    def __init__(self, db: Database, config, stages: list[WriteStage] | None = None, system: str = "salesforce"):
        self.db, self.config, self.system = db, config, system
        self.stages: list[WriteStage] = stages if stages is not None else []  # shared with the workspace
        self._depth = 0  # nesting of write_nested calls

    def run(self, changes: Iterable[Change], source: Source, obj: str = "person", *,
            checkpoint: str | None = None, dry_run: bool = False,
            describe: Callable[[WriteResult], dict] | None = None,
            after: Callable[[Any, WriteResult], None] | None = None) -> WriteResult:
        """Write `changes` in batches of `write.batch_size`, one transaction each.

        With `checkpoint`, the (single) batch is skipped if a batch with that
        checkpoint was already committed (`result.skipped` is then True).
        With `dry_run`, every batch runs in full and is then rolled back.
        `describe(result)` returns caller data stored with the batch (e.g. an import's
        accounting); a skipped checkpoint returns it as `result.stored`.
        `after(conn, result)` runs in the batch's transaction before it commits, for
        work that must land together with the batch (a merge's re-parenting, through
        `write_nested`); it requires the changes to fit in one batch.
        """
        run = _Run(dry_run, describe, after, checkpoint)
        size = self.config.write.batch_size
        if after is not None:
            changes = list(changes)
            if len(changes) > size:
                raise ValueError("a write with `after` must fit in one batch")
        result = WriteResult()
        gc_was_on = gc.isenabled()
        # A write allocates ~20 short-lived objects per change and keeps its results: the
        # collector would re-scan them (and the caller's input) again and again for nothing,
        # a quarter of the write's time. Reference counting frees what the batches drop.
        gc.disable()
        try:
            for offset, chunk in _chunks(changes, size):
                result.extend(self._batch(self.db.objects[obj], chunk, source, offset, run))
        finally:
            if gc_was_on:
                gc.enable()
        return result

    def write_nested(self, conn, changes: Iterable[Change], source: Source, obj: str) -> WriteResult:
        """Write `changes` to `obj` inside an open transaction (`conn`): a stage's or an `after`
        hook's writes to other records, which must commit or roll back with the outer batch."""
        if self._depth >= _MAX_NESTING:
            raise RuntimeError(f"writes nested {_MAX_NESTING} deep: a stage writes what triggers it again")
        self._depth += 1
        try:
            result = WriteResult()
            now = datetime.now(timezone.utc)
            for offset, chunk in _chunks(changes, self.config.write.batch_size):
                result.extend(self._batch_on(conn, self.db.objects[obj], chunk, source, offset, _Run(), now))
            return result
        finally:
            self._depth -= 1

    # -- one batch = one transaction ---------------------------------------------------------

    def _batch(self, obj: ObjectDef, changes: list[Change], source: Source, offset: int, run: "_Run") -> WriteResult:
        with self.db.atomic(rollback=run.dry_run) as conn:
            return self._batch_on(conn, obj, changes, source, offset, run, datetime.now(timezone.utc))

    def _batch_on(self, conn, obj: ObjectDef, changes: list[Change], source: Source, offset: int,
                  run: "_Run", now: datetime) -> WriteResult:
        if run.checkpoint:
            done = records.checkpoint_done(conn, self.db, run.checkpoint)
            if done is not None:
                return WriteResult(skipped=True, stored=done.get("info"))
        items, follow = resolve(conn, self.db, obj, changes, offset, self.system)
        policies: dict[str, FieldPolicy] = {}
        plans: dict[frozenset[str], _CreatePlan | None] = {}
        stamp = f"[{now:%Y-%m-%d %H:%M} {source}] "
        for item in items:
            if item.reasons:
                continue
            if item.existing is None:
                keys = frozenset(item.change.values)
                plan = plans[keys] if keys in plans else plans.setdefault(
                    keys, _CreatePlan.build(obj, keys, source, lambda n: self._policy(obj, n, policies)))
                if plan is not None and plan.apply(item):
                    continue
            self._apply(obj, item, item.change, source, policies, now, stamp)
        for index, primary in follow.items():
            if not primary.reasons:
                self._apply(obj, primary, changes[index - offset], source, policies, now, stamp)
        ctx = WriteContext(obj, source, now, self.config, conn, self.db, self)
        for stage in self.stages:
            live = [i for i in items if not i.reasons]
            if live:
                stage(live, ctx)
        if not source.kind.is_crm:
            self._push_staged(obj, items, policies)
        self._derive_keys(obj, items)
        batch_id = records.new_batch(conn, self.db, obj.name, source.kind.value, source.detail,
                                     source.actor, run.checkpoint)
        ctx.batch_id = batch_id
        by_index = self._persist(conn, obj, items, source, batch_id, now)
        for stage in self.stages:  # stages that keep their own records (routing decisions) do it here
            persisted = getattr(stage, "persisted", None)
            if persisted is not None:
                persisted([i for i in items if not i.reasons and i.id is not None], ctx)
        for index, primary in follow.items():
            base = by_index[primary.index]
            by_index[index] = ItemResult(changes[index - offset].ref, base.outcome, base.id,
                                         reasons=list(base.reasons))
        ordered = WriteResult([by_index[offset + i] for i in range(len(changes))])
        info = run.describe(ordered) if run.describe else None
        records.finish_batch(conn, self.db, batch_id, {"outcomes": ordered.counts, "info": info})
        ordered.batch_id = batch_id
        if run.after:
            run.after(conn, ordered)
        return ordered

    def _push_staged(self, obj: ObjectDef, items: list[PendingItem], policies: dict[str, FieldPolicy]) -> None:
        """Fields the stages set (normalized, routed, set by a rule) reach the CRM when their policy
        lets marketing-side changes through, like the values of the change itself."""
        for item in items:
            if item.reasons or not item.staged:
                continue
            for name in item.staged:
                rule = self._policy(obj, name, policies).rule
                if rule in _NEVER_PUSHED or (rule is FieldRule.MA_UNLESS_BLANK and is_blank(item.record.get(name))):
                    item.push.discard(name)
                else:
                    item.push.add(name)

    def _policy(self, obj: ObjectDef, name: str, cache: dict[str, FieldPolicy]) -> FieldPolicy:
        if name not in cache:
            cache[name] = self.config.policy(obj.name, name)
        return cache[name]

    def _apply(self, obj: ObjectDef, item: PendingItem, change: Change, source: Source,
               policies: dict[str, FieldPolicy], now: datetime, stamp: str) -> None:
        """Coerce each incoming value and let the field's policy decide whether it applies."""
        by_name, record, applied, push = obj.by_name, item.record, item.applied, item.push
        from_crm, system = source.kind.is_crm, source.kind in _SYSTEM_ONLY
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
            policy = policies.get(name) or self._policy(obj, name, policies)
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
                times = _field_times(item.existing)
            at = times.get(name)
            decision = decide(policy, source.kind, record.get(name), value,
                              current_at=datetime.fromisoformat(at) if at else item.existing.get("created_at"),
                              incoming_at=change.occurred_at or now, stamp=stamp)
            if decision.apply:
                record[name] = decision.value
                applied.add(name)
                if decision.push:
                    push.add(name)
                else:
                    push.discard(name)
            else:
                item.ignored[name] = decision.reason

    @staticmethod
    def _derive_keys(obj: ObjectDef, items: list[PendingItem]) -> None:
        for (oname, key), (src, fn) in DERIVED_KEYS.items():
            if oname != obj.name:
                continue
            for item in items:
                if src in item.applied and not item.reasons:
                    item.record[key] = fn(item.record.get(src))
                    item.applied.add(key)

    def _persist(self, conn, obj: ObjectDef, items: list[PendingItem], source: Source,
                 batch_id: int, now: datetime) -> dict[int, ItemResult]:
        """Insert, update, and record history, outbox and links; results keyed by item index."""
        table = self.db.object_table(obj.name)
        fields = obj.by_name
        live = [item for item in items if not item.reasons]
        new_items = [item for item in live if item.existing is None]
        created = []
        for item in new_items:
            record = item.record
            if None in record.values() or not fields.keys() >= record.keys():
                record = {f: v for f, v in record.items() if v is not None and f in fields}
            created.append(record)
        # field_times stays NULL for a new record: all its fields date from created_at
        for item, rid in zip(new_items, records.insert_new(conn, table, created, now)):
            item.id = rid

        outboxing = obj.syncs and not source.kind.is_crm
        iso = now.isoformat()
        updates, history, outbox, links = [], [], [], []
        pushed_json: dict[frozenset[str], tuple[tuple[str, ...], str]] = {}
        results: dict[int, ItemResult] = {}
        for item in items:
            if item.reasons:
                results[item.index] = ItemResult(item.change.ref, Outcome.REJECTED, item.id, reasons=item.reasons,
                                                 ignored=item.ignored, flags=item.flags)
        after_of = dict(zip(map(id, new_items), created))
        for item in live:
            after = after_of.get(id(item))
            if after is not None:
                res = ItemResult(item.change.ref, Outcome.CREATED, item.id, CreatedValues(after), item.reasons,
                                 item.ignored, item.flags)
                diff = {f: (None, v if type(v) is str else to_text(v)) for f, v in after.items()}
            else:
                changed = item.changed_fields()
                res = ItemResult(item.change.ref, Outcome.UPDATED if changed else Outcome.UNCHANGED, item.id,
                                 changed, item.reasons, item.ignored, item.flags)
                if changed:
                    times = _field_times(item.existing)
                    times.update(dict.fromkeys(changed, iso))
                    updates.append({"id": item.id, **{f: new for f, (_, new) in changed.items()},
                                    "updated_at": now, "field_times": json.dumps(times)})
                diff = {f: (to_text(old), to_text(new)) for f, (old, new) in changed.items()}
            results[item.index] = res
            if diff:
                for f, note in item.notes.items():
                    if f in diff:
                        diff[f] = (*diff[f], note)
                history.append((item.id, "create" if after is not None else "update", orjson.dumps(diff).decode()))
                pushed = frozenset(item.push.intersection(diff))
                if pushed:
                    if pushed not in pushed_json:
                        names = tuple(sorted(pushed))
                        pushed_json[pushed] = (names, orjson.dumps(names).decode())
                    res.pushed, encoded = pushed_json[pushed]
                    if outboxing:
                        outbox.append((item.id, encoded))
            if item.links:
                links += [{"object": obj.name, "record_id": item.id, "system": self.system, "crm_object": co,
                           "crm_id": cid, "active": True, "linked_at": now} for co, cid in item.links]
        records.update_records(conn, table, updates)
        records.insert_history(conn, self.db, {"object": obj.name, "batch_id": batch_id, "source": source.kind.value,
                                               "source_detail": source.detail, "actor": source.actor,
                                               "changed_at": now}, history)
        records.insert_outbox(conn, self.db, {"object": obj.name, "batch_id": batch_id, "created_at": now}, outbox)
        records.insert_links(conn, self.db, links)
        return results


def _field_times(row: dict[str, Any]) -> dict[str, str]:
    """When each field of a stored row last changed (fields never changed since creation are absent)."""
    raw = row.get("field_times")
    return json.loads(raw) if raw else {}


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
            if fd is None or (not fd.writable and source.kind not in _SYSTEM_ONLY):
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
