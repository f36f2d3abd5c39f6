"""Many records at once: sObject collections (≤ 200, allOrNone), Bulk API 2.0 ingest, SOAP convert/merge."""

from __future__ import annotations

import csv
import io
import re
import secrets
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from leadbridge.sandbox.storage import sf_now
from leadbridge.sandbox.validation import RecordError

MAX_COLLECTION = 200


def _fail(exc: RecordError) -> dict[str, Any]:
    return {"success": False, "errors": [exc.as_collection()]}


def collection_write(org: Any, body: dict[str, Any], op: str, obj: str | None, field: str | None,
                     lock: Callable[[], bool]) -> list[dict[str, Any]]:
    """create | update | upsert a collection; one result per record, in order."""
    records = body.get("records")
    if not isinstance(records, list):
        raise RecordError("JSON_PARSER_ERROR", "records must be a list", [])
    if len(records) > MAX_COLLECTION:
        raise RecordError("EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more than {MAX_COLLECTION} records "
                          "into this call", [])
    all_or_none = str(body.get("allOrNone", False)).lower() == "true"
    staged: list[tuple[str, dict[str, Any]] | None] = []
    results: list[dict[str, Any]] = []
    for r in records:
        try:
            rtype = obj or (r.get("attributes") or {}).get("type")
            if not rtype:
                raise RecordError("INVALID_TYPE", "Must send a concrete entity type.", [])
            values = {k: v for k, v in r.items() if k != "attributes"}
            if lock():
                raise RecordError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", [])
            if op == "create":
                rec, created = org.prepare_create(rtype, values), True
            elif op == "update":
                rid = values.pop("Id", None) or (r.get("attributes") or {}).get("id")
                if not rid:
                    raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
                rec, created = org.prepare_update(rtype, rid, values), False
            else:
                key = values.get(field)
                if key in (None, ""):
                    raise RecordError("MISSING_ARGUMENT", f"{field} not specified", [field])
                hits = org.find_external(rtype, field, key)
                if len(hits) > 1:
                    raise RecordError("DUPLICATE_EXTERNAL_ID", f"{field}: more than one record found for external id "
                                      f"field: {[h['Id'] for h in hits]}", [field])
                if hits:
                    rec, created = org.prepare_update(rtype, hits[0]["Id"], {k: v for k, v in values.items()
                                                                            if k != field}), False
                else:
                    rec, created = org.prepare_create(rtype, values), True
            staged.append((rtype, rec))
            res = {"id": rec["Id"], "success": True, "errors": []}
            if op == "upsert":
                res["created"] = created
            results.append(res)
            if not all_or_none:
                org.stage(rtype, [rec])  # later records of the call see this one; saved below in one go
        except RecordError as exc:
            staged.append(None)
            results.append(_fail(exc))
    if not all_or_none:
        _save(org, staged)
        return results
    if any(not r["success"] for r in results):
        return [r if not r["success"] else {"success": False, "errors": [
            {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not all records "
             "were valid and the request was using AllOrNone header", "fields": []}]} for r in results]
    for item in staged:
        if item:
            org.stage(*[item[0], [item[1]]])
    _save(org, staged)
    return results


def _save(org: Any, staged: list[tuple[str, dict[str, Any]] | None]) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for item in staged:
        if item:
            by_type.setdefault(item[0], []).append(item[1])
    for rtype, recs in by_type.items():
        org.store.save(rtype, recs)


def collection_delete(org: Any, ids: list[str], all_or_none: bool) -> list[dict[str, Any]]:
    out = []
    for rid in ids:
        obj = next((o for o, t in org.store.records.items() if rid in t), None)
        try:
            if obj is None:
                raise RecordError("ENTITY_IS_DELETED", "entity is deleted", [])
            org.delete(obj, rid)
            out.append({"id": rid, "success": True, "errors": []})
        except RecordError as exc:
            out.append({"id": rid, **_fail(exc)})
    return out


