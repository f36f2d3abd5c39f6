"""Bulk API 2.0 ingest: one job per call, results matched back to the records by position key."""

from __future__ import annotations

import csv
import io
import time
from typing import TYPE_CHECKING, Any, Iterator

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
    conn._rest("PATCH", f"jobs/ingest/{job_id}", json={"state": "UploadComplete"})
    started, pause, seen = time.monotonic(), 0.0, (0.0, 0)
    while True:
        info = conn._rest("GET", f"jobs/ingest/{job_id}")
        state = info["state"]
        if state in ("JobComplete", "Failed", "Aborted"):
            break
        now, done = time.monotonic(), int(info.get("numberRecordsProcessed") or 0)
        if now - started > MAX_WAIT:
            raise CrmTransientError(f"bulk job {job_id} still {state} after {MAX_WAIT}s", code="TIMEOUT")
        # the rate since the last poll that saw rows processed (the first rows wait for the file to be read)
        rate = (done - seen[1]) / (now - seen[0]) if seen[0] and done > seen[1] else 0.0
        if done > seen[1]:
            seen = (now, done)
        pause = next_poll(pause, rate, len(records) - done)
        time.sleep(pause)
    by_key: dict[str, SaveResult] = {}
    for k, rid, created in _columns(conn._rest("GET", f"jobs/ingest/{job_id}/successfulResults/"),
                                    key, "sf__Id", "sf__Created"):
        by_key[k] = SaveResult(True, rid, created == "true")
    for k, rid, error in _columns(conn._rest("GET", f"jobs/ingest/{job_id}/failedResults/"),
                                  key, "sf__Id", "sf__Error"):
        by_key[k] = SaveResult(False, rid or None, False, [parse_error(error)])
    missing = SaveResult(False, None, False, [ErrorDetail("UNPROCESSED", "the bulk job did not process this record")])
    return [by_key.get(str(r.get(key)), missing) for r in records]


def next_poll(pause: float, rate: float, left: int) -> float:
    """Seconds until the next poll of a running job: the polls back off (0.5 s, 1 s, 2 s … 10 s:
    a long job costs few API calls), but never sleep past 3/4 of the time the job's rate says the
    `left` rows need, so a job is seen done soon after it is. Never under 0.5 s."""
    backoff = min(MAX_POLL_SECONDS, max(POLL_SECONDS, pause * 2))
    if rate <= 0:
        return backoff
    return max(POLL_SECONDS, min(backoff, 0.75 * left / rate))


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


def _columns(text: Any, *names: str) -> Iterator[tuple[str | None, ...]]:
    """These columns of a result CSV, row by row ("" where a row lacks a value, None where the file lacks the column)."""
    if not text or not isinstance(text, str):
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    at = [header.index(n) if n in header else None for n in names]
    for row in reader:
        if row:
            yield tuple(None if i is None else (row[i] if i < len(row) else "") for i in at)
