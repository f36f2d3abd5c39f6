"""Bulk API 2.0 query jobs: create (query | queryAll), poll, and CSV result pages with Sforce-Locator.

The query runs when the job is created (the answer says UploadComplete; the first poll says
JobComplete). Results come in pages of `maxRecords` (default 50,000 as simple-salesforce asks)
with `Sforce-Locator` (the string "null" on the last page) and `Sforce-NumberOfRecords`.
"""

from __future__ import annotations

import csv
import io
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from leadbridge.sandbox import ids, query_engine, soql
from leadbridge.sandbox.bulk import DELIMITERS
from leadbridge.sandbox.records import body_of, json_response
from leadbridge.sandbox.storage import sf_now
from leadbridge.sandbox.validation import RecordError

DEFAULT_PAGE = 50_000


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def register(app: FastAPI, sb: Any) -> None:
    org = sb.org
    jobs: dict[str, dict[str, Any]] = {}
    base = "/services/data/v{version}/jobs/query"

    def info(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if k not in ("plan",)}

    def get(job_id: str) -> dict[str, Any]:
        job = jobs.get(ids.canonical(job_id) if ids.looks_like_id(job_id) else job_id)
        if job is None:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        return job

    @app.post(base)
    @app.post(base + "/")
    async def create(version: str, req: Request) -> Response:
        spec = await body_of(req)
        op = spec.get("operation") or "query"
        if op not in ("query", "queryAll"):
            raise RecordError("INVALIDJOB", f"InvalidJob : Invalid operation: {op}")
        delimiter = spec.get("columnDelimiter") or "COMMA"
        if delimiter not in DELIMITERS:
            raise RecordError("INVALIDJOB", f"InvalidJob : Invalid column delimiter: {delimiter}")
        q = soql.parse(spec.get("query") or "")
        if q.count or q.aggregates or q.offset:
            raise RecordError("INVALIDJOB", "InvalidJob : aggregate queries and OFFSET are not supported by Bulk API 2.0 "
                              "query jobs")
        plan = query_engine.execute(org, q, include_deleted=op == "queryAll")
        job_id = ids.make("750", secrets.randbelow(10**12))
        now = sf_now()
        jobs[job_id] = {"id": job_id, "operation": op, "object": plan.obj, "createdById": org.admin_id,
                        "createdDate": now, "systemModstamp": now, "state": "UploadComplete",
                        "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": float(version),
                        "lineEnding": spec.get("lineEnding") or "LF", "columnDelimiter": delimiter,
                        "jobType": "V2Query", "numberRecordsProcessed": len(plan.rows), "retries": 0,
                        "totalProcessingTime": 0, "plan": plan}
        reply = info(jobs[job_id])
        jobs[job_id]["state"] = "JobComplete"
        return json_response(reply)

    @app.get(base)
    @app.get(base + "/")
    async def list_jobs(version: str) -> Response:
        return json_response({"done": True, "nextRecordsUrl": None, "records": [info(j) for j in jobs.values()]})

    @app.get(base + "/{job_id}")
    @app.get(base + "/{job_id}/")
    async def job_info(version: str, job_id: str) -> Response:
        return json_response(info(get(job_id)))

    @app.patch(base + "/{job_id}")
    @app.patch(base + "/{job_id}/")
    async def abort(version: str, job_id: str, req: Request) -> Response:
        job = get(job_id)
        state = (await body_of(req)).get("state")
        if state != "Aborted" or job["state"] in ("JobComplete", "Failed", "Aborted"):
            raise RecordError("INVALIDJOBSTATE", f"InvalidJobState : the job is {job['state']}: it cannot become "
                              f"{state}")
        job["state"] = "Aborted"
        return json_response(info(job))

    @app.delete(base + "/{job_id}")
    @app.delete(base + "/{job_id}/")
    async def delete(version: str, job_id: str) -> Response:
        del jobs[get(job_id)["id"]]
        return Response(status_code=204)

    @app.get(base + "/{job_id}/results")
    @app.get(base + "/{job_id}/results/")
    async def results(version: str, job_id: str, req: Request) -> Response:
        job = get(job_id)
        if job["state"] != "JobComplete":
            raise RecordError("INVALIDJOBSTATE", f"InvalidJobState : the job is {job['state']}")
        plan: query_engine.Plan = job["plan"]
        try:
            size = int(req.query_params.get("maxRecords") or DEFAULT_PAGE)
            start = int(req.query_params.get("locator") or "0", 36)
        except ValueError:
            raise RecordError("INVALID_LOCATOR", "Invalid locator or maxRecords") from None
        rows = plan.rows[start:start + max(1, size)]
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=DELIMITERS[job["columnDelimiter"]], quoting=csv.QUOTE_ALL,
                       lineterminator="\r\n" if job["lineEnding"] == "CRLF" else "\n")
        w.writerow([c.path for c in plan.columns])
        for r in rows:
            w.writerow([_cell(c.getter(r)) for c in plan.columns])
        nxt = start + len(rows)
        locator = _base36(nxt) if nxt < len(plan.rows) else "null"
        return Response(buf.getvalue(), media_type="text/csv;charset=UTF-8",
                        headers={"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(rows))})


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
