"""The Salesforce adapter: describe, collections/Bulk 2.0 upserts, incremental queries, limits."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, TypeVar

import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError

from leadbridge.crm.protocol import Capabilities, CrmRecord, ErrorDetail, SaveResult
from leadbridge.crm.salesforce import bulk
from leadbridge.crm.salesforce.session import TIMEOUT, Credentials, http_session, login
from leadbridge.errors import CrmConfigError, CrmDataError, CrmError, CrmTransientError

log = logging.getLogger(__name__)
T = TypeVar("T")
COLLECTION = 200


def soql_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def soql_string(value: str) -> str:
    """A SOQL string literal (backslash and quote escaped)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def parse_sf_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(timezone.utc)


class SalesforceConnector:
    """A logged-in Salesforce org (re-logs in once when the session expires)."""

    def __init__(self, creds: Credentials, *, bulk_threshold: int = 2000):
        self.creds = creds
        self.capabilities = Capabilities("salesforce", batch_size=COLLECTION, bulk=True,
                                         bulk_threshold=bulk_threshold, convert=True, merge=True)
        self.session = http_session(creds.ca_bundle)
        self._calls = 0
        self.call_limit: int | None = None  # requests past this count are refused unsent (the daily budget)
        self.api_usage: tuple[int, int] | None = None
        self.session.hooks["response"].append(self._count)
        self.sf: Salesforce | None = None
        self.connect()

    # -- session ------------------------------------------------------------------------------

    def _count(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._calls += 1
        info = response.headers.get("Sforce-Limit-Info", "")
        if "api-usage=" in info:
            used, _, cap = info.split("api-usage=")[1].split(";")[0].partition("/")
            if used.isdigit() and cap.isdigit():
                self.api_usage = (int(used), int(cap))

    @property
    def api_calls(self) -> int:
        return self._calls

    def connect(self) -> None:
        result = login(self.creds, self.session)
        self.sf = Salesforce(instance_url=result.instance_url, session_id=result.session_id,
                             session=self.session, version=self.creds.api_version)

    def _call(self, fn: Callable[[], T]) -> T:
        """Run one API call, mapping failures to leadbridge errors; re-login once on an expired session."""
        for attempt in (1, 2):
            if self.call_limit is not None and self._calls >= self.call_limit:
                raise CrmTransientError("the daily API budget leadbridge may use is spent (crm.daily_api_budget)",
                                        code="API_BUDGET_EXHAUSTED")
            try:
                return fn()
            except SalesforceError as exc:
                err = _first_error(exc.content)
                if exc.status == 401 and attempt == 1:
                    self.connect()
                    continue
                raise _as_crm_error(err, exc.status) from None
            except requests.exceptions.Timeout:
                raise CrmTransientError("the CRM did not answer in time", code="TIMEOUT") from None
            except requests.exceptions.SSLError as exc:
                raise CrmConfigError(f"TLS error: {exc}", code="TLS_ERROR",
                                     hint="set crm.ca_bundle to the CRM's CA file") from None
            except requests.exceptions.RequestException as exc:  # reset, dropped mid-response, broken chunking
                raise CrmTransientError(f"connection dropped: {exc.__class__.__name__}", code="CONNECTION_ERROR") from None
        raise CrmTransientError("session expired twice", code="INVALID_SESSION_ID")

    def _rest(self, method: str, path: str, **kw: Any) -> Any:
        url = f"{self.sf.base_url}{path}"
        extra = kw.pop("headers", {})

        def go() -> Any:
            r = self.session.request(method, url, headers={**self.sf.headers, **extra}, timeout=TIMEOUT, **kw)
            if r.status_code >= 300:
                raise SalesforceError(url, r.status_code, path, _body(r))
            return _body(r)
        return self._call(go)

    # -- metadata -----------------------------------------------------------------------------

    def describe(self, obj: str) -> dict[str, Any]:
        return self._call(lambda: getattr(self.sf, obj).describe())

    def limits(self) -> dict[str, Any]:
        return self._call(lambda: self.sf.limits())

    def users(self) -> list[dict[str, Any]]:
        return self.query("SELECT Id, Name, Email, Username, IsActive FROM User")

    # -- writes -------------------------------------------------------------------------------

    def upsert(self, obj: str, records: list[dict[str, Any]], *, external_id: str | None) -> list[SaveResult]:
        """Create-or-update by external id (or update by Id when external_id is None); bulk above the threshold."""
        if len(records) >= self.capabilities.bulk_threshold:
            log.info("sync: %d %s records → Bulk API 2.0 (threshold %d)", len(records), obj,
                     self.capabilities.bulk_threshold)
            return bulk.ingest(self, obj, records, external_id)
        out: list[SaveResult] = []
        for i in range(0, len(records), COLLECTION):
            part = records[i:i + COLLECTION]
            body = {"allOrNone": False, "records": [{"attributes": {"type": obj}, **r} for r in part]}
            path = f"composite/sobjects/{obj}/{external_id}" if external_id else "composite/sobjects"
            results = self._rest("PATCH", path, json=body)
            out += [_save_result(r) for r in results]
        return out

    def update(self, obj: str, records: list[dict[str, Any]]) -> list[SaveResult]:
        return self.upsert(obj, records, external_id=None)

    # -- reads --------------------------------------------------------------------------------

    def query(self, soql: str, include_deleted: bool = False) -> list[dict[str, Any]]:
        res = self._call(lambda: self.sf.query_all(soql, include_deleted=include_deleted))
        return [{k: v for k, v in r.items() if k != "attributes"} for r in res["records"]]

    def changed_since(self, obj: str, fields: list[str], since: datetime | None) -> list[CrmRecord]:
        cols = ", ".join(dict.fromkeys(["Id", "SystemModstamp", "LastModifiedDate", *fields]))
        where = f" WHERE SystemModstamp > {soql_datetime(since)}" if since else ""
        rows = self.query(f"SELECT {cols} FROM {obj}{where} ORDER BY SystemModstamp ASC")
        return [CrmRecord(obj, r["Id"], r, parse_sf_datetime(r.get("SystemModstamp"))) for r in rows]

    def get(self, obj: str, ids: list[str], fields: list[str]) -> list[CrmRecord]:
        out = []
        cols = ", ".join(dict.fromkeys(["Id", "SystemModstamp", *fields]))
        for i in range(0, len(ids), 200):
            quoted = ", ".join(f"'{x}'" for x in ids[i:i + 200])
            for r in self.query(f"SELECT {cols} FROM {obj} WHERE Id IN ({quoted})"):
                out.append(CrmRecord(obj, r["Id"], r, parse_sf_datetime(r.get("SystemModstamp"))))
        return out

    def lookup(self, obj: str, field: str, values: list[str], fields: list[str]) -> list[CrmRecord]:
        """Records whose `field` is one of `values` (SOQL IN, 200 values per query)."""
        out = []
        vals = sorted({str(v) for v in values if v})
        cols = ", ".join(dict.fromkeys(["Id", "SystemModstamp", field, *fields]))
        for i in range(0, len(vals), 200):
            quoted = ", ".join(soql_string(x) for x in vals[i:i + 200])
            for r in self.query(f"SELECT {cols} FROM {obj} WHERE {field} IN ({quoted})"):
                out.append(CrmRecord(obj, r["Id"], r, parse_sf_datetime(r.get("SystemModstamp"))))
        return out

    def deleted_since(self, obj: str, since: datetime) -> list[tuple[str, datetime]]:
        end = datetime.now(timezone.utc) + timedelta(minutes=1)
        res = self._call(lambda: getattr(self.sf, obj).deleted(since, end))
        return [(d["id"], parse_sf_datetime(d["deletedDate"])) for d in res.get("deletedRecords", [])]

    def merged_into(self, obj: str, ids: list[str]) -> dict[str, str]:
        """Deleted ids that a merge removed → their master (queryAll keeps MasterRecordId on merged losers)."""
        out: dict[str, str] = {}
        for i in range(0, len(ids), 200):
            quoted = ", ".join(f"'{x}'" for x in ids[i:i + 200])
            rows = self.query(f"SELECT Id, MasterRecordId FROM {obj} WHERE Id IN ({quoted}) AND IsDeleted = true",
                              include_deleted=True)
            out.update({r["Id"]: r["MasterRecordId"] for r in rows if r.get("MasterRecordId")})
        return out

    # -- merge (SOAP partner API: REST has no merge) --------------------------------------------

    def merge(self, obj: str, master_id: str, duplicate_ids: list[str]) -> list[str]:
        """Merge up to two duplicates into `master_id` in the CRM; returns the merged (deleted) ids."""
        from xml.sax.saxutils import escape
        org_id = self.sf.session_id.split("!")[0]  # a Salesforce session id starts with the org id
        url = f"{self.sf.base_url.split('/services/')[0]}/services/Soap/u/{self.creds.api_version}/{org_id}"
        dups = "".join(f"<urn:recordToMergeIds>{escape(d)}</urn:recordToMergeIds>" for d in duplicate_ids)
        body = ('<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope '
                'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:partner.soap.sforce.com" '
                'xmlns:urn1="urn:sobject.partner.soap.sforce.com"><soapenv:Header><urn:SessionHeader>'
                f"<urn:sessionId>{escape(self.sf.session_id)}</urn:sessionId></urn:SessionHeader></soapenv:Header>"
                f"<soapenv:Body><urn:merge><urn:request><urn:masterRecord><urn1:type>{escape(obj)}</urn1:type>"
                f"<urn1:Id>{escape(master_id)}</urn1:Id></urn:masterRecord>{dups}</urn:request></urn:merge>"
                "</soapenv:Body></soapenv:Envelope>")

        def go() -> str:
            r = self.session.post(url, data=body.encode("utf-8"), timeout=TIMEOUT,
                                  headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "merge"})
            return r.text
        text = self._call(go)
        if "<success>true</success>" not in text:
            code = re.search(r"<statusCode>(.*?)</statusCode>", text)
            msg = re.search(r"<message>(.*?)</message>", text) or re.search(r"<faultstring>(.*?)</faultstring>", text)
            raise CrmDataError(f"CRM merge failed: {msg.group(1) if msg else text[:200]}",
                               code=code.group(1) if code else "MERGE_FAILED")
        return re.findall(r"<mergedRecordIds>(.*?)</mergedRecordIds>", text)


