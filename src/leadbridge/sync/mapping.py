"""Local record ↔ CRM record values, through the configured field mapping and the crosswalk.

References are followed both ways: owners through the user mapping, records (company_id →
AccountId, campaign_id → CampaignId, …) through the crosswalk of the referenced object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

from leadbridge.model.types import FieldType
from leadbridge.store import sync_state
from leadbridge.sync.config import ObjectMapping

if TYPE_CHECKING:
    from leadbridge.store.database import Database

NON_NULLABLE = {"LastName", "Company", "Name"}  # never send a blank for these: the CRM refuses it anyway
SYSTEM = "salesforce"
# Fields the CRM computes (never sent) and fields it takes on create only (never sent on update).
READ_ONLY = {"CampaignMember": {"HasResponded"}, "Opportunity": {"IsWon", "IsClosed"}}
CREATE_ONLY = {"CampaignMember": {"CampaignId", "LeadId", "ContactId"}}


@dataclass
class Outgoing:
    """A CRM payload, the owners it could not map (a data error), and references not yet in the CRM
    (left out of this payload, sent once the referenced record has been pushed)."""

    payload: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)


def to_crm(record: dict[str, Any], fields: set[str] | None, mapping: ObjectMapping, owner_ids: dict[int, str],
           skip: Iterable[str] = frozenset(), refs: dict[str, dict[int, str]] | None = None) -> Outgoing:
    """CRM payload for `fields` of a record (all mapped fields when None, never those in `skip`: rule none).

    `refs`: local reference field → {local id → CRM id} of the referenced object's linked records."""
    out = Outgoing({})
    refs = refs or {}
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
                out.problems.append(f"owner {value} has no CRM user (users are matched by email)")
                continue
            value = owner_ids[value]
        elif local in refs and value is not None:
            if value not in refs[local]:
                out.deferred.append(f"{local}={value} is not in the CRM yet")
                continue
            value = refs[local][value]
        elif isinstance(value, datetime):
            value = value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        elif isinstance(value, date):
            value = value.isoformat()
        if value is None and crm in NON_NULLABLE:
            continue
        out.payload[crm] = value
    return out


def from_crm(values: dict[str, Any], mapping: ObjectMapping, user_ids: dict[str, int],
             refs: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """Local values from a CRM record: owners mapped back to local users where known, references
    (`refs`: local field → {CRM id → local id}) to linked local records; unknown ones stay as they are."""
    out: dict[str, Any] = {}
    refs = refs or {}
    for local, crm in mapping.fields.items():
        if crm not in values:
            continue
        value = values[crm]
        if local == "owner_id":
            if value not in user_ids:
                continue  # an owner we do not know locally stays as it is
            value = user_ids[value]
        elif local in refs and value is not None:
            if value not in refs[local]:
                continue  # a record not (yet) linked here: the reference stays as it is
            value = refs[local][value]
        out[local] = value
    return out


def crm_ids_of(db: "Database", local: str, crm_object: str, record_ids: Iterable[Any]) -> dict[int, str]:
    """Local record id → its active CRM id on `crm_object`, for those linked."""
    ids = {i for i in record_ids if i is not None}
    links = sync_state.active_links(db, local, ids) if ids else {}
    return {rid: cid for rid, ls in links.items() for co, cid in ls if co == crm_object}


def local_ids_of(db: "Database", crm_object: str, crm_ids: Iterable[Any]) -> dict[str, int]:
    """CRM id → the local record linked to it."""
    ids = {i for i in crm_ids if i}
    return sync_state.linked_records(db, SYSTEM, crm_object, ids) if ids else {}


def reference_targets(db: "Database", local: str, mapping: ObjectMapping,
                      related: dict[str, ObjectMapping]) -> dict[str, tuple[str, str]]:
    """Mapped reference fields of `local` (owners aside) → (referenced local object, its CRM object)."""
    objdef = db.objects[local]
    out = {}
    for lf in mapping.fields:
        fd = objdef.by_name.get(lf)
        if lf != "owner_id" and fd is not None and fd.type is FieldType.REFERENCE and fd.references in related:
            out[lf] = (fd.references, related[fd.references].crm_object)
    return out


def pulled_refs(db: "Database", local: str, mapping: ObjectMapping, related: dict[str, ObjectMapping],
                values: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """For `from_crm`: local reference field → {CRM id → linked local record} over these CRM values."""
    values = list(values)
    return {lf: local_ids_of(db, crm_obj, [v.get(mapping.fields[lf]) for v in values])
            for lf, (_, crm_obj) in reference_targets(db, local, mapping, related).items()}
