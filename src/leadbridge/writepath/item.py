"""What stages see: one pending write, and the context of its batch."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar

from leadbridge.model.changes import Change, Source
from leadbridge.model.objects import ObjectDef

if TYPE_CHECKING:
    import sqlalchemy as sa

    from leadbridge.config import LeadbridgeConfig

T = TypeVar("T")


@dataclass(slots=True)
class PendingItem:
    """A change on its way in: the stored row, the candidate record, and decisions so far.

    Stages may change `record` through `set`, add `reasons` (rejects the change),
    `flags` (stored but marked), and `notes` per field (kept in field history).
    A field a stage sets without saying whether to push it is `staged`: after the
    stages, the write path pushes it if the field's policy lets marketing changes reach the CRM.
    """

    index: int
    change: Change
    existing: dict[str, Any] | None
    record: dict[str, Any]
    applied: set[str] = field(default_factory=set)
    push: set[str] = field(default_factory=set)
    ignored: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    id: int | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    staged: set[str] = field(default_factory=set)  # set by a stage; push decided by policy after the stages

    @property
    def is_new(self) -> bool:
        return self.existing is None

    @property
    def rejected(self) -> bool:
        return bool(self.reasons)

    def set(self, name: str, value: Any, note: str | None = None, push: bool | None = None) -> None:
        """Set a field of the candidate record from a stage (normalizer, rule)."""
        self.record[name] = value
        self.applied.add(name)
        if note:
            self.notes[name] = note
        if push is None:
            self.staged.add(name)
            return
        self.staged.discard(name)
        if push:
            self.push.add(name)
        else:
            self.push.discard(name)

    def changed_fields(self) -> dict[str, tuple[Any, Any]]:
        before = self.existing or {}
        return {f: (before.get(f), self.record.get(f)) for f in self.applied
                if self.record.get(f) != before.get(f)}


@dataclass
class WriteContext:
    """The batch a stage runs in: read the store through `conn`; write other records only through `write`.

    `scratch` holds a stage's state for this batch (keyed by stage name): a stage object is
    shared by every batch, including writes nested inside this one, so it keeps none itself.
    """

    obj: ObjectDef
    source: Source
    now: datetime
    config: "LeadbridgeConfig"
    conn: "sa.Connection"
    db: Any = None  # the Database: its tables, for stages that read or keep their own records
    writer: Any = None  # the pipeline, for nested writes in this batch's transaction
    scratch: dict[str, Any] = field(default_factory=dict)
    batch_id: int | None = None  # the batch's id, known from `persisted` on
    reads: dict[str, tuple[Callable[[Any], Any], Any]] = field(default_factory=dict)  # see `read`

    def read(self, key: str, reader: "Callable[[sa.Connection], T]") -> T:
        """`reader(conn)`: store state a stage's decisions depend on (routing's counters), read once per batch.

        A batch prepared outside the write lock is committed only if `reader` still returns the
        same under the lock; otherwise it is prepared again. The value returned is the stage's to
        change: what is compared is a copy taken now.
        """
        if key not in self.reads:
            value = reader(self.conn)
            self.reads[key] = (reader, copy.deepcopy(value))
            return value
        return copy.deepcopy(self.reads[key][1])

    def stage(self, name: str) -> Any:
        """The write path's stage called `name` (None if it has none): for a stage that reuses another's work."""
        return next((s for s in getattr(self.writer, "stages", ()) if getattr(s, "name", None) == name), None)

    def write(self, changes: "list[Change]", obj: str, source: Source | None = None) -> Any:
        """Write changes to another object through the one write path, in this batch's transaction.

        For what a stage adds beside the records it handles (a list membership, a campaign):
        it gets history, outbox entries and policies like any write, and commits or rolls back
        with the batch. Call it from `persisted` when the change refers to the batch's new ids.
        """
        return self.writer.write_nested(self.conn, changes, source or self.source, obj)


class WriteStage(Protocol):
    """A step between policies and diff: normalize, validate, hygiene rules, routing.

    A stage may also define `persisted(items, ctx)`, called after the records are stored
    (ids known) in the same transaction, to write its own tables through `ctx.conn`.

    A stage that reads the store in `__call__` only through `ctx.read` sets `snapshot_safe = True`:
    batches can then be prepared outside the write lock (`Workspace.write(concurrent=True)`).
    Without it, every batch is prepared under the lock.
    """

    name: str

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None: ...