def _body(r: requests.Response) -> Any:
    if not r.content:
        return None
    try:
        return r.json()
    except ValueError:
        return r.text


def _first_error(content: Any) -> ErrorDetail:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        e = content[0]
        return ErrorDetail(e.get("errorCode") or e.get("statusCode") or "UNKNOWN", e.get("message", ""),
                           tuple(e.get("fields") or ()))
    if isinstance(content, dict):
        return ErrorDetail(content.get("errorCode") or content.get("error") or "UNKNOWN",
                           content.get("message") or content.get("error_description") or "")
    return ErrorDetail("UNKNOWN", str(content)[:300])


def _as_crm_error(err: ErrorDetail, status: int) -> CrmError:
    from leadbridge.crm.classify import error_class
    code = err.code if status < 500 else (err.code if err.code != "UNKNOWN" else "HTTP_5XX")
    if status == 429:
        code = "TOO_MANY_REQUESTS"
    kind = error_class(code)
    cls = {"transient": CrmTransientError, "config": CrmConfigError, "backoff": CrmTransientError}.get(kind, CrmDataError)
    if status >= 500:
        cls = CrmTransientError
    return cls(f"{code}: {err.message}", code=code, fields=list(err.fields), status=status)


def _save_result(r: dict[str, Any]) -> SaveResult:
    errors = [ErrorDetail(e.get("statusCode") or e.get("errorCode") or "UNKNOWN", e.get("message", ""),
                          tuple(e.get("fields") or ())) for e in r.get("errors") or []]
    return SaveResult(bool(r.get("success")), r.get("id"), bool(r.get("created")), errors)
