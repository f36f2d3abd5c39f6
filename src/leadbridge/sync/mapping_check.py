"""`mapping suggest` and `mapping check`: the mapping against the CRM's describe, before any sync."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from leadbridge.crm import describe_cache
from leadbridge.crm.protocol import Connector
from leadbridge.model.types import FieldType as T
from leadbridge.sync.config import ObjectMapping
from leadbridge.sync.mapping import CREATE_ONLY, READ_ONLY

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

# which CRM field types can hold which leadbridge types
COMPATIBLE = {
    T.STRING: {"string", "textarea", "picklist", "email", "phone", "url", "combobox"},
    T.TEXT: {"textarea", "string"}, T.EMAIL: {"email", "string"}, T.PHONE: {"phone", "string"},
    T.URL: {"url", "string"}, T.PICKLIST: {"picklist", "string", "combobox"},
    T.MULTIPICKLIST: {"multipicklist"}, T.BOOLEAN: {"boolean"}, T.INTEGER: {"int", "double", "currency"},
    T.NUMBER: {"double", "currency", "percent"}, T.CURRENCY: {"currency", "double"}, T.DATE: {"date"},
    T.DATETIME: {"datetime"}, T.REFERENCE: {"reference", "id"},
}
NORMALIZER_FOR = {"country": "country", "state": "state", "email": "email", "phone": "phone", "mobile_phone": "phone"}


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def suggest(ws: "Workspace", crm: Connector, crm_object: str = "Lead") -> dict[str, Any]:
    """A field mapping from the CRM's describe: names and labels matched, types checked, customs listed."""
    desc = crm.describe(crm_object)
    describe_cache.save(ws.root, crm_object, desc)
    fields = {f["name"]: f for f in desc["fields"]}
    by_key = {}
    for f in desc["fields"]:
        by_key.setdefault(_norm(f["name"]), f)
        by_key.setdefault(_norm(f["label"]), f)
    mapping, unmatched_custom = {}, []
    for fd in ws.fields("person"):
        if not fd.writable:
            continue
        hit = by_key.get(_norm(fd.name)) or by_key.get(_norm(fd.display_label)) or by_key.get(_norm(fd.name) + "c")
        if hit and hit["type"] in COMPATIBLE.get(fd.type, set()) and hit.get("updateable", True):
            mapping[fd.name] = hit["name"]
    used = set(mapping.values())
    unmatched_custom = [n for n, f in fields.items() if f.get("custom") and n not in used]
    return {"crm_object": crm_object, "fields": mapping, "unmapped_crm_custom_fields": unmatched_custom}


def check(ws: "Workspace", crm: Connector) -> list[dict[str, Any]]:
    """Problems that would make pushes fail, each with a count and the fix."""
    problems: list[dict[str, Any]] = []
    cfg = ws.config.sync
    for mapping in (cfg.lead, cfg.contact):
        problems += _check_object(ws, crm, "person", mapping, cfg.external_id_field)
    for local, mapping in cfg.related.items():
        if mapping.direction != "pull":  # pushed: the same checks as for people
            problems += _check_object(ws, crm, local, mapping, cfg.external_id_field)
    return problems


def _check_object(ws: "Workspace", crm: Connector, local_obj: str, mapping: ObjectMapping,
                  ext_id: str) -> list[dict[str, Any]]:
    obj = mapping.crm_object
    out: list[dict[str, Any]] = []
    desc = crm.describe(obj)
    describe_cache.save(ws.root, obj, desc)
    fields = {f["name"]: f for f in desc["fields"]}
    local = {f.name: f for f in ws.fields(local_obj)}
    never_written = READ_ONLY.get(obj, set()) | CREATE_ONLY.get(obj, set())  # the push leaves these out
    ext = fields.get(ext_id)
    if ext is None or not ext.get("externalId"):
        out.append({"object": obj, "field": ext_id, "problem": "external id field missing or not marked external id",
                    "fix": f"create {ext_id} (text, External ID, unique) on {obj}"})
    for lf, cf in mapping.fields.items():
        f = fields.get(cf)
        if f is None:
            out.append({"object": obj, "field": cf, "problem": "no such CRM field",
                        "fix": "`leadbridge mapping suggest` proposes existing fields"})
            continue
        if cf not in never_written and (not f.get("updateable", True) or not f.get("createable", True)):
            out.append({"object": obj, "field": cf, "problem": "not writable for the sync user",
                        "fix": "give the sync user edit access (field-level security), or set the rule to crm_wins"})
        if lf in local and f["type"] not in COMPATIBLE.get(local[lf].type, {f["type"]}):
            out.append({"object": obj, "field": cf, "problem": f"type mismatch: {local[lf].type.value} → {f['type']}",
                        "fix": "map a compatible field"})
        # with State and Country picklists, the text fields accept the labels/codes of the *Code picklists
        source = fields.get(cf + "Code") if cf.endswith(("Country", "State")) and cf + "Code" in fields else f
        if cf.endswith("State"):
            source = None  # valid states depend on the country: the CRM's own check reports them per record
        values = [p["value"] for p in (source or {}).get("picklistValues") or [] if p.get("active", True)]
        labels = [p.get("label") for p in (source or {}).get("picklistValues") or [] if p.get("active", True)]
        if values and (source.get("restrictedPicklist") or source is not f):
            bad = _rejected_values(ws, local_obj, lf, set(values) | set(labels))
            if bad:
                out.append({"object": obj, "field": cf, "problem": f"{sum(bad.values()):,} records have values the CRM "
                            f"picklist rejects", "values": dict(bad.most_common(10)),
                            "fix": f"normalize with `leadbridge standards apply` ({NORMALIZER_FOR.get(lf, 'picklist')} "
                                   "normalizer), or add the values to the CRM picklist"})
    required = [n for n, f in fields.items() if f.get("createable") and not f.get("nillable", True)
                and not f.get("defaultedOnCreate") and f["type"] not in ("boolean", "id", "reference")]
    for n in required:
        if n not in mapping.fields.values():
            out.append({"object": obj, "field": n, "problem": "required by the CRM but not mapped",
                        "fix": f"map a field to {n} under sync.{mapping.crm_object.lower()}.fields"})
    return out


def _rejected_values(ws: "Workspace", obj: str, field: str, allowed: set[str]) -> Counter:
    import sqlalchemy as sa
    t = ws.db.object_table(obj)
    if field not in t.c:
        return Counter()
    with ws.db.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c[field], sa.func.count()).where(t.c[field].isnot(None))
                            .group_by(t.c[field])).all()
    return Counter({v: n for v, n in rows if v not in allowed})