# -- Bulk API 2.0 ingest ----------------------------------------------------------------------

def register(app: FastAPI, org: Any) -> None:
    jobs: dict[str, dict[str, Any]] = {}
    base = "/services/data/v{version}/jobs/ingest"

    def info(job: dict[str, Any], version: str) -> dict[str, Any]:
        keys = ("id", "operation", "object", "state", "externalIdFieldName", "contentType", "lineEnding",
                "columnDelimiter", "createdDate", "systemModstamp", "numberRecordsProcessed", "numberRecordsFailed",
                "errorMessage")
        out = {k: job.get(k) for k in keys if job.get(k) is not None or k.startswith("numberRecords")}
        out.update(apiVersion=float(version), concurrencyMode="Parallel",
                   contentUrl=f"services/data/v{version}/jobs/ingest/{job['id']}/batches")
        return out

    def get(job_id: str) -> dict[str, Any]:
        if job_id not in jobs:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        return jobs[job_id]

    @app.post(base)
    async def create_job(version: str, req: Request) -> JSONResponse:
        spec = await req.json()
        if spec.get("operation") not in ("insert", "update", "upsert", "delete", "hardDelete"):
            raise RecordError("INVALIDJOB", "InvalidJob : Invalid operation", [])
        org.check_object(spec.get("object", ""))
        job_id = "750" + secrets.token_hex(6).upper()[:12] + "AAA"
        now = sf_now()
        jobs[job_id] = {"id": job_id, "operation": spec["operation"], "object": spec["object"], "state": "Open",
                        "externalIdFieldName": spec.get("externalIdFieldName"), "contentType": "CSV",
                        "lineEnding": spec.get("lineEnding", "LF"), "columnDelimiter": spec.get("columnDelimiter", "COMMA"),
                        "createdDate": now, "systemModstamp": now, "data": b"", "ok": [], "failed": [], "unprocessed": [],
                        "numberRecordsProcessed": 0, "numberRecordsFailed": 0}
        return JSONResponse(info(jobs[job_id], version))

    @app.put(base + "/{job_id}/batches")
    async def upload(version: str, job_id: str, req: Request) -> PlainTextResponse:
        job = get(job_id)
        if job["state"] != "Open":
            raise RecordError("INVALIDJOBSTATE", "Job is not open for uploads", [])
        job["data"] += await req.body()
        return PlainTextResponse("", 201)

    @app.patch(base + "/{job_id}")
    async def set_state(version: str, job_id: str, req: Request) -> JSONResponse:
        job = get(job_id)
        state = (await req.json()).get("state")
        if state == "UploadComplete":
            job["state"] = "UploadComplete"
            _run_job(org, job)
        elif state == "Aborted":
            job["state"] = "Aborted"
        else:
            raise RecordError("INVALIDJOBSTATE", f"cannot set state {state}", [])
        return JSONResponse(info(job, version))

    @app.get(base + "/{job_id}")
    async def job_info(version: str, job_id: str) -> JSONResponse:
        return JSONResponse(info(get(job_id), version))

    def _csv_response(rows: list[dict[str, Any]], head: list[str]) -> PlainTextResponse:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=head, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return PlainTextResponse(buf.getvalue(), media_type="text/csv")

    @app.get(base + "/{job_id}/successfulResults/")
    @app.get(base + "/{job_id}/successfulResults")
    async def ok_results(version: str, job_id: str) -> PlainTextResponse:
        job = get(job_id)
        return _csv_response(job["ok"], ["sf__Id", "sf__Created", *job.get("columns", [])])

    @app.get(base + "/{job_id}/failedResults/")
    @app.get(base + "/{job_id}/failedResults")
    async def failed_results(version: str, job_id: str) -> PlainTextResponse:
        job = get(job_id)
        return _csv_response(job["failed"], ["sf__Id", "sf__Error", *job.get("columns", [])])

    @app.get(base + "/{job_id}/unprocessedrecords/")
    @app.get(base + "/{job_id}/unprocessedrecords")
    async def unprocessed(version: str, job_id: str) -> PlainTextResponse:
        job = get(job_id)
        return _csv_response(job["unprocessed"], job.get("columns", []))


