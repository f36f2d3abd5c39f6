"""Sync bases: per record and field, the last value both systems agreed on.

A base is stored when a push succeeds (the values sent) and after a pull (the CRM values the
record now holds). On the next pull a CRM value equal to its base is no change in the CRM, so
only what the CRM really changed is applied, and a field changed on both sides since the base is
a conflict, settled by the field's rule (latest_wins: the local field-history time against the
CRM record's LastModifiedDate, the finest time the REST API gives for a field). A record whose
CRM changes meet no local change since the base takes them whatever the clocks say.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from leadbridge.sync.config import ObjectMapping

MISSING = object()


def norm(value: Any) -> Any:
    """A value in the comparable form bases keep (blank = None, 10.0 = 10, dates as ISO text)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        f = float(value)
        return int(f) if f.is_integer() else f
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value if isinstance(value, str) else str(value)


def pushed_values(record: dict[str, Any], payload: dict[str, Any], mapping: ObjectMapping) -> dict[str, Any]:
    """The local values a successful push made the CRM hold (the payload's mapped fields)."""
    return {local: norm(record.get(local)) for local, crm in mapping.fields.items() if crm in payload}


def crm_changes(values: dict[str, Any], base: dict[str, Any] | None) -> dict[str, Any]:
    """The pulled values that differ from the base (all of them without a base)."""
    if base is None:
        return dict(values)
    return {k: v for k, v in values.items() if base.get(k, MISSING) != norm(v)}


def conflicts(changed: dict[str, Any], base: dict[str, Any] | None, local: dict[str, Any] | None) -> list[str]:
    """Fields changed in the CRM and here since the base (to the same value is no conflict)."""
    if base is None or local is None:
        return list(changed)
    return [k for k, v in changed.items()
            if base.get(k, MISSING) != norm(local.get(k)) and norm(local.get(k)) != norm(v)]
