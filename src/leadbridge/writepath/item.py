"""What stages see: one pending write, and the context of its batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from leadbridge.model.changes import Change, Source
from leadbridge.model.objects import ObjectDef

if TYPE_CHECKING:
    import sqlalchemy as sa

    from leadbridge.config import LeadbridgeConfig


@dataclass
class PendingItem:
    """A change on its way in: the stored row, the candidate record, and decisions so far.

    Stages may change `record` through `set`, add `reasons` (rejects the change),
    `flags` (stored but marked), and `notes` per field (kept in field history).
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
    created: dict[str, Any] | None = None  # the inserted values, once a new record is persisted

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
        if push is True:
            self.push.add(name)
        elif push is False:
            self.push.discard(name)

    def changed_fields(self) -> dict[str, tuple[Any, Any]]:
        before = self.existing or {}
        return {f: (before.get(f), self.record.get(f)) for f in self.applied
                if self.record.get(f) != before.get(f)}


@dataclass
class WriteContext:
    """The batch a stage runs in (read the store through `conn`, never write)."""

    obj: ObjectDef
    source: Source
    now: datetime
    config: "LeadbridgeConfig"
    conn: "sa.Connection"
    db: Any = None  # the Database: its tables, for stages that read or keep their own records


class WriteStage(Protocol):
    """A step between policies and diff: normalize, validate, hygiene rules, routing.

    A stage may also define `persisted(items, ctx)`, called after the records are stored
    (ids known) in the same transaction, to write its own tables through `ctx.conn`.
    """

    name: str

    def __call__(self, items: list[PendingItem], ctx: WriteContext) -> None: ...
