"""A change to write, the source it comes from, and what became of it."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class SourceKind(str, enum.Enum):
    """Where a change comes from; field policies and blocked_sources refer to these."""

    LIST_IMPORT = "list_import"
    FORM = "form"
    API = "api"
    UI = "ui"
    CRM = "crm"
    MERGE = "merge"
    STANDARDS = "standards"
    ROUTING = "routing"
    SOURCING = "sourcing"
    HYGIENE = "hygiene"
    DEMO = "demo"
    SYSTEM = "system"

    @property
    def is_crm(self) -> bool:
        return self is SourceKind.CRM


@dataclass(frozen=True)
class Source:
    """Who wrote a batch: a kind, an optional detail (list name, rule name) and an actor."""

    kind: SourceKind
    detail: str | None = None
    actor: str | None = None

    @classmethod
    def of(cls, value: "Source | SourceKind | str", detail: str | None = None) -> "Source":
        if isinstance(value, Source):
            return value
        return cls(SourceKind(value), detail)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.detail}" if self.detail else self.kind.value


@dataclass(slots=True)
class Change:
    """New values for one record, and how to find it.

    Identity is tried in order: `id`, then (`crm_object`, `crm_id`) through the
    crosswalk, then the object's match key computed from `values` (or `match`).
    `occurred_at` is when the change happened at its source (for latest_wins).
    """

    values: dict[str, Any]
    id: int | None = None
    crm_id: str | None = None
    crm_object: str | None = None
    match: dict[str, Any] | None = None
    occurred_at: datetime | None = None
    create: bool = True
    ref: Any = None


class Outcome(str, enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"
    NOT_FOUND = "not_found"


class CreatedValues(Mapping):
    """The changes of a new record, field → (None, value), read from its stored values on access."""

    __slots__ = ("_values",)

    def __init__(self, values: dict[str, Any]):
        self._values = values

    def __getitem__(self, name: str) -> tuple[None, Any]:
        return (None, self._values[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


@dataclass(slots=True)
class ItemResult:
    """What the write path did with one Change."""

    ref: Any
    outcome: Outcome
    id: int | None = None
    changed: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    pushed: tuple[str, ...] = ()


@dataclass
class WriteResult:
    """Results of one `Workspace.write` call, in the order of the changes."""

    items: list[ItemResult] = field(default_factory=list)
    skipped: bool = False
    stored: Any = None
    batch_id: int | None = None  # the last batch written

    def count(self, outcome: Outcome) -> int:
        return sum(1 for i in self.items if i.outcome is outcome)

    @property
    def counts(self) -> dict[str, int]:
        seen = Counter(i.outcome for i in self.items)
        return {o.value: seen[o] for o in Outcome}

    @property
    def ids(self) -> list[int | None]:
        return [i.id for i in self.items]

    def extend(self, other: "WriteResult") -> None:
        """Add the results of a later batch of the same write."""
        self.items.extend(other.items)
        self.batch_id = other.batch_id if other.batch_id is not None else self.batch_id
        self.skipped = self.skipped or other.skipped
        self.stored = other.stored
