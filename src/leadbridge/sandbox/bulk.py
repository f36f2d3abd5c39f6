"""Bulk API 2.0 ingest jobs: create, upload one CSV, close (or abort), poll, and the three result files.

States: Open → UploadComplete → InProgress → JobComplete | Failed, and Open / UploadComplete
/ InProgress → Aborted; any other change is 400 INVALIDJOBSTATE. A job is processed after it
is closed, in the background, 200 rows at a time, so other clients are served meanwhile.
A CSV whose header names a field the object does not have fails the whole job (state
Failed, `errorMessage` "InvalidBatch : Field name not found : X"), as Salesforce does;
row errors go to failedResults (`sf__Error` is `CODE:message:fields --`). Rows not processed
(abort, failed job) go to unprocessedRecords. `numberRecordsProcessed` / `numberRecordsFailed`
grow chunk by chunk while the job is InProgress. `Rel.ExtId__c` columns set a lookup by the
parent's external id; `assignmentRuleId` runs that Lead assignment rule on every row (Bulk
runs no assignment rule unless the job names one). `hardDelete` deletes like `delete` here
(the sandbox keeps no recycle bin apart from getDeleted's log).
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import secrets
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from leadbridge.sandbox import ids
from leadbridge.sandbox.records import body_of, json_response, lock_error
from leadbridge.sandbox.storage import sf_now
from leadbridge.sandbox.validation import RecordError

log = logging.getLogger("leadbridge.sandbox")
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
MAX_UPLOAD_BYTES = 150 * 1024 * 1024
CHUNK = 200
TERMINAL = ("JobComplete", "Failed", "Aborted")


def _job_error(message: str, code: str = "INVALIDJOB") -> RecordError:
    return RecordError(code, message)


def info(job: dict[str, Any], version: str) -> dict[str, Any]:
    keys = ("id", "operation", "object", "createdById", "createdDate", "systemModstamp", "state",
            "externalIdFieldName", "assignmentRuleId", "concurrencyMode", "contentType", "apiVersion", "lineEnding",
            "columnDelimiter", "jobType", "numberRecordsProcessed", "numberRecordsFailed", "retries",
            "totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime", "errorMessage")
    out = {k: job[k] for k in keys if job.get(k) is not None}
    if job["state"] == "Open":
        out["contentUrl"] = f"services/data/v{version}/jobs/ingest/{job['id']}/batches"
    return out


def _csv(rows: list[dict[str, Any]], head: list[str], delimiter: str) -> Response:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=head, extrasaction="ignore", lineterminator="\n", delimiter=delimiter)
    w.writeheader()
    w.writerows(rows)
    return Response(buf.getvalue(), media_type="text/csv;charset=UTF-8")


class Columns:
    """The CSV header resolved against the object: field names, `Rel.ExtId` lookups, or the unknown one."""

    def __init__(self, org: Any, obj: str, header: list[str]):
        self.plain: dict[str, str] = {}
        self.lookups: dict[str, tuple[str, str, str]] = {}  # column → (reference field, parent object, ext field)
        self.unknown: str | None = None
        p = org.config.permission(obj)
        hidden = set(p.hidden_fields) if p else set()
        refs = {(f.name[:-3] + "__r" if f.name.endswith("__c") else f.name.removesuffix("Id")).lower(): f
                for f in org.schema.reference_fields[obj]}
        for col in header:
            api = org.schema.field_name(obj, col)
            if api and api not in hidden:
                self.plain[col] = api
                continue
            rel, _, ext = col.partition(".")
            ref = refs.get(rel.lower()) if ext else None
            target = next((t for t in ref.reference_to if t != "Group"), None) if ref else None
            ext_api = org.schema.field_name(target, ext) if target else None
            if ref and ext_api and org.schema.fields(target)[ext_api].external_id:
                self.lookups[col] = (ref.name, target, ext_api)
            elif self.unknown is None:
                self.unknown = col


def register(app: FastAPI, sb: Any) -> None:
    org = sb.org
    jobs: dict[str, dict[str, Any]] = {}
    base = "/services/data/v{version}/jobs/ingest"

    def get(job_id: str) -> dict[str, Any]:
        job = jobs.get(ids.canonical(job_id) if ids.looks_like_id(job_id) else job_id)
        if job is None:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        return job

    @app.post(base)
    @app.post(base + "/")
    async def create_job(version: str, req: Request) -> Response:
        spec = await body_of(req)
        op = spec.get("operation")
        if op not in OPERATIONS:
            raise _job_error(f"InvalidJob : Invalid operation: {op}")
        obj = org.object_name(str(spec.get("object") or ""))
        if obj is None:
            raise _job_error(f"InvalidJob : Unable to find object: {spec.get('object')}")
        delimiter = spec.get("columnDelimiter") or "COMMA"
        if delimiter not in DELIMITERS:
            raise _job_error(f"InvalidJob : Invalid column delimiter: {delimiter}")
        if (spec.get("lineEnding") or "LF") not in ("LF", "CRLF"):
            raise _job_error(f"InvalidJob : Invalid line ending: {spec.get('lineEnding')}")
        if (spec.get("contentType") or "CSV") != "CSV":
            raise _job_error(f"InvalidJob : Invalid content type: {spec.get('contentType')}")
        ext = spec.get("externalIdFieldName")
        if op == "upsert":
            if not ext:
                raise _job_error(f"InvalidJob : External ID was blank for {obj}. An External ID must be specified "
                                 "for upsert.")
            api = org.schema.field_name(obj, ext)
            if api is None or not (api == "Id" or org.schema.fields(obj)[api].external_id):
                raise _job_error(f"InvalidJob : Field name provided, {ext} does not match an External ID, Salesforce "
                                 f"Id, or indexed field for {obj}")
            ext = api
        rule = spec.get("assignmentRuleId")
        if rule and rule not in {org.assignment_rule_id(n) for n in org.rule_names()}:
            raise _job_error(f"InvalidJob : Invalid assignment rule id: {rule}")
        job_id = ids.make("750", secrets.randbelow(10**12))
        now = sf_now()
        jobs[job_id] = {"id": job_id, "operation": op, "object": obj, "state": "Open", "externalIdFieldName": ext,
                        "assignmentRuleId": rule, "contentType": "CSV", "lineEnding": spec.get("lineEnding") or "LF",
                        "columnDelimiter": delimiter, "createdDate": now, "systemModstamp": now,
                        "createdById": org.admin_id, "apiVersion": float(version), "concurrencyMode": "Parallel",
                        "jobType": "V2Ingest", "numberRecordsProcessed": 0, "numberRecordsFailed": 0, "retries": 0,
                        "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
                        "data": b"", "uploads": 0, "ok": [], "failed": [], "unprocessed": [], "columns": [],
                        "lock_all": bool(req.scope["state"].get("lock_fault"))}
        return json_response(info(jobs[job_id], version))

    @app.get(base)
    @app.get(base + "/")
    async def list_jobs(version: str) -> Response:
        return json_response({"done": True, "nextRecordsUrl": None,
                              "records": [info(j, version) for j in jobs.values()]})

    @app.put(base + "/{job_id}/batches")
    @app.put(base + "/{job_id}/batches/")
    async def upload(version: str, job_id: str, req: Request) -> Response:
        job = get(job_id)
        if job["state"] != "Open":
            raise _job_error(f"InvalidJobState : the job is {job['state']}: data can be uploaded only to an Open job",
                             "INVALIDJOBSTATE")
        data = await req.body()
        if len(job["data"]) + len(data) > MAX_UPLOAD_BYTES:
            raise _job_error(f"InvalidJob : the job data exceeds {MAX_UPLOAD_BYTES // 2**20} MB; split it into "
                             "several jobs")
        job["data"] += data
        job["uploads"] += 1
        job["lock_all"] = job["lock_all"] or bool(req.scope["state"].get("lock_fault"))
        return Response(status_code=201)

    @app.patch(base + "/{job_id}")
    @app.patch(base + "/{job_id}/")
    async def set_state(version: str, job_id: str, req: Request) -> Response:
        job = get(job_id)
        state = (await body_of(req)).get("state")
        job["lock_all"] = job["lock_all"] or bool(req.scope["state"].get("lock_fault"))
        if state == "UploadComplete" and job["state"] == "Open":
            if job["uploads"] > 1:
                raise _job_error(f"Found multipe contents for job: <{job['id']}>, please 'Close' / 'Abort' / 'Delete' "
                                 "the current Job then create a new Job and make sure you only do 'PUT' once on a "
                                 "given Job.")
            job["state"] = "UploadComplete"
            reply = info(job, version)
            job["task"] = asyncio.get_running_loop().create_task(_run(sb, job))
            try:  # small jobs are done before the client's first poll; big ones keep running
                await asyncio.wait_for(asyncio.shield(job["task"]), 0.2)
            except asyncio.TimeoutError:
                pass
            return json_response(reply)
        if state == "Aborted" and job["state"] in ("Open", "UploadComplete", "InProgress"):
            job["state"] = "Aborted"
            job["systemModstamp"] = sf_now()
            if job.get("data"):  # uploaded but never processed
                job["columns"], rows = _rows(job)
                job["unprocessed"] = rows
                job["data"] = b""
            return json_response(info(job, version))
        raise _job_error(f"InvalidJobState : the job is {job['state']}: it cannot become {state}", "INVALIDJOBSTATE")

    @app.get(base + "/{job_id}")
    @app.get(base + "/{job_id}/")
    async def job_info(version: str, job_id: str) -> Response:
        return json_response(info(get(job_id), version))

    @app.delete(base + "/{job_id}")
    @app.delete(base + "/{job_id}/")
    async def delete_job(version: str, job_id: str) -> Response:
        job = get(job_id)
        if job["state"] == "InProgress":
            raise _job_error("InvalidJobState : a job in progress cannot be deleted; abort it first", "INVALIDJOBSTATE")
        del jobs[job["id"]]
        return Response(status_code=204)

    def results(kind: str) -> Any:
        async def handler(version: str, job_id: str) -> Response:
            job = get(job_id)
            d = DELIMITERS[job["columnDelimiter"]]
            if kind == "successful":
                return _csv(job["ok"], ["sf__Id", "sf__Created", *job["columns"]], d)
            if kind == "failed":
                return _csv(job["failed"], ["sf__Id", "sf__Error", *job["columns"]], d)
            return _csv(job["unprocessed"], job["columns"], d)
        return handler

    for kind, names in (("successful", ("successfulResults", "successfulresults")),
                        ("failed", ("failedResults", "failedresults")),
                        ("unprocessed", ("unprocessedRecords", "unprocessedrecords"))):
        for name in names:  # the doc spells unprocessedrecords; simple-salesforce asks for unprocessedRecords
            for slash in ("", "/"):
                app.add_api_route(f"{base}/{{job_id}}/{name}{slash}", results(kind), methods=["GET"])


def _rows(job: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    text = job["data"].decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[job["columnDelimiter"]])
    header = next(reader, [])
    return header, [dict(zip(header, row)) for row in reader if row]


async def _run(sb: Any, job: dict[str, Any]) -> None:
    started = time.monotonic()
    try:
        job["state"] = "InProgress"
        job["columns"], rows = _rows(job)
        job["data"] = b""
        cols = Columns(sb.org, job["object"], job["columns"])
        if cols.unknown is not None:
            _fail_job(job, rows, f"InvalidBatch : Field name not found : {cols.unknown}")
            return
        if job["operation"] in ("delete", "hardDelete") and job["columns"] != ["Id"]:
            _fail_job(job, rows, f"InvalidBatch : The '{job['operation']}' batch must contain only ids")
            return
        for i in range(0, len(rows), CHUNK):
            if job["state"] == "Aborted":
                job["unprocessed"] = rows[i:]
                return
            _process(sb, job, cols, rows[i:i + CHUNK])
            # the counts grow while the job runs, as Salesforce's do (clients can tell how far it is)
            job["numberRecordsProcessed"] = len(job["ok"]) + len(job["failed"])
            job["numberRecordsFailed"] = len(job["failed"])
            await asyncio.sleep(0)  # let other requests in between chunks
        job["state"] = "JobComplete"
    except Exception as exc:  # noqa: BLE001 - a sandbox bug fails the job, not the server
        log.exception("bulk job %s failed", job["id"])
        job["state"], job["errorMessage"] = "Failed", f"InternalServerError : {exc}"
    finally:
        job["numberRecordsProcessed"] = len(job["ok"]) + len(job["failed"])
        job["numberRecordsFailed"] = len(job["failed"])
        job["totalProcessingTime"] = job["apiActiveProcessingTime"] = int((time.monotonic() - started) * 1000)
        job["systemModstamp"] = sf_now()


def _fail_job(job: dict[str, Any], rows: list[dict[str, str]], message: str) -> None:
    job["state"], job["errorMessage"], job["unprocessed"] = "Failed", message, rows


def _process(sb: Any, job: dict[str, Any], cols: Columns, rows: list[dict[str, str]]) -> None:
    """One chunk of rows: each row its own result; the chunk saved in one transaction."""
    org, obj, op, ext = sb.org, job["object"], job["operation"], job.get("externalIdFieldName")
    saved: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        rid = ""
        try:
            values: dict[str, Any] = {}
            for col, raw in row.items():
                if raw == "":
                    continue  # an empty cell leaves the field as it is; #N/A empties it
                value = None if raw == "#N/A" else raw
                if col in cols.lookups:
                    ref, target, ext_field = cols.lookups[col]
                    hits = org.find_external(target, ext_field, value) if value is not None else []
                    if value is not None and not hits:
                        raise RecordError("INVALID_FIELD", f"Foreign key external ID: {value} not found for field "
                                          f"{ext_field} in entity {target}", [col])
                    values[ref] = hits[0]["Id"] if hits else None
                else:
                    values[cols.plain[col]] = value
            rid = str(values.get("Id") or "")
            if job["lock_all"] or sb.faults.lock_record("/jobs/ingest"):
                raise lock_error(rid or None)
            if op in ("delete", "hardDelete"):
                org.delete(obj, rid)
                job["ok"].append({**row, "sf__Id": ids.canonical(rid) if ids.looks_like_id(rid) else rid,
                                  "sf__Created": "false"})
                continue
            kw = {"assign": job.get("assignmentRuleId"), "source": "csv", "version": str(job["apiVersion"])}
            if op == "insert":
                rec, created = org.prepare_create(obj, values, **kw), True
            elif op == "update":
                if not rid:
                    raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
                rec, created = org.prepare_update(obj, values.pop("Id"), values, **kw), False
            else:
                key = values.get(ext)
                if key in (None, ""):
                    raise RecordError("MISSING_ARGUMENT", f"{ext} not specified", [ext])
                hits = org.find_external(obj, ext, key)
                if len(hits) > 1:
                    raise RecordError("DUPLICATE_EXTERNAL_ID", f"{ext}: more than one record found for external id "
                                      f"field: {[h['Id'] for h in hits]}", [ext])
                rest = {k: v for k, v in values.items() if k not in (ext, "Id")}
                if hits:
                    rid = hits[0]["Id"]
                    rec, created = org.prepare_update(obj, rid, rest, **kw), False
                else:
                    rec, created = org.prepare_create(obj, {**rest, ext: key}, **kw), True
            org.stage(obj, [rec])
            saved.setdefault(obj, []).append(rec)
            job["ok"].append({**row, "sf__Id": rec["Id"], "sf__Created": "true" if created else "false"})
        except RecordError as exc:
            job["failed"].append({**row, "sf__Id": rid,
                                  "sf__Error": f"{exc.code}:{exc.message}:{';'.join(exc.fields)} --"})
    org.store.save_many(saved)
