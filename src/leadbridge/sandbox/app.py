"""The sandbox's HTTP API: the Salesforce REST, composite, query, limits, OAuth and SOAP subset."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from leadbridge.sandbox import bulk, soql
from leadbridge.sandbox.auth import ORG_ID, soap_credentials, soap_fault, soap_login_response
from leadbridge.sandbox.middleware import SandboxMiddleware
from leadbridge.sandbox.validation import RecordError

VERSIONS = [f"{v}.0" for v in range(52, 63)]
PAGE = 2000


def build_app(sb: Any) -> FastAPI:
    """The ASGI app over a running sandbox `sb` (its org, sessions, faults)."""
    app = FastAPI(title="leadbridge sandbox CRM", docs_url=None, redoc_url=None, openapi_url=None)
    org = sb.org
    cursors: dict[str, tuple[str, list[str], list[dict[str, Any]]]] = {}

    @app.exception_handler(RecordError)
    async def _record_error(_req: Request, exc: RecordError) -> JSONResponse:
        return JSONResponse([exc.as_single()], status_code=exc.status)

    # -- login ------------------------------------------------------------------------------

    @app.post("/services/oauth2/token")
    async def oauth(req: Request) -> JSONResponse:
        form = {k: v[0] for k, v in parse_qs((await req.body()).decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = req.headers.get("authorization", "")
        if auth.startswith("Basic ") and not cid:  # simple-salesforce sends the app's key/secret this way
            cid, _, secret = base64.b64decode(auth[6:]).decode("utf-8", "replace").partition(":")
        if not sb.sessions.client_ok(cid, secret):
            return JSONResponse({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
        if grant == "password" and not sb.sessions.password_ok(form.get("username"), form.get("password")):
            return JSONResponse({"error": "invalid_grant", "error_description": "authentication failure"}, 400)
        if grant not in ("password", "client_credentials"):
            return JSONResponse({"error": "unsupported_grant_type", "error_description": "grant type not supported"}, 400)
        sid = sb.sessions.issue()
        return JSONResponse({"access_token": sid, "instance_url": sb.instance_url, "token_type": "Bearer",
                             "id": f"{sb.instance_url}/id/{ORG_ID}/{org.admin_id}",
                             "issued_at": str(int(datetime.now().timestamp() * 1000)), "signature": secrets.token_hex(8)})

    @app.post("/services/Soap/u/{version}")
    async def soap_login(version: str, req: Request) -> Response:
        body = (await req.body()).decode("utf-8", "replace")
        user, password = soap_credentials(body)
        if not sb.sessions.password_ok(user, password):
            return Response(soap_fault("INVALID_LOGIN", "Invalid username, password, security token; or user locked out."),
                            500, media_type="text/xml")
        xml = soap_login_response(sb.instance_url, version, sb.sessions.issue(), org.admin_id, user)
        return Response(xml, media_type="text/xml")

    @app.post("/services/Soap/u/{version}/{org_id}")
    async def soap_call(version: str, org_id: str, req: Request) -> Response:
        body = (await req.body()).decode("utf-8", "replace")
        sid = re.search(r"<(?:\w+:)?sessionId>(.*?)</", body)
        if not sid or not sb.sessions.valid(f"Bearer {sid.group(1)}"):
            return Response(soap_fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader"), 500,
                            media_type="text/xml")
        return Response(bulk.soap_operation(org, body), media_type="text/xml")

    # -- metadata ---------------------------------------------------------------------------

    @app.get("/services/data")
    @app.get("/services/data/")
    async def versions() -> list[dict[str, str]]:
        return [{"label": f"Winter '{v[:2]}", "url": f"/services/data/v{v}", "version": v} for v in VERSIONS]

    @app.get("/services/data/v{version}/sobjects")
    @app.get("/services/data/v{version}/sobjects/")
    async def sobjects(version: str) -> dict[str, Any]:
        return org.schema.sobjects(version)

    @app.get("/services/data/v{version}/sobjects/{obj}/describe")
    @app.get("/services/data/v{version}/sobjects/{obj}/describe/")
    async def describe(version: str, obj: str) -> dict[str, Any]:
        org.check_object(obj)
        return org.schema.describe(obj)

    @app.get("/services/data/v{version}/limits")
    @app.get("/services/data/v{version}/limits/")
    async def limits(version: str) -> dict[str, Any]:
        cap = org.config.daily_api_requests
        return {"DailyApiRequests": {"Max": cap, "Remaining": max(0, cap - org.api_used)},
                "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
                "DataStorageMB": {"Max": 1024, "Remaining": 1000}}

    # -- changed / deleted windows ------------------------------------------------------------

    @app.get("/services/data/v{version}/sobjects/{obj}/updated/")
    @app.get("/services/data/v{version}/sobjects/{obj}/updated")
    async def updated(version: str, obj: str, start: str, end: str) -> dict[str, Any]:
        org.check_object(obj)
        s, e = soql.parse_datetime(start), soql.parse_datetime(end)
        ids = [r["Id"] for r in org.store.table(obj).values() if s <= soql.parse_datetime(r["SystemModstamp"]) <= e]
        return {"ids": ids, "latestDateCovered": _sf(e)}

    @app.get("/services/data/v{version}/sobjects/{obj}/deleted/")
    @app.get("/services/data/v{version}/sobjects/{obj}/deleted")
    async def deleted(version: str, obj: str, start: str, end: str) -> dict[str, Any]:
        org.check_object(obj)
        s, e = soql.parse_datetime(start), soql.parse_datetime(end)
        out = [{"id": rid, "deletedDate": r["_deleted_at"]} for rid, r in org.store.deleted.get(obj, {}).items()
               if s <= soql.parse_datetime(r["_deleted_at"]) <= e]
        return {"deletedRecords": out, "earliestDateAvailable": _sf(s), "latestDateCovered": _sf(e)}

    # -- single records ---------------------------------------------------------------------

    @app.post("/services/data/v{version}/sobjects/{obj}")
    @app.post("/services/data/v{version}/sobjects/{obj}/")
    async def create(version: str, obj: str, req: Request) -> JSONResponse:
        rec = org.prepare_create(obj, await _body(req), assign=_assign(req))
        org.commit(obj, [rec])
        return JSONResponse({"id": rec["Id"], "success": True, "errors": []}, 201)

    @app.get("/services/data/v{version}/sobjects/{obj}/{rid}")
    async def read(version: str, obj: str, rid: str, fields: str | None = None) -> dict[str, Any]:
        org.check_object(obj)
        rec = org.store.get(obj, rid)
        if rec is None:
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        return org.public(obj, rec, version, fields.split(",") if fields else None)

    @app.patch("/services/data/v{version}/sobjects/{obj}/{rid}")
    async def update(version: str, obj: str, rid: str, req: Request) -> Response:
        if req.scope["state"].get("lock_fault"):
            raise RecordError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", [])
        rec = org.prepare_update(obj, rid, await _body(req), assign=_assign(req))
        org.commit(obj, [rec])
        return Response(status_code=204)

    @app.delete("/services/data/v{version}/sobjects/{obj}/{rid}")
    async def delete(version: str, obj: str, rid: str) -> Response:
        org.delete(obj, rid)
        return Response(status_code=204)

    @app.patch("/services/data/v{version}/sobjects/{obj}/{field}/{value:path}")
    async def upsert(version: str, obj: str, field: str, value: str, req: Request) -> Response:
        org.check_object(obj)
        body = await _body(req)
        if field in body or "Id" in body:
            raise RecordError("INVALID_FIELD", f"The external ID field {field} or Id should not be in the body", [field])
        hits = org.find_external(obj, field, value)
        if len(hits) > 1:
            urls = [f"/services/data/v{version}/sobjects/{obj}/{h['Id']}" for h in hits]
            return JSONResponse(urls, 300)
        if hits:
            rec = org.prepare_update(obj, hits[0]["Id"], body, assign=_assign(req))
            org.commit(obj, [rec])
            return JSONResponse({"id": rec["Id"], "success": True, "errors": [], "created": False}, 200)
        rec = org.prepare_create(obj, {**body, field: value}, assign=_assign(req))
        org.commit(obj, [rec])
        return JSONResponse({"id": rec["Id"], "success": True, "errors": [], "created": True}, 201)

    # -- collections ------------------------------------------------------------------------

    @app.api_route("/services/data/v{version}/composite/sobjects", methods=["POST", "PATCH", "DELETE"])
    async def collection(version: str, req: Request) -> JSONResponse:
        if req.method == "DELETE":
            ids = [i for i in (req.query_params.get("ids") or "").split(",") if i]
            all_or_none = (req.query_params.get("allOrNone") or "false").lower() == "true"
            return JSONResponse(bulk.collection_delete(org, ids, all_or_none))
        body = await _body(req)
        return JSONResponse(bulk.collection_write(org, body, "create" if req.method == "POST" else "update",
                                                  None, None, lock=sb.faults.lock_record))

    @app.patch("/services/data/v{version}/composite/sobjects/{obj}/{field}")
    async def collection_upsert(version: str, obj: str, field: str, req: Request) -> JSONResponse:
        org.check_object(obj)
        return JSONResponse(bulk.collection_write(org, await _body(req), "upsert", obj, field,
                                                  lock=sb.faults.lock_record))

    # -- query ------------------------------------------------------------------------------

    def _page(version: str, obj: str, fields: list[str], rows: list[dict[str, Any]], size: int, offset: int,
              locator: str | None = None) -> dict:
        page = rows[offset:offset + size]
        out = {"totalSize": len(rows), "done": offset + size >= len(rows),
               "records": [_select(org.public(obj, r, version), fields) for r in page]}
        if not out["done"]:
            locator = locator or secrets.token_hex(8)
            cursors[locator] = (obj, fields, rows)
            out["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{offset + size}"
        return out

    def _query(version: str, q: str, req: Request, include_deleted: bool) -> dict[str, Any]:
        query = soql.parse(q)
        org.check_object(query.obj) if query.obj in org.schema.objects else _invalid_type(query.obj)
        known = {f.lower() for f in org.schema.fields(query.obj)}
        for f in [*query.fields, *query.where_fields, *(o[0] for o in query.order)]:
            if f.lower() not in known:
                raise RecordError("INVALID_FIELD", f"No such column '{f}' on entity '{query.obj}'. If you are attempting "
                                  "to use a custom field, be sure to append the '__c' after the custom field name.", [f])
        source = list(org.store.table(query.obj).values())
        if include_deleted:
            source += list(org.store.deleted.get(query.obj, {}).values())
        rows = soql.run(query, source)
        if query.count:
            return {"totalSize": len(rows), "done": True, "records": []}
        return _page(version, query.obj, query.fields, rows, _batch_size(req), 0)

    @app.get("/services/data/v{version}/query")
    @app.get("/services/data/v{version}/query/")
    async def query(version: str, q: str, req: Request) -> dict[str, Any]:
        return _query(version, q, req, False)

    @app.get("/services/data/v{version}/queryAll")
    @app.get("/services/data/v{version}/queryAll/")
    async def query_all(version: str, q: str, req: Request) -> dict[str, Any]:
        return _query(version, q, req, True)

    @app.get("/services/data/v{version}/query/{cursor}")
    async def query_more(version: str, cursor: str, req: Request) -> dict[str, Any]:
        locator, _, offset = cursor.rpartition("-")
        if locator not in cursors or not offset.isdigit():
            raise RecordError("INVALID_QUERY_LOCATOR", "invalid query locator", status=400)
        obj, fields, rows = cursors[locator]
        return _page(version, obj, fields, rows, _batch_size(req), int(offset), locator)

    bulk.register(app, org)
    return SandboxMiddleware(app, sb)


def _invalid_type(obj: str) -> None:
    raise RecordError("INVALID_TYPE", f"sObject type '{obj}' is not supported.", [])


def _select(rec: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """The selected fields in the query's order and spelling (Salesforce echoes the field names)."""
    lower = {k.lower(): k for k in rec}
    out = {"attributes": rec["attributes"]}
    for f in fields:
        out[f] = rec.get(lower.get(f.lower(), f))
    return out


def _batch_size(req: Request) -> int:
    opts = req.headers.get("sforce-query-options", "")
    m = re.search(r"batchSize=(\d+)", opts)
    return min(2000, max(200, int(m.group(1)))) if m else PAGE


def _assign(req: Request) -> bool:
    return (req.headers.get("sforce-auto-assign") or "").upper() not in ("", "FALSE")


async def _body(req: Request) -> dict[str, Any]:
    try:
        data = await req.json()
    except ValueError:
        raise RecordError("JSON_PARSER_ERROR", "The request body is not valid JSON", []) from None
    if not isinstance(data, dict):
        raise RecordError("JSON_PARSER_ERROR", "Expected a JSON object", [])
    return data


def _sf(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
