"""Bulk API 2.0 ingest: one job per call, results matched back to the records by position key."""

from __future__ import annotations

import csv
import io
import time
from typing import TYPE_CHECKING, Any

from leadbridge.crm.protocol import ErrorDetail, SaveResult
from leadbridge.errors import CrmTransientError

if TYPE_CHECKING:
    from leadbridge.crm.salesforce.connector import SalesforceConnector

POLL_SECONDS = 0.5
MAX_POLL_SECONDS = 10.0
MAX_WAIT = 600


def ingest(conn: "SalesforceConnector", obj: str, records: list[dict[str, Any]], external_id: str | None
           ) -> list[SaveResult]:
    """Upsert (by external id) or update (by Id) through one Bulk 2.0 job; a result per record, in order."""
    key = external_id or "Id"
    columns = list(dict.fromkeys(k for r in records for k in r))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in records:
        w.writerow(["#N/A" if r.get(c) is None and c in r else _cell(r.get(c)) for c in columns])
    job = conn._rest("POST", "jobs/ingest", json={
        "object": obj, "operation": "upsert" if external_id else "update", "contentType": "CSV",
        "lineEnding": "LF", **({"externalIdFieldName": external_id} if external_id else {})})
    job_id = job["id"]
    conn._rest("PUT", f"jobs/ingest/{job_id}/batches", data=buf.getvalue().encode("utf-8"),
               headers={"Content-Type": "text/csv"})
    started, pause = time.monotonic(), 0.0
    conn._rest("PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"})
    while True:
        info = conn._rest("GET", f"jobs/ingest/{job_id}")
        state = info["state"]
        if state in ("JobComplete", "Failed", "Aborted"):
            break
        waited = time.monotonic() - started
        if waited > MAX_WAIT:
            raise CrmTransientError(f"bulk job {job_id} still {state} after {MAX_WAIT}s", code="TIMEOUT")
        pause = next_poll(pause, waited, info.get("numberRecordsProcessed") or 0, len(records))
        time.sleep(pause)
    by_key: dict[str, SaveResult] = {}
    for row in _csv(conn._rest("GET", f"jobs/ingest/{job_id}/successfulResults/")):
        by_key[row.get(key, "")] = SaveResult(True, row.get("sf__Id"), row.get("sf__Created") == "true")
    for row in _csv(conn._rest("GET", f"jobs/ingest/{job_id}/failedResults/")):
        by_key[row.get(key, "")] = SaveResult(False, row.get("sf__Id") or None, False, [parse_error(row.get("sf__Error"))])
    missing = SaveResult(False, None, False, [ErrorDetail("UNPROCESSED", "the bulk job did not process this record")])
    return [by_key.get(str(r.get(key)), missing) for r in records]


def next_poll(pause: float, elapsed: float, processed: int, total: int) -> float:
    """Seconds until the next poll of a running job: when it has processed some rows, the time its
    rate says the rest needs (+10%), so a job is seen done soon after it is; until then the polls
    back off (0.5 s, 1 s, 2 s …). Never under 0.5 s nor over 10 s: a long job costs few API calls."""
    if processed >= total > 0:  # every row processed: the job is finishing
        return POLL_SECONDS
    if processed > 0:
        rest = (total - processed) * elapsed / processed * 1.1
        return min(MAX_POLL_SECONDS, max(POLL_SECONDS, rest))
    return min(MAX_POLL_SECONDS, max(POLL_SECONDS, pause * 2))


def parse_error(text: str | None) -> ErrorDetail:
    """A failed row's `sf__Error`, `CODE:message:field1;field2 --` as Salesforce writes it (the
    trailing " --" and the fields part may be missing; the message may itself hold colons)."""
    text = (text or "").strip()
    text = text[:-2].rstrip() if text.endswith("--") else text
    code, _, rest = text.partition(":")
    message, sep, fields = rest.rpartition(":")
    if not sep or " " in fields.strip(";"):  # no fields part: the last colon belongs to the message
        message, fields = rest, ""
    return ErrorDetail(code.strip() or "UNKNOWN", message.strip() or rest.strip() or "no error given",
                       tuple(f.strip() for f in fields.split(";") if f.strip()))


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def _csv(text: Any) -> list[dict[str, str]]:
    if not text or not isinstance(text, str):
        return []
    return list(csv.DictReader(io.StringIO(text)))
