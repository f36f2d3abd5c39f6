"""What the sync engine needs from a CRM, whatever the CRM is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do; the engine branches on these, never on the CRM's name."""

    name: str
    batch_size: int = 200
    bulk: bool = False
    bulk_threshold: int = 2000
    upsert_external_id: bool = True
    convert: bool = False
    merge: bool = False


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message: str
    fields: tuple[str, ...] = ()


@dataclass
class SaveResult:
    """One record's result: ok with its CRM id (created or not), or the CRM's errors."""

    ok: bool
    id: str | None = None
    created: bool = False
    errors: list[ErrorDetail] = field(default_factory=list)


@dataclass
class CrmRecord:
    object: str
    id: str
    values: dict[str, Any]
    modstamp: datetime | None = None


class Connector(Protocol):
    capabilities: Capabilities

    def describe(self, obj: str) -> dict[str, Any]: ...

    def upsert(self, obj: str, records: list[dict[str, Any]], *, external_id: str | None) -> list[SaveResult]: ...

    def update(self, obj: str, records: list[dict[str, Any]]) -> list[SaveResult]: ...

    def changed_since(self, obj: str, fields: list[str], since: datetime | None) -> list[CrmRecord]: ...

    def deleted_since(self, obj: str, since: datetime) -> list[tuple[str, datetime]]: ...

    def get(self, obj: str, ids: list[str], fields: list[str]) -> list[CrmRecord]: ...

    def lookup(self, obj: str, field: str, values: list[str], fields: list[str]) -> list[CrmRecord]:
        """Records whose `field` is one of `values` (e.g. existing campaign members of some leads)."""
        ...

    def users(self) -> list[dict[str, Any]]: ...

    def merged_into(self, obj: str, ids: list[str]) -> dict[str, str]:
        """Of these deleted ids, those deleted by a CRM merge: loser id → the master it was merged into."""
        ...

    def merge(self, obj: str, master_id: str, duplicate_ids: list[str]) -> list[str]:
        """Merge duplicates into the master in the CRM (when `capabilities.merge`); the merged ids."""
        ...

    def limits(self) -> dict[str, Any]: ...

    @property
    def api_calls(self) -> int: ...
