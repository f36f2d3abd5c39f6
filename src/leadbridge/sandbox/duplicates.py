"""Unique fields, one membership per campaign, and duplicate rules (with Salesforce's duplicateResult).

A duplicate rule's action: `block` always refuses; `alert` refuses unless the request carries
`Sforce-Duplicate-Rule-Header: allowSave=true` (REST API "Duplicate Rule Header"); `report`
saves. All checks use indexes, so a bulk load stays linear.
"""

from __future__ import annotations

from typing import Any

from leadbridge.sandbox.indexes import Indexes, key_of
from leadbridge.sandbox.metadata import Schema
from leadbridge.sandbox.validation import RecordError

BLOCK_MSG = "You're creating a duplicate record. We recommend you use an existing record instead."
ALERT_MSG = "Use one of these records?"
MEMBER_KEYS = (("CampaignId", "LeadId"), ("CampaignId", "ContactId"))


def check(schema: Schema, rules: list[Any], indexes: Indexes, obj: str, rec: dict[str, Any], version: str,
          allow_save: bool) -> None:
    """Raise DUPLICATE_VALUE / DUPLICATES_DETECTED when `rec` collides with another stored record."""
    rid = rec["Id"]
    for name in schema.unique[obj]:
        if rec.get(name) not in (None, ""):
            others = indexes.lookup(obj, (name,), [rec[name]]) - {rid}
            if others:
                raise RecordError("DUPLICATE_VALUE", f"duplicate value found: {name} duplicates value on record with "
                                  f"id: {min(others)}", [name])
    if obj == "CampaignMember":
        for fields in MEMBER_KEYS:
            k = key_of(rec, fields)
            if k is not None and indexes.lookup(obj, fields, [rec[f] for f in fields]) - {rid}:
                raise RecordError("DUPLICATE_VALUE", "Already a campaign member.", [])
    for rule in rules:
        if rule.object != obj or rule.action == "report":
            continue
        fields = tuple(rule.fields)
        if key_of(rec, fields) is None:
            continue
        matches = sorted(indexes.lookup(obj, fields, [rec[f] for f in fields]) - {rid})
        if not matches or (rule.action == "alert" and allow_save):
            continue
        message = BLOCK_MSG if rule.action == "block" else ALERT_MSG
        raise RecordError("DUPLICATES_DETECTED", message, [], extra={"duplicateResult": _result(obj, rule, matches,
                                                                                                message, version)})


def _result(obj: str, rule: Any, matches: list[str], message: str, version: str) -> dict[str, Any]:
    api_name = rule.name.replace(" ", "_")
    return {"allowSave": rule.action != "block", "duplicateRule": api_name, "duplicateRuleEntityType": obj,
            "errorMessage": message, "matchResults": [{
                "entityType": obj, "errors": [], "matchEngine": "ExactMatchEngine", "rule": f"{api_name}_Matching",
                "size": len(matches), "success": True,
                "matchRecords": [{"additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
                                  "record": {"attributes": {"type": obj, "url": f"/services/data/v{version}/sobjects/"
                                                                               f"{obj}/{m}"}, "Id": m}}
                                 for m in matches]}]}


def ensure_indexes(schema: Schema, rules: list[Any], indexes: Indexes) -> None:
    """Build every index the checks use, so later writes keep them current."""
    for obj, fields in schema.objects.items():
        for f in fields.values():
            if f.unique or f.external_id:
                indexes.ensure(obj, (f.name,))
    for fields in MEMBER_KEYS:
        indexes.ensure("CampaignMember", fields)
    for rule in rules:
        if rule.object in schema.objects:
            indexes.ensure(rule.object, tuple(rule.fields))
