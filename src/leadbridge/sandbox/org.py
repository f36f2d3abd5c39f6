"""The org: records with Salesforce's write semantics (validation, derived fields, assignment, modstamps, deletes).

A write is prepared (validated against the records as they are), then staged (visible in
memory and the indexes, undoable) and saved (SQLite, one transaction). Collections and Bulk
jobs stage record by record, so later records of the same call see earlier ones, and roll
back with `unstage` when a call is all-or-none.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from leadbridge.sandbox import duplicates, ids
from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.derived import derive
from leadbridge.sandbox.indexes import Indexes
from leadbridge.sandbox.metadata import CONVERTED_STATUS, KEY_PREFIX, LEAD_STATUS, PREFIX_OBJECT, SETUP_OBJECTS, Schema
from leadbridge.sandbox.storage import Store, sf_now
from leadbridge.sandbox.validation import RecordError, check_fields, validate

Undo = list[tuple[str, str, dict[str, Any] | None]]  # (object, id, the record before; None = created)
CASCADE = {"Account": [("Contact", "AccountId"), ("Opportunity", "AccountId")],
           "Contact": [("CampaignMember", "ContactId")], "Lead": [("CampaignMember", "LeadId")],
           "Campaign": [("CampaignMember", "CampaignId")]}
NOT_FOUND = "The requested resource does not exist"


class Org:
    def __init__(self, data_dir: Path, config: SandboxConfig):
        self.config = config
        self.schema = Schema(config)
        self.store = Store(Path(data_dir) / "sandbox.db")
        self.indexes = Indexes(self.store.records)
        self.api_day = self.store.meta("api_day") or _today()
        self.api_used = int(self.store.meta("api_used") or 0)
        self._seed_users()
        self._seed_setup()
        duplicates.ensure_indexes(self.schema, config.duplicate_rules, self.indexes)

    # -- reference data ------------------------------------------------------------------------

    def _seed_users(self) -> None:
        users = self.store.table("User")
        have = {u.get("Email") for u in users.values()}
        new = []
        for u in self.config.users:
            if u["Email"] not in have:
                first, _, last = u["Name"].partition(" ")
                rec = self._stamp({"Id": self.store.new_id(KEY_PREFIX["User"]), "Name": u["Name"], "FirstName": first,
                                   "LastName": last, "Email": u["Email"], "Username": u["Email"], "IsActive": True},
                                  created=True)
                users[rec["Id"]] = rec
                new.append(rec)
        self.store.save("User", new)

    def _seed_setup(self) -> None:
        """LeadStatus, OpportunityStage and AssignmentRule rows from the config (memory only: they follow it)."""
        now = sf_now()
        base = {"IsDeleted": False, "CreatedDate": now, "LastModifiedDate": now, "SystemModstamp": now,
                "CreatedById": self.admin_id, "LastModifiedById": self.admin_id}
        self.store.records["LeadStatus"] = {r["Id"]: r for r in (
            {**base, "Id": ids.make(KEY_PREFIX["LeadStatus"], i + 1), "MasterLabel": s, "ApiName": s,
             "IsConverted": s in CONVERTED_STATUS, "IsDefault": i == 0, "SortOrder": i + 1}
            for i, s in enumerate(LEAD_STATUS))}
        self.store.records["OpportunityStage"] = {r["Id"]: r for r in (
            {**base, "Id": ids.make(KEY_PREFIX["OpportunityStage"], i + 1), "MasterLabel": s.name, "ApiName": s.name,
             "IsActive": True, "IsClosed": s.closed, "IsWon": s.won, "DefaultProbability": s.probability,
             "ForecastCategoryName": s.forecast_category, "SortOrder": i + 1}
            for i, s in enumerate(self.config.opportunity_stages))}
        self.store.records["AssignmentRule"] = {r["Id"]: r for r in (
            {**base, "Id": self.assignment_rule_id(name), "Name": name, "SobjectType": "Lead",
             "Active": name == self.active_rule()} for name in self.rule_names())}

    def rule_names(self) -> list[str]:
        return list(dict.fromkeys(r.rule for r in self.config.assignment_rules))

    def active_rule(self) -> str | None:
        names = self.rule_names()
        return self.config.active_assignment_rule or (names[0] if names else None)

    def assignment_rule_id(self, name: str) -> str:
        return ids.make(KEY_PREFIX["AssignmentRule"], self.rule_names().index(name) + 1)

    @property
    def admin_id(self) -> str:
        users = self.store.table("User")
        cached = getattr(self, "_admin", None)
        if cached in users and users[cached].get("Email") == self.config.username:
            return cached
        self._admin = next((u["Id"] for u in users.values() if u.get("Email") == self.config.username),
                           next(iter(users)))
        return self._admin

    def user_by_email(self, email: str | None) -> str | None:
        return next((u["Id"] for u in self.store.table("User").values() if email and u.get("Email") == email), None)

    # -- objects and access ------------------------------------------------------------------------

    def object_name(self, obj: str) -> str | None:
        """The API name of a visible object (any spelling), or None."""
        name = self.schema.resolve(obj)
        p = self.config.permission(name) if name else None
        return name if name and (p is None or p.access != "none") else None

    def check_object(self, obj: str) -> str:
        """The object's API name, or 404 NOT_FOUND as the REST API answers for an unknown or invisible sObject."""
        name = self.object_name(obj)
        if name is None:
            raise RecordError("NOT_FOUND", NOT_FOUND, status=404)
        return name

    def check_writable(self, obj: str) -> None:
        p = self.config.permission(obj)
        if obj in SETUP_OBJECTS or (p is not None and p.access == "read"):
            raise RecordError("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id", [])

    def object_for_id(self, rid: str) -> str | None:
        return PREFIX_OBJECT.get(rid[:3])

    # -- preparing writes --------------------------------------------------------------------------

    def _stamp(self, rec: dict[str, Any], created: bool = False) -> dict[str, Any]:
        now = sf_now()
        if created:
            rec["CreatedDate"] = rec.get("CreatedDate") or now
            rec["IsDeleted"] = False
            rec["CreatedById"] = rec.get("CreatedById") or self._admin_or_none()
        rec["LastModifiedById"] = self._admin_or_none()
        rec["LastModifiedDate"] = rec["SystemModstamp"] = now
        return rec

    def _admin_or_none(self) -> str | None:
        return self.admin_id if self.store.table("User") else None

    def _defaults(self, obj: str, rec: dict[str, Any]) -> None:
        for name, default in self.schema.defaults[obj].items():
            if name not in rec:
                rec[name] = self.admin_id if name == "OwnerId" else default
        if obj == "User" and "IsActive" not in rec:
            rec["IsActive"] = True

    def _references(self, obj: str, rec: dict[str, Any], values: dict[str, Any]) -> None:
        for f in self.schema.reference_fields[obj]:
            v = values.get(f.name)
            if v and f.createable:
                if not any(v in self.store.records.get(t, ()) for t in f.reference_to if t != "Group"):
                    raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f.name])

    def prepare_create(self, obj: str, values: dict[str, Any], assign: str | None = None, *, source: str = "json",
                       allow_save: bool = False, version: str = "59.0") -> dict[str, Any]:
        """A validated new record (not yet stored). `assign`: run this assignment rule (Lead)."""
        obj = self.check_object(obj)
        self.check_writable(obj)
        values = check_fields(self.schema, self.config, obj, {k: v for k, v in values.items() if k != "attributes"},
                              creating=True, source=source)
        rec = {"Id": self.store.new_id(KEY_PREFIX.get(obj, "a00")), **values}
        self._defaults(obj, rec)
        derive(self.config, obj, rec, values, creating=True)
        validate(self.schema, self.config, obj, rec, creating=True)
        self._references(obj, rec, values)
        duplicates.check(self.schema, self.config.duplicate_rules, self.indexes, obj, rec, version, allow_save)
        if assign and obj == "Lead":
            self.assign(rec, assign)
        return self._stamp(rec, created=True)

    def prepare_update(self, obj: str, rid: str, values: dict[str, Any], assign: str | None = None, *,
                       source: str = "json", allow_save: bool = False, version: str = "59.0",
                       system: bool = False) -> dict[str, Any]:
        """The record after the update, validated (not yet stored). `system`: a platform write (no field checks)."""
        obj = self.check_object(obj)
        self.check_writable(obj)
        cur = self.existing(obj, rid, status_deleted=400)
        if obj == "Lead" and cur.get("IsConverted") and not system:
            raise RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])
        values = {k: v for k, v in values.items() if k not in ("attributes", "Id")}
        if not system:
            values = check_fields(self.schema, self.config, obj, values, creating=False, source=source)
        rec = copy.copy(cur)
        # a new country text without a code (or vice versa) replaces both, as Salesforce's field syncing does
        for p in ("", "Mailing", "Billing"):
            if f"{p}Country" in values and f"{p}CountryCode" not in values:
                rec[f"{p}CountryCode"] = None
            if f"{p}State" in values and f"{p}StateCode" not in values:
                rec[f"{p}StateCode"] = None
            if f"{p}CountryCode" in values and f"{p}Country" not in values:
                rec[f"{p}Country"] = None
            if f"{p}StateCode" in values and f"{p}State" not in values:
                rec[f"{p}State"] = None
        rec.update(values)
        derive(self.config, obj, rec, values, creating=False)
        validate(self.schema, self.config, obj, rec, creating=False, changed=values)
        self._references(obj, rec, values)
        duplicates.check(self.schema, self.config.duplicate_rules, self.indexes, obj, rec, version, allow_save)
        if assign and obj == "Lead":
            self.assign(rec, assign)
        return self._stamp(rec)

    def existing(self, obj: str, rid: str, status_deleted: int = 404) -> dict[str, Any]:
        cur = self.store.get(obj, rid)
        if cur is not None:
            return cur
        rid = ids.canonical(rid) if ids.looks_like_id(rid) else rid
        cur = self.store.get(obj, rid)
        if cur is None:
            if rid in self.store.deleted.get(obj, {}):
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [], status=status_deleted)
            if not ids.looks_like_id(rid):
                raise RecordError("NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {rid}",
                                  status=404)
            raise RecordError("NOT_FOUND", NOT_FOUND, status=404)
        return cur

    def assign(self, rec: dict[str, Any], rule: str) -> None:
        """Lead assignment: `rule` is "default" (the active rule) or an AssignmentRule id."""
        if rule == "default":
            name = self.active_rule()
        else:
            name = next((n for n in self.rule_names() if self.assignment_rule_id(n) == ids.canonical(rule)), None)
            if name is None:
                raise RecordError("INVALID_CROSS_REFERENCE_KEY", f"invalid assignment rule id: {rule}", [])
        if name is None:
            return
        for entry in (e for e in self.config.assignment_rules if e.rule == name):
            if (entry.country is None or entry.country == rec.get("CountryCode")) and \
                    (entry.state is None or entry.state == rec.get("StateCode")):
                owner = self.user_by_email(entry.owner_email)
                if owner:
                    rec["OwnerId"] = owner
                return
        fallback = self.user_by_email(self.config.default_lead_owner)
        if fallback:
            rec["OwnerId"] = fallback

    # -- staging and saving ------------------------------------------------------------------------

    def stage(self, obj: str, recs: list[dict[str, Any]]) -> Undo:
        """Make records visible in memory (and in the key indexes); returns how to undo it."""
        table = self.store.table(obj)
        undo: Undo = []
        for r in recs:
            old = table.get(r["Id"])
            undo.append((obj, r["Id"], old))
            self.indexes.update(obj, old, r)
            table[r["Id"]] = r
        return undo

    def unstage(self, undo: Undo) -> None:
        for obj, rid, old in reversed(undo):
            table = self.store.table(obj)
            cur = table.get(rid)
            if old is None:
                if cur is not None:
                    self.indexes.remove(obj, cur)
                    del table[rid]
            else:
                if cur is not None:
                    self.indexes.update(obj, cur, old)
                table[rid] = old

    def commit(self, obj: str, recs: list[dict[str, Any]]) -> None:
        self.stage(obj, recs)
        self.store.save(obj, recs)

    def commit_many(self, by_object: dict[str, list[dict[str, Any]]]) -> None:
        for obj, recs in by_object.items():
            self.stage(obj, recs)
        self.store.save_many(by_object)

    def find_external(self, obj: str, field: str, value: Any) -> list[dict[str, Any]]:
        api = self.schema.field_name(obj, field)
        f = self.schema.fields(obj).get(api) if api else None
        if f is None or not (f.external_id or api == "Id"):
            raise RecordError("NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}",
                              status=404)
        if api == "Id":
            rec = self.store.get(obj, ids.canonical(str(value))) if ids.looks_like_id(str(value)) else None
            return [rec] if rec else []
        table = self.store.table(obj)
        return [table[i] for i in sorted(self.indexes.lookup(obj, (api,), [value])) if i in table]

    # -- deleting ------------------------------------------------------------------------------------

    def check_delete(self, obj: str, rid: str) -> str:
        """The canonical id of a record that may be deleted, or the error deleting it gives."""
        obj = self.check_object(obj)
        self.check_writable(obj)
        return self.existing(obj, rid)["Id"]

    def delete(self, obj: str, rid: str, **extra: Any) -> list[tuple[str, str]]:
        """Delete a record and its cascade (contacts and opportunities of an account, members of a campaign…)."""
        obj = self.check_object(obj)
        rid = self.check_delete(obj, rid)
        gone = self._cascade(obj, rid)
        by_obj: dict[str, list[str]] = {}
        for o, r in gone:
            rec = self.store.get(o, r)
            if rec is not None:
                self.indexes.remove(o, rec)
                self.store.mark_deleted(o, r, **(extra if (o, r) == (obj, rid) else {}))
                by_obj.setdefault(o, []).append(r)
        self.store.save_many({}, by_obj)
        return gone

    def _cascade(self, obj: str, rid: str) -> list[tuple[str, str]]:
        out = [(obj, rid)]
        for child, ref in CASCADE.get(obj, []):
            for c in [r["Id"] for r in self.store.table(child).values() if r.get(ref) == rid]:
                out += self._cascade(child, c)
        return out

    # -- conversion and merge (the SOAP calls' semantics, for Python callers) -------------------------

    def convert_lead(self, lead_id: str, account_id: str | None = None, *, contact_id: str | None = None,
                     converted_status: str = "Closed - Converted", create_opportunity: bool = False,
                     opportunity_name: str | None = None, owner_id: str | None = None) -> dict[str, Any]:
        """convertLead for one lead. Unlike the SOAP call's default, no Opportunity unless `create_opportunity`."""
        from leadbridge.sandbox.conversion import convert
        return convert(self, {"leadId": lead_id, "accountId": account_id, "contactId": contact_id,
                              "convertedStatus": converted_status, "opportunityName": opportunity_name,
                              "ownerId": owner_id, "doNotCreateOpportunity": str(not create_opportunity).lower()},
                       "59.0")

    def merge(self, obj: str, master_id: str, loser_ids: list[str], master_values: dict[str, Any] | None = None
              ) -> dict[str, Any]:
        """merge() as the SOAP call does it: `master_values` are the fields set in masterRecord."""
        from leadbridge.sandbox.merge import merge
        return merge(self, obj, master_id, loser_ids, master_values or {}, "59.0")

    # -- reads and limits ----------------------------------------------------------------------------

    def public(self, obj: str, rec: dict[str, Any], version: str, fields: list[str] | None = None) -> dict[str, Any]:
        p = self.config.permission(obj)
        hidden = set(p.hidden_fields) if p else ()
        body = {k: v for k, v in rec.items() if not k.startswith("_") and k not in hidden
                and (fields is None or k in fields)}
        return {"attributes": {"type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{rec['Id']}"}, **body}

    def count_call(self) -> tuple[int, int]:
        """Count one API request against the daily allocation (reset each UTC day, persisted every call)."""
        today = _today()
        if today != self.api_day:
            self.api_day, self.api_used = today, 0
            self.store.set_meta("api_day", today)
        self.api_used += 1
        self.store.set_meta("api_used", str(self.api_used))
        return self.api_used, self.config.daily_api_requests


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()
