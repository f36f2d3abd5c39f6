"""Person ↔ Lead/Contact values, through the configured field mapping and the owner mapping."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from leadbridge.sync.config import ObjectMapping

NON_NULLABLE = {"LastName", "Company"}  # never send a blank for these: the CRM refuses it anyway


def to_crm(record: dict[str, Any], fields: set[str] | None, mapping: ObjectMapping,
           owner_ids: dict[int, str], skip: set[str] = frozenset()) -> tuple[dict[str, Any], list[str]]:
    """CRM payload for `fields` of a person (all mapped fields when None, never those in `skip`: rule none);
    second value: unmapped owners."""
    payload: dict[str, Any] = {}
    problems: list[str] = []
    for local, crm in mapping.fields.items():
        if (fields is not None and local not in fields) or local in skip:
            continue
        value = record.get(local)
        if fields is None and value is None:
            continue
        if local == "owner_id":
            if value is None:
                continue
            if value not in owner_ids:
                problems.append(f"owner {value} has no CRM user (users are matched by email)")
                continue
            value = owner_ids[value]
        elif isinstance(value, datetime):
            value = value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        elif isinstance(value, date):
            value = value.isoformat()
        if value is None and crm in NON_NULLABLE:
            continue
        payload[crm] = value
    return payload, problems


def from_crm(values: dict[str, Any], mapping: ObjectMapping, user_ids: dict[str, int]) -> dict[str, Any]:
    """Person values from a CRM record (owner ids mapped back to local users where known)."""
    out: dict[str, Any] = {}
    for local, crm in mapping.fields.items():
        if crm not in values:
            continue
        value = values[crm]
        if local == "owner_id":
            if value not in user_ids:
                continue  # an owner we do not know locally stays as it is
            value = user_ids[value]
        out[local] = value
    return out
