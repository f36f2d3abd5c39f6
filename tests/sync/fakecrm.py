"""An in-memory CRM behind the Connector protocol, for fast engine tests (the sandbox tests use real HTTP)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from leadbridge.crm.protocol import Capabilities, CrmRecord, ErrorDetail, SaveResult
from leadbridge.errors import CrmTransientError

COUNTRIES = {"United States", "Germany", "France", "China", "Japan", "United Kingdom", "Canada"}
REQUIRED = {"Lead": ("LastName", "Company"), "Contact": ("LastName",)}


class FakeCrm:
    def __init__(self) -> None:
        self.capabilities = Capabilities("fake", bulk=False, merge=True)
        self.records: dict[str, dict[str, dict[str, Any]]] = {o: {} for o in (
            "Lead", "Contact", "User", "Account", "Campaign", "Opportunity", "CampaignMember")}
        self.deleted: dict[str, list[tuple[str, datetime]]] = {o: [] for o in self.records}
        self.masters: dict[str, str] = {}  # merged-away id → master id
        self._ids = itertools.count(1)
        self.clock = datetime.now(timezone.utc)
        self.api_calls = 0
        self.write_calls = 0
        self.fail_next_call: Exception | None = None
        self.lock_ids: set[str] = set()

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def _new_id(self, obj: str) -> str:
        prefix = {"Lead": "00Q", "Contact": "003", "User": "005", "Account": "001", "Campaign": "701",
                  "Opportunity": "006", "CampaignMember": "00v"}[obj]
        return f"{prefix}{next(self._ids):015d}"

    def _call(self) -> None:
        self.api_calls += 1
        if self.fail_next_call:
            exc, self.fail_next_call = self.fail_next_call, None
            raise exc

    # -- CRM-side actions used by tests --------------------------------------------------------

    def add(self, obj: str, **values: Any) -> str:
        rid = self._new_id(obj)
        now = self._tick()
        self.records[obj][rid] = {"Id": rid, **values, "SystemModstamp": now, "LastModifiedDate": now}
        return rid

    def edit(self, obj: str, rid: str, at: datetime | None = None, **values: Any) -> None:
        now = at or self._tick()
        self.records[obj][rid].update(values, SystemModstamp=self._tick(), LastModifiedDate=now)

    def convert(self, lead_id: str) -> str:
        lead = self.records["Lead"][lead_id]
        contact = self.add("Contact", **{k: lead.get(k) for k in ("FirstName", "LastName", "Email")},
                           Leadbridge_Id__c=lead.get("Leadbridge_Id__c"))
        self.edit("Lead", lead_id, IsConverted=True, ConvertedContactId=contact)
        return contact

    def delete(self, obj: str, rid: str) -> None:
        del self.records[obj][rid]
        self.deleted[obj].append((rid, self._tick()))

    def merge(self, obj: str, master_id: str, duplicate_ids: list[str]) -> list[str]:
        for d in duplicate_ids:
            self.delete(obj, d)
            self.masters[d] = master_id
        self.edit(obj, master_id)
        return list(duplicate_ids)

    # -- Connector protocol --------------------------------------------------------------------

    def describe(self, obj: str) -> dict[str, Any]:
        self._call()
        return {"name": obj, "fields": []}

    def limits(self) -> dict[str, Any]:
        self._call()
        return {"DailyApiRequests": {"Max": 100000, "Remaining": 100000 - self.api_calls}}

    def users(self) -> list[dict[str, Any]]:
        self._call()
        return list(self.records["User"].values())

    def _validate(self, obj: str, rec: dict[str, Any]) -> ErrorDetail | None:
        missing = [f for f in REQUIRED.get(obj, ()) if not rec.get(f)]
        if missing:
            return ErrorDetail("REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", tuple(missing))
        if rec.get("Country") and rec["Country"] not in COUNTRIES:
            return ErrorDetail("FIELD_INTEGRITY_EXCEPTION", f"bad value for Country: {rec['Country']}", ("Country",))
        if rec.get("IsConverted") and obj == "Lead":
            return ErrorDetail("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
        return None

    def upsert(self, obj: str, records: list[dict[str, Any]], *, external_id: str | None) -> list[SaveResult]:
        self._call()
        self.write_calls += 1
        out = []
        for r in records:
            r = dict(r)
            if external_id is None:
                rid = r.pop("Id")
                cur = self.records[obj].get(rid)
                if cur is None:
                    out.append(SaveResult(False, errors=[ErrorDetail("ENTITY_IS_DELETED", "entity is deleted")]))
                    continue
                if rid in self.lock_ids:
                    out.append(SaveResult(False, errors=[ErrorDetail("UNABLE_TO_LOCK_ROW", "lock")]))
                    continue
                err = self._validate(obj, {**cur, **r})
                if err:
                    out.append(SaveResult(False, errors=[err]))
                    continue
                now = self._tick()
                cur.update(r, SystemModstamp=now, LastModifiedDate=now)
                out.append(SaveResult(True, rid, False))
                continue
            key = r[external_id]
            hit = next((x for x in self.records[obj].values() if x.get(external_id) == key), None)
            merged = {**(hit or {}), **r}
            err = self._validate(obj, merged)
            if err:
                out.append(SaveResult(False, errors=[err]))
                continue
            now = self._tick()
            if hit:
                hit.update(r, SystemModstamp=now, LastModifiedDate=now)
                out.append(SaveResult(True, hit["Id"], False))
            else:
                rid = self._new_id(obj)
                self.records[obj][rid] = {"Id": rid, **r, "SystemModstamp": now, "LastModifiedDate": now}
                out.append(SaveResult(True, rid, True))
        return out

    def update(self, obj: str, records: list[dict[str, Any]]) -> list[SaveResult]:
        return self.upsert(obj, records, external_id=None)

    def _fmt(self, rec: dict[str, Any]) -> dict[str, Any]:
        out = dict(rec)
        for k in ("SystemModstamp", "LastModifiedDate"):
            out[k] = rec[k].strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        return out

    def changed_since(self, obj: str, fields: list[str], since: datetime | None) -> list[CrmRecord]:
        self._call()
        recs = [r for r in self.records[obj].values() if since is None or r["SystemModstamp"] > since]
        return [CrmRecord(obj, r["Id"], self._fmt(r), r["SystemModstamp"])
                for r in sorted(recs, key=lambda r: r["SystemModstamp"])]

    def get(self, obj: str, ids: list[str], fields: list[str]) -> list[CrmRecord]:
        self._call()
        return [CrmRecord(obj, i, self._fmt(self.records[obj][i]), self.records[obj][i]["SystemModstamp"])
                for i in ids if i in self.records[obj]]

    def lookup(self, obj: str, field: str, values: list[str], fields: list[str]) -> list[CrmRecord]:
        self._call()
        wanted = set(values)
        return [CrmRecord(obj, r["Id"], self._fmt(r), r["SystemModstamp"])
                for r in self.records[obj].values() if r.get(field) in wanted]

    def merged_into(self, obj: str, ids: list[str]) -> dict[str, str]:
        self._call()
        return {i: self.masters[i] for i in ids if i in self.masters}

    def deleted_since(self, obj: str, since: datetime) -> list[tuple[str, datetime]]:
        self._call()
        return [(i, at) for i, at in self.deleted.get(obj, []) if at >= since]


def transient() -> CrmTransientError:
    return CrmTransientError("connection dropped", code="CONNECTION_ERROR")
