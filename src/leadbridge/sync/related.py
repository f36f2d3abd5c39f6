"""Pull of the objects around people: Account → company, Campaign, Opportunity and CampaignMember.

Each is read since its own cursor and written through the one door (source crm), so field rules,
history and the crosswalk apply as for people. References (company_id, campaign_id) are followed
through the crosswalk, owners through the user mapping; a campaign member's person is the one linked
to its ContactId, else its LeadId. Pulled values never make outbox entries (source crm).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from leadbridge.crm.protocol import Connector
from leadbridge.crm.salesforce.connector import parse_sf_datetime
from leadbridge.model.changes import Change, Outcome, Source, SourceKind
from leadbridge.model.types import FieldType
from leadbridge.store import sync_state

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

SYSTEM = "salesforce"
MEMBER_PEOPLE = ("ContactId", "LeadId")


def pull_related(ws: "Workspace", crm: Connector, users: dict[str, int]) -> dict[str, dict[str, int]]:
    """Pull every configured related object; per local object: pulled / created / skipped / failed."""
    cfg = ws.config.sync
    out: dict[str, dict[str, int]] = {}
    for local, mapping in cfg.related.items():
        obj, objdef = mapping.crm_object, ws.db.objects[local]
        cursor = sync_state.get_cursor(ws.db, obj)
        since = cursor - timedelta(seconds=cfg.overlap_seconds) if cursor else None
        extra = list(MEMBER_PEOPLE) if local == "campaign_member" else []
        records = crm.changed_since(obj, list(dict.fromkeys([*mapping.fields.values(), *extra])), since)
        counts = out.setdefault(local, {"pulled": 0, "created": 0, "skipped": 0, "failed": 0})
        if not records:
            continue
        refs = {lf for lf in mapping.fields if lf != "owner_id" and lf in objdef.by_name
                and objdef.by_name[lf].type is FieldType.REFERENCE}
        wanted = {r.values.get(mapping.fields[lf]) for r in records for lf in refs}
        wanted |= {r.values.get(f) for r in records for f in extra}
        linked = sync_state.linked_records(ws.db, SYSTEM, None, [w for w in wanted if w])
        changes, log = [], []
        for rec in records:
            values = _values(rec.values, mapping.fields, refs, linked, users)
            if local == "campaign_member":
                person = next((linked[rec.values[f]] for f in MEMBER_PEOPLE if rec.values.get(f) in linked), None)
                if person is None or values.get("campaign_id") is None:
                    counts["skipped"] += 1
                    log.append({"direction": "pull", "object": local, "crm_object": obj, "crm_id": rec.id,
                                "status": "skipped", "result": {"reason": "its campaign or person is not linked here"}})
                    continue
                values["person_id"] = person
            changes.append(Change(values, crm_id=rec.id, crm_object=obj, ref=rec,
                                  occurred_at=parse_sf_datetime(rec.values.get("LastModifiedDate")) or rec.modstamp))
        if changes:
            res = ws.write(changes, Source(SourceKind.CRM, obj), obj=local)
            for item in res.items:
                ok = item.outcome not in (Outcome.REJECTED, Outcome.NOT_FOUND)
                counts["pulled" if ok else "failed"] += 1
                counts["created"] += item.outcome is Outcome.CREATED
                log.append({"direction": "pull", "object": local, "record_id": item.id, "crm_object": obj,
                            "crm_id": item.ref.id, "status": "ok" if ok else "failed",
                            "result": {"outcome": item.outcome.value, "changed": sorted(item.changed),
                                       "ignored": item.ignored, "reasons": item.reasons}})
        sync_state.log(ws.db, log)
        newest = max(r.modstamp for r in records if r.modstamp)
        sync_state.set_cursor(ws.db, obj, max(newest, cursor) if cursor else newest)
    return out


def _values(crm_values: dict[str, Any], fields: dict[str, str], refs: set[str], linked: dict[str, int],
            users: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for local, crm in fields.items():
        if crm not in crm_values:
            continue
        value = crm_values[crm]
        if local == "owner_id":
            if value not in users:
                continue  # an owner we do not know locally stays as it is
            value = users[value]
        elif local in refs and value is not None:
            if value not in linked:
                continue  # a record not (yet) linked here: the reference stays as it is
            value = linked[value]
        out[local] = value
    return out
