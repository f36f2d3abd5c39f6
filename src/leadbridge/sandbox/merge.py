"""merge(): up to three Leads, Contacts or Accounts become the master record, as the SOAP API's merge() does.

From Salesforce's merge() docs: the master keeps its own field values; "if you want field
values in the non-master records to supersede the master record values, set the field names
and values in the masterRecord of the MergeRequest" (applied like an update, so validated).
Nothing is copied from the others by itself. The records related to a merged record are
re-parented to the master (the Contacts and Opportunities of an Account, the campaign
memberships of a Lead or Contact, any lookup to it); a membership the master already has in
the same campaign is deleted instead of doubled. The merged records are deleted with
`MasterRecordId` set (queryAll shows them). One merge is one transaction.
"""

from __future__ import annotations

from typing import Any

from leadbridge.sandbox import ids
from leadbridge.sandbox.duplicates import MEMBER_KEYS
from leadbridge.sandbox.metadata import MERGEABLE
from leadbridge.sandbox.validation import RecordError

SKIP_REFS = {"MasterRecordId", "CreatedById", "LastModifiedById"}


def _record(org: Any, obj: str, rid: str | None, field: str) -> dict[str, Any]:
    rid = ids.canonical(rid) if ids.looks_like_id(rid) else rid
    rec = org.store.get(obj, rid) if rid else None
    if rec is None:
        if rid and rid in org.store.deleted.get(obj, {}):
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [field])
        raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field])
    return rec


def merge(org: Any, obj: str | None, master_id: str | None, loser_ids: list[str], master_values: dict[str, Any],
          version: str) -> dict[str, Any]:
    """Merge `loser_ids` into `master_id`; returns {id, mergedRecordIds, updatedRelatedIds}."""
    name = org.schema.resolve(obj or "") if obj else None
    if name not in MERGEABLE:
        raise RecordError("INVALID_TYPE_FOR_OPERATION", f"entity type {obj} does not support merge", [])
    org.check_writable(name)
    if not loser_ids:
        raise RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [recordToMergeIds]",
                          ["recordToMergeIds"])
    if len(loser_ids) > 2:
        raise RecordError("LIMIT_EXCEEDED", "A merge can combine at most 3 records: the master and 2 others",
                          ["recordToMergeIds"])
    master = _record(org, name, master_id, "masterRecord")
    losers = [_record(org, name, rid, "recordToMergeIds") for rid in loser_ids]
    loser_set = {r["Id"] for r in losers}
    if master["Id"] in loser_set or len(loser_set) != len(losers):
        raise RecordError("INVALID_ID_FIELD", "a record can be merged only once, and not into itself",
                          ["recordToMergeIds"])
    if name == "Lead" and any(r.get("IsConverted") for r in [master, *losers]):
        raise RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])

    undo: list = []
    saved: dict[str, list[dict[str, Any]]] = {}
    related: list[str] = []
    try:
        updated = org.prepare_update(name, master["Id"], master_values, version=version)
        undo += org.stage(name, [updated])
        saved[name] = [updated]
        doomed: list[tuple[str, str]] = []
        for child, refs in org.schema.reference_fields.items():
            for f in refs:
                if name not in f.reference_to or f.name in SKIP_REFS:
                    continue
                for rec in [r for r in org.store.table(child).values() if r.get(f.name) in loser_set]:
                    if child == "CampaignMember" and _master_is_member(org, rec, f.name, master["Id"]):
                        doomed.append((child, rec["Id"]))
                        continue
                    moved = org.prepare_update(child, rec["Id"], {f.name: master["Id"]}, system=True, version=version)
                    undo += org.stage(child, [moved])
                    saved.setdefault(child, []).append(moved)
                    related.append(rec["Id"])
        gone: dict[str, list[str]] = {}
        for child, rid in doomed:
            org.indexes.remove(child, org.store.get(child, rid))
            org.store.mark_deleted(child, rid)
            gone.setdefault(child, []).append(rid)
        for rec in losers:
            org.indexes.remove(name, rec)
            org.store.mark_deleted(name, rec["Id"], MasterRecordId=master["Id"])
            gone.setdefault(name, []).append(rec["Id"])
    except BaseException:
        org.unstage(undo)
        raise
    org.store.save_many(saved, gone)
    return {"id": master["Id"], "mergedRecordIds": [r["Id"] for r in losers], "updatedRelatedIds": related}


def _master_is_member(org: Any, member: dict[str, Any], field: str, master_id: str) -> bool:
    keys = next(k for k in MEMBER_KEYS if k[1] == field)
    return bool(org.indexes.lookup("CampaignMember", keys, [member["CampaignId"], master_id]))