def _run_job(org: Any, job: dict[str, Any]) -> None:
    text = job.pop("data").decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    job["columns"] = list(reader.fieldnames or [])
    op, obj, ext = job["operation"], job["object"], job.get("externalIdFieldName")
    for row in reader:
        values = {k: (None if v == "#N/A" else _typed(org, obj, k, v)) for k, v in row.items() if v != "" or v == "#N/A"}
        try:
            if op == "insert":
                rec, created = org.prepare_create(obj, values), True
            elif op == "update":
                rec, created = org.prepare_update(obj, values.pop("Id", ""), values), False
            elif op in ("delete", "hardDelete"):
                org.delete(obj, values.get("Id", ""))
                job["ok"].append({**row, "sf__Id": values.get("Id"), "sf__Created": "false"})
                continue
            else:
                hits = org.find_external(obj, ext, values.get(ext))
                if hits:
                    rec, created = org.prepare_update(obj, hits[0]["Id"], {k: v for k, v in values.items() if k != ext}), False
                else:
                    rec, created = org.prepare_create(obj, values), True
            org.commit(obj, [rec])
            job["ok"].append({**row, "sf__Id": rec["Id"], "sf__Created": "true" if created else "false"})
        except RecordError as exc:
            job["failed"].append({**row, "sf__Id": "", "sf__Error": f"{exc.code}:{exc.message}:{';'.join(exc.fields)}"})
    job["numberRecordsProcessed"] = len(job["ok"]) + len(job["failed"])
    job["numberRecordsFailed"] = len(job["failed"])
    job["state"] = "JobComplete"
    job["systemModstamp"] = sf_now()


def _typed(org: Any, obj: str, name: str, value: str) -> Any:
    f = org.schema.fields(obj).get(name)
    if f is None:
        return value
    try:
        if f.type == "boolean":
            return value.lower() == "true"
        if f.type == "int":
            return int(value)
        if f.type in ("double", "currency"):
            return float(value)
    except ValueError:
        return value
    return value


# -- SOAP calls: convertLead, merge -----------------------------------------------------------

def soap_operation(org: Any, body: str) -> str:
    def tags(name: str) -> list[str]:
        return re.findall(rf"<(?:\w+:)?{name}>(.*?)</(?:\w+:)?{name}>", body, re.S)
    try:
        if "convertLead" in body:
            lead = tags("leadId")[0]
            account = (tags("accountId") or [None])[0] or None
            res = org.convert_lead(lead, account)
            inner = (f"<result><accountId>{res['accountId']}</accountId><contactId>{res['contactId']}</contactId>"
                     f"<leadId>{lead}</leadId><opportunityId xsi:nil=\"true\"/><success>true</success></result>")
            return _soap("convertLeadResponse", inner)
        if "<" in body and "merge" in body:
            obj = (tags("type") or ["Lead"])[0]
            master = tags("Id")[0]
            losers = tags("recordToMergeIds")
            res = org.merge(obj, master, losers)
            merged = "".join(f"<mergedRecordIds>{m}</mergedRecordIds>" for m in res["mergedRecordIds"])
            return _soap("mergeResponse", f"<result><id>{master}</id>{merged}<success>true</success></result>")
    except RecordError as exc:
        return _soap("errorResponse", f"<result><errors><statusCode>{exc.code}</statusCode><message>{exc.message}"
                                      f"</message></errors><success>false</success></result>")
    return _soap("errorResponse", "<result><success>false</success></result>")


def _soap(tag: str, inner: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
            f"<{tag}>{inner}</{tag}></soapenv:Body></soapenv:Envelope>")
