"""The query and queryAll resources with their pages (`nextRecordsUrl`).

Pages hold 2,000 records unless `Sforce-Query-Options: batchSize=N` (200–2,000) asks
otherwise. A query locator lives 15 minutes after its last use, and at most 1,000 stay open
(the oldest go first), as Salesforce expires inactive cursors; a stale one is 400
INVALID_QUERY_LOCATOR.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import OrderedDict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from leadbridge.sandbox import query_engine, soql
from leadbridge.sandbox.records import json_response
from leadbridge.sandbox.validation import RecordError

PAGE = 2000
CURSOR_SECONDS = 15 * 60
MAX_CURSORS = 1000


def batch_size(req: Request) -> int:
    m = re.search(r"batchSize=(\d+)", req.headers.get("sforce-query-options", ""))
    return min(PAGE, max(200, int(m.group(1)))) if m else PAGE


class Cursors:
    def __init__(self) -> None:
        self.open: OrderedDict[str, tuple[float, query_engine.Plan, str]] = OrderedDict()

    def put(self, locator: str, plan: query_engine.Plan, kind: str) -> None:
        self.open[locator] = (time.monotonic(), plan, kind)
        self.open.move_to_end(locator)
        now = time.monotonic()
        while self.open and (len(self.open) > MAX_CURSORS or next(iter(self.open.values()))[0] < now - CURSOR_SECONDS):
            self.open.popitem(last=False)

    def get(self, locator: str, kind: str) -> query_engine.Plan:
        entry = self.open.get(locator)
        if entry is None or entry[0] < time.monotonic() - CURSOR_SECONDS:
            self.open.pop(locator, None)
            raise RecordError("INVALID_QUERY_LOCATOR", "invalid query locator")
        return entry[1]


def register(app: FastAPI, sb: Any) -> None:
    org = sb.org
    cursors = Cursors()

    def page(version: str, kind: str, plan: query_engine.Plan, size: int, offset: int,
             locator: str | None = None) -> dict[str, Any]:
        rows = plan.rows[offset:offset + size]
        done = offset + size >= len(plan.rows)
        out: dict[str, Any] = {"totalSize": len(plan.rows), "done": done,
                               "records": [query_engine.render(org, plan, r, version) for r in rows]}
        if not done:
            locator = locator or "01g" + secrets.token_hex(6).upper()
            cursors.put(locator, plan, kind)
            out["nextRecordsUrl"] = f"/services/data/v{version}/{kind}/{locator}-{offset + size}"
        return out

    def run(version: str, req: Request, kind: str) -> Response:
        q = req.query_params.get("q")
        if q is None:
            raise RecordError("MALFORMED_QUERY", "A query string has to be specified")
        plan = query_engine.execute(org, soql.parse(q), include_deleted=kind == "queryAll")
        if plan.count:
            return json_response({"totalSize": len(plan.rows), "done": True, "records": []})
        if plan.aggregates:
            return json_response({"totalSize": 1, "done": True, "records": query_engine.aggregate_rows(org, plan)})
        return json_response(page(version, kind, plan, batch_size(req), 0))

    @app.get("/services/data/v{version}/query")
    @app.get("/services/data/v{version}/query/")
    async def query(version: str, req: Request) -> Response:
        return run(version, req, "query")

    @app.get("/services/data/v{version}/queryAll")
    @app.get("/services/data/v{version}/queryAll/")
    async def query_all(version: str, req: Request) -> Response:
        return run(version, req, "queryAll")

    async def more(version: str, cursor: str, req: Request, kind: str) -> Response:
        locator, _, offset = cursor.rpartition("-")
        if not offset.isdigit():
            raise RecordError("INVALID_QUERY_LOCATOR", "invalid query locator")
        plan = cursors.get(locator, kind)
        return json_response(page(version, kind, plan, batch_size(req), int(offset), locator))

    @app.get("/services/data/v{version}/query/{cursor}")
    async def query_more(version: str, cursor: str, req: Request) -> Response:
        return await more(version, cursor, req, "query")

    @app.get("/services/data/v{version}/queryAll/{cursor}")
    async def query_all_more(version: str, cursor: str, req: Request) -> Response:
        return await more(version, cursor, req, "queryAll")

