"""The org: records with Salesforce's write semantics (validation, modstamps, upsert, convert, merge)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.metadata import KEY_PREFIX, Schema
from leadbridge.sandbox.storage import Store, sf_now
from leadbridge.sandbox.validation import RecordError, check_fields, validate


class Org:
    def __init__(self, data_dir: Path, config: SandboxConfig):
        self.config = config
        self.schema = Schema(config)
        self.store = Store(Path(data_dir) / "sandbox.db")
        self.api_used = int(self.store.meta("api_used") or 0)
        self._index: dict[tuple[str, str], dict[str, set[str]]] = {}
        self._seed_users()

    def _keyed(self, obj: str, field: str) -> dict[str, set[str]]:
        """value → ids for a unique or external-id field (built on first use, kept current by commit/delete)."""
        key = (obj, field)
        if key not in self._index:
            idx: dict[str, set[str]] = {}
            for r in self.store.table(obj).values():
                if r.get(field) not in (None, ""):
                    idx.setdefault(str(r[field]), set()).add(r["Id"])
            self._index[key] = idx
        return self._index[key]

    # -- helpers ------------------------------------------------------------------------------

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

    def _admin_or_none(self) -> str | None:
        users = self.store.table("User")
        return next(iter(users)) if users else None

    @property
    def admin_id(self) -> str:
        return next(iter(self.store.table("User")))

    def _stamp(self, rec: dict[str, Any], created: bool = False) -> dict[str, Any]:
        now = sf_now()
        if created:
            rec["CreatedDate"] = rec.get("CreatedDate") or now
            rec["IsDeleted"] = False
            rec["CreatedById"] = rec["LastModifiedById"] = rec.get("CreatedById") or self._admin_or_none()
        rec["LastModifiedDate"] = rec["SystemModstamp"] = now
        return rec

    def check_object(self, obj: str) -> None:
        if obj not in self.schema.objects:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)

    def _defaults(self, obj: str, rec: dict[str, Any]) -> None:
        for f in self.schema.fields(obj).values():
            if f.name not in rec:
                if f.type == "boolean":
                    rec[f.name] = False
                elif f.name == "OwnerId":
                    rec[f.name] = self.admin_id
                elif f.name == "Status" and obj == "Lead":
                    rec[f.name] = "Open - Not Contacted"
                else:
                    rec[f.name] = None

    def _check_unique(self, obj: str, rec: dict[str, Any]) -> None:
        table = self.store.table(obj)
        for f in self.schema.fields(obj).values():
            v = rec.get(f.name)
            if f.unique and v not in (None, ""):
                others = self._keyed(obj, f.name).get(str(v), set()) - {rec["Id"]}
                if others:
                    raise RecordError("DUPLICATE_VALUE", f"duplicate value found: {f.name} duplicates value on "
                                      f"record with id: {min(others)}", [f.name])
        if obj == "CampaignMember":  # one membership per campaign and lead or contact, as in Salesforce
            for who in ("LeadId", "ContactId"):
                if rec.get(who) and any(o["Id"] != rec["Id"] and o.get("CampaignId") == rec.get("CampaignId")
                                        and o.get(who) == rec[who] for o in table.values()):
                    raise RecordError("DUPLICATE_VALUE", "Already a campaign member.", [])
        for rule in self.config.duplicate_rules:
            if rule.object == obj and all(rec.get(f) for f in rule.fields):
                key = [str(rec[f]).lower() for f in rule.fields]
                if any(o["Id"] != rec["Id"] and [str(o.get(f) or "").lower() for f in rule.fields] == key
                       for o in table.values()):
                    raise RecordError("DUPLICATES_DETECTED", "You're creating a duplicate record. We recommend you "
                                      "use an existing record instead.", [])

    def _references(self, obj: str, rec: dict[str, Any]) -> None:
        for f in self.schema.fields(obj).values():
            v = rec.get(f.name)
            if f.type == "reference" and v and f.createable:
                if not any(v in self.store.table(t) for t in f.reference_to if t != "Group"):
                    raise RecordError("INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id", [f.name])

    def _assign(self, rec: dict[str, Any]) -> None:
        for rule in self.config.assignment_rules:
            if (rule.country is None or rule.country == rec.get("CountryCode")) and \
                    (rule.state is None or rule.state == rec.get("StateCode")):
                owner = next((u["Id"] for u in self.store.table("User").values() if u.get("Email") == rule.owner_email), None)
                if owner:
                    rec["OwnerId"] = owner
                return

    # -- writes -------------------------------------------------------------------------------

    def prepare_create(self, obj: str, values: dict[str, Any], assign: bool = False) -> dict[str, Any]:
        """A validated new record (not yet stored)."""
        self.check_object(obj)
        values = {k: v for k, v in values.items() if k != "attributes"}
        check_fields(self.schema, obj, values, creating=True)
        rec = {"Id": self.store.new_id(KEY_PREFIX.get(obj, "a00")), **values}
        self._defaults(obj, rec)
        validate(self.schema, self.config, obj, rec)
        self._references(obj, rec)
        self._check_unique(obj, rec)
        if assign and obj == "Lead":
            self._assign(rec)
        return self._stamp(rec, created=True)

    def prepare_update(self, obj: str, rid: str, values: dict[str, Any], assign: bool = False) -> dict[str, Any]:
        self.check_object(obj)
        cur = self.store.get(obj, rid)
        if cur is None:
            if rid in self.store.deleted.get(obj, {}):
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [], status=404)
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        if obj == "Lead" and cur.get("IsConverted"):
            raise RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])
        values = {k: v for k, v in values.items() if k not in ("attributes", "Id")}
        check_fields(self.schema, obj, values, creating=False)
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
        validate(self.schema, self.config, obj, rec)
        self._references(obj, rec)
        self._check_unique(obj, rec)
        if assign and obj == "Lead":
            self._assign(rec)
        return self._stamp(rec)

    def stage(self, obj: str, recs: list[dict[str, Any]]) -> None:
        """Make records visible in memory (and in the key indexes); `store.save` persists them."""
        table = self.store.table(obj)
        for r in recs:
            old = table.get(r["Id"])
            for (o, f), idx in self._index.items():
                if o != obj:
                    continue
                if old is not None and old.get(f) not in (None, ""):
                    idx.get(str(old[f]), set()).discard(r["Id"])
                if r.get(f) not in (None, ""):
                    idx.setdefault(str(r[f]), set()).add(r["Id"])
            table[r["Id"]] = r

    def commit(self, obj: str, recs: list[dict[str, Any]]) -> None:
        self.stage(obj, recs)
        self.store.save(obj, recs)

    def find_external(self, obj: str, field: str, value: Any) -> list[dict[str, Any]]:
        f = self.schema.fields(obj).get(field)
        if f is None or not (f.external_id or field == "Id"):
            raise RecordError("NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {field}",
                              status=404)
        if field == "Id":
            rec = self.store.get(obj, str(value))
            return [rec] if rec else []
        table = self.store.table(obj)
        return [table[i] for i in sorted(self._keyed(obj, field).get(str(value), ())) if i in table]

    def delete(self, obj: str, rid: str) -> None:
        self.check_object(obj)
        if self.store.get(obj, rid) is None:
            if rid in self.store.deleted.get(obj, {}):
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [], status=404)
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        self._unindex(obj, [rid])
        self.store.delete(obj, [rid])

    def _unindex(self, obj: str, rids: list[str]) -> None:
        for (o, f), idx in self._index.items():
            if o == obj:
                for rid in rids:
                    rec = self.store.get(obj, rid)
                    if rec and rec.get(f) not in (None, ""):
                        idx.get(str(rec[f]), set()).discard(rid)

    def convert_lead(self, lead_id: str, account_id: str | None = None) -> dict[str, str]:
        """convertLead: the Lead becomes a Contact (+ Account); the Lead is kept, marked converted."""
        lead = self.store.get("Lead", lead_id)
        if lead is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["leadId"])
        if lead.get("IsConverted"):
            raise RecordError("INVALID_STATUS", "Lead already converted", [])
        if account_id is None:
            acc = self.prepare_create("Account", {"Name": lead.get("Company") or lead["LastName"],
                                                  "Website": lead.get("Website"), "OwnerId": lead.get("OwnerId")})
            self.commit("Account", [acc])
            account_id = acc["Id"]
        keep = {k: lead.get(k) for k in ("FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", "LeadSource",
                                         "HasOptedOutOfEmail", "Description", "OwnerId") if lead.get(k) is not None}
        addr = {f"Mailing{k}": lead.get(k) for k in ("Street", "City", "PostalCode", "CountryCode", "StateCode")
                if lead.get(k)}
        ext = {f: lead[f] for f, d in self.schema.fields("Lead").items()
               if d.custom and f in self.schema.fields("Contact") and lead.get(f) is not None and not d.unique}
        contact = self.prepare_create("Contact", {**keep, **addr, **ext, "AccountId": account_id})
        self.commit("Contact", [contact])
        lead = self._stamp({**lead, "IsConverted": True, "ConvertedContactId": contact["Id"],
                            "ConvertedAccountId": account_id, "Status": "Closed - Converted",
                            "ConvertedDate": datetime.now(timezone.utc).date().isoformat()})
        self.commit("Lead", [lead])
        return {"leadId": lead_id, "contactId": contact["Id"], "accountId": account_id}

    def merge(self, obj: str, master_id: str, loser_ids: list[str]) -> dict[str, Any]:
        """merge: up to 3 records; the master keeps its id, the others are deleted with MasterRecordId set."""
        if len(loser_ids) + 1 > 3:
            raise RecordError("INVALID_OPERATION", "A merge can have at most 3 records", [])
        master = self.store.get(obj, master_id)
        if master is None:
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["masterRecord"])
        losers = []
        for rid in loser_ids:
            rec = self.store.get(obj, rid)
            if rec is None:
                raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["recordToMergeIds"])
            losers.append(rec)
        for rec in losers:
            for k, v in rec.items():
                if master.get(k) in (None, "") and v not in (None, "") and k not in ("Id", "Leadbridge_Id__c"):
                    master[k] = v
        self.commit(obj, [self._stamp(master)])
        for rec in losers:
            self.commit(obj, [{**rec, "MasterRecordId": master_id}])
        self._unindex(obj, loser_ids)
        self.store.delete(obj, loser_ids)
        return {"id": master_id, "mergedRecordIds": loser_ids, "success": True}

    # -- reads --------------------------------------------------------------------------------

    def public(self, obj: str, rec: dict[str, Any], version: str, fields: list[str] | None = None) -> dict[str, Any]:
        body = {k: v for k, v in rec.items() if not k.startswith("_") and (fields is None or k in fields)}
        return {"attributes": {"type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{rec['Id']}"}, **body}

    def count_call(self) -> tuple[int, int]:
        self.api_used += 1
        if self.api_used % 50 == 0:
            self.store.set_meta("api_used", str(self.api_used))
        return self.api_used, self.config.daily_api_requests
