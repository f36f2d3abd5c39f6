"""The one write path: every change to every object goes through `WritePipeline.run`.

A batch is prepared, then committed:

- **prepare**: resolve identity, apply the changes under the field policies, run the stages,
  diff, and build the rows, history and outbox entries to store (`persist.plan_persist`);
- **commit**, under the write lock, in one transaction: store them, let the stages keep their
  own records, and finish the batch.

By default both happen in one locked transaction. A `concurrent` write prepares on a plain read
transaction, outside the lock, so several processes can prepare batches at once (a parallel
import). Its commit then checks, under the lock, that everything the prepare read is unchanged:
a fresh identity lookup must equal the first (the same CRM links, the same record for every match
key, every record read at the same version: `identity.Lookup`) and every stage read
(`WriteContext.read`) must give the same value. If anything changed, the batch is prepared again
under the lock, so a concurrent write stores exactly what a locked one would have.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from typing import Any, Callable, Iterable, Iterator

from leadbridge.model.changes import Change, ItemResult, Outcome, Source, WriteResult
from leadbridge.model.objects import ObjectDef
from leadbridge.store import records
from leadbridge.store.database import Database
from leadbridge.store.statistics import TableStatistics
from leadbridge.writepath.apply import Applier, derive_keys
from leadbridge.writepath.identity import Lookup, change_keys, look_up, resolve
from leadbridge.writepath.item import PendingItem, WriteContext, WriteStage
from leadbridge.writepath.persist import PersistPlan, plan_persist, write_plan

_MAX_NESTING = 3


@dataclass(frozen=True)
class _Run:
    """What one `run` call asked for, passed down to its batches."""

    dry_run: bool = False
    describe: Callable[[WriteResult], dict] | None = None
    after: Callable[[Any, WriteResult], None] | None = None
    checkpoint: str | None = None
    concurrent: bool = False


@dataclass
class _Prepared:
    """A batch ready to commit, and what it was prepared from."""

    obj: ObjectDef
    changes: list[Change]
    source: Source
    offset: int
    now: datetime
    items: list[PendingItem]
    follow: dict[int, PendingItem]
    ctx: WriteContext
    plan: PersistPlan
    keys: dict[int, tuple | None]
    lookup: Lookup

    def still_holds(self, conn, db: Database, system: str) -> bool:
        """Whether the store still shows what this batch was prepared from (see the module docstring)."""
        fresh = look_up(conn, db, self.obj, self.changes, self.keys, system, whole=False)
        if fresh != self.lookup:
            return False
        return all(read(conn) == seen for read, seen in self.ctx.reads.values())


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
        self.conflicts = 0  # concurrent batches prepared again under the lock (their store had changed)
        self.statistics = TableStatistics(db)  # PostgreSQL's planner statistics of the tables writes grow

    def run(self, changes: Iterable[Change], source: Source, obj: str = "person", *,
            checkpoint: str | None = None, dry_run: bool = False,
            describe: Callable[[WriteResult], dict] | None = None,
            after: Callable[[Any, WriteResult], None] | None = None, concurrent: bool = False) -> WriteResult:
        """Write `changes` in batches of `write.batch_size`, one transaction each.

        With `checkpoint`, the (single) batch is skipped if a batch with that
        checkpoint was already committed (`result.skipped` is then True).
        With `dry_run`, every batch runs in full and is then rolled back.
        `describe(result)` returns caller data stored with the batch (e.g. an import's
        accounting); a skipped checkpoint returns it as `result.stored`.
        `after(conn, result)` runs in the batch's transaction before it commits, for
        work that must land together with the batch (a merge's re-parenting, through
        `write_nested`); it requires the changes to fit in one batch.
        `concurrent` prepares each batch outside the write lock (see the module docstring);
        it applies when every stage declares `snapshot_safe` and there is no `after`.
        """
        run = _Run(dry_run, describe, after, checkpoint, concurrent and after is None and self.snapshot_safe)
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

    @property
    def snapshot_safe(self) -> bool:
        """Whether every stage reads the store only through `WriteContext.read` (see `WriteStage`)."""
        return all(getattr(stage, "snapshot_safe", False) for stage in self.stages)

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
                prepared = self._prepare(conn, self.db.objects[obj], chunk, source, offset, now)
                result.extend(self._commit(conn, prepared, _Run()))
            return result
        finally:
            self._depth -= 1

    # -- one batch = one transaction ---------------------------------------------------------

    def _batch(self, obj: ObjectDef, changes: list[Change], source: Source, offset: int, run: _Run) -> WriteResult:
        now = datetime.now(timezone.utc)
        prepared = None
        if run.concurrent:
            with self.db.atomic(write=False, rollback=True) as conn:  # a read transaction: no lock taken
                if not (run.checkpoint and records.checkpoint_done(conn, self.db, run.checkpoint) is not None):
                    prepared = self._prepare(conn, obj, changes, source, offset, now)
        with self.db.atomic(rollback=run.dry_run) as conn:
            if run.checkpoint:
                done = records.checkpoint_done(conn, self.db, run.checkpoint)
                if done is not None:
                    return WriteResult(skipped=True, stored=done.get("info"))
            if prepared is not None and not prepared.still_holds(conn, self.db, self.system):
                self.conflicts += 1
                prepared = None
            if prepared is None:
                prepared = self._prepare(conn, obj, changes, source, offset, now)
            result = self._commit(conn, prepared, run)
        if not run.dry_run:
            self.statistics.created(obj.table, result.count(Outcome.CREATED))
        return result

    def _prepare(self, conn, obj: ObjectDef, changes: list[Change], source: Source, offset: int,
                 now: datetime) -> _Prepared:
        """Everything up to the rows to store; reads the store through `conn` only."""
        keys = change_keys(obj, changes)
        items, follow, lookup = resolve(conn, self.db, obj, changes, offset, self.system, keys)
        applier = Applier(self.config, obj, source, now)
        applier.apply_batch(items, follow, changes, offset)
        ctx = WriteContext(obj, source, now, self.config, conn, self.db, self)
        for stage in self.stages:
            live = [i for i in items if not i.reasons]
            if live:
                stage(live, ctx)
        if not source.kind.is_crm:
            applier.push_staged(items)
        derive_keys(obj, items)
        return _Prepared(obj, changes, source, offset, now, items, follow, ctx,
                         plan_persist(obj, items, source, now), keys, lookup)

    def _commit(self, conn, p: _Prepared, run: _Run) -> WriteResult:
        """Store a prepared batch in the open, locked transaction `conn`."""
        ctx, source = p.ctx, p.source
        ctx.conn = conn  # stages keep their own records (`persisted`) through the locked connection
        batch_id = records.new_batch(conn, self.db, p.obj.name, source.kind.value, source.detail,
                                     source.actor, run.checkpoint)
        ctx.batch_id = batch_id
        by_index = write_plan(conn, self.db, p.obj, p.plan, source, batch_id, p.now, self.system)
        for stage in self.stages:  # stages that keep their own records (routing decisions) do it here
            persisted = getattr(stage, "persisted", None)
            if persisted is not None:
                persisted([i for i in p.items if not i.reasons and i.id is not None], ctx)
        offset, changes = p.offset, p.changes
        for index, primary in p.follow.items():
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

