"""The sandbox's HTTP API: logins, versions, limits, SOAP calls, and the error bodies of every failure.

Routes live with their domain: `records` (sObject REST), `collections`, `queries`, `bulk`
and `bulk_query`. Every error is Salesforce-shaped: a JSON array of
`{"message", "errorCode"}` for REST (unknown routes NOT_FOUND, wrong methods
METHOD_NOT_ALLOWED, bad parameters, crashes UNKNOWN_EXCEPTION with an ErrorId), SOAP faults
for SOAP, `{"error", "error_description"}` for OAuth.
"""

from __future__ import annotations

import base64
import logging
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from leadbridge.sandbox import bulk, bulk_query, collections, conversion, merge, queries, records, soap
from leadbridge.sandbox.auth import ORG_ID, check_client_login, check_login
from leadbridge.sandbox.middleware import DroppedConnection, SandboxMiddleware
from leadbridge.sandbox.validation import RecordError

VERSIONS = [f"{v}.0" for v in range(52, 63)]
log = logging.getLogger("leadbridge.sandbox")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json;charset=UTF-8")


def release_label(version: str) -> str:
    """Salesforce's release name of an API version: 52.0 is Summer '21, then Winter, Spring, Summer."""
    k = int(float(version)) - 52
    return f"{['Summer', 'Winter', 'Spring'][k % 3]} '{21 + (k + 2) // 3}"


def build_app(sb: Any) -> Any:
    """The ASGI app over a running sandbox `sb` (its org, sessions, faults)."""
    app = FastAPI(title="leadbridge sandbox CRM", docs_url=None, redoc_url=None, openapi_url=None)
    org = sb.org

    @app.exception_handler(RecordError)
    async def _record_error(_req: Request, exc: RecordError) -> Response:
        return json_response([exc.as_single()], exc.status)

    @app.exception_handler(HTTPException)
    async def _http_error(req: Request, exc: HTTPException) -> Response:
        if exc.status_code == 405:
            allowed = sorted({m for r in req.app.routes if getattr(r, "path_regex", None)
                              and r.path_regex.match(req.url.path) for m in (getattr(r, "methods", None) or ())})
            return json_response([{"errorCode": "METHOD_NOT_ALLOWED", "message": f"HTTP Method '{req.method}' not "
                                   f"allowed. Allowed are {','.join(allowed)}"}], 405, {"Allow": ", ".join(allowed)})
        if exc.status_code == 404:
            return json_response([{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}], 404)
        return json_response([{"errorCode": "INVALID_REQUEST", "message": str(exc.detail)}], exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_req: Request, exc: RequestValidationError) -> Response:
        missing = [str(e["loc"][-1]) for e in exc.errors() if e.get("type") == "missing"]
        if missing:
            return json_response([{"errorCode": "MISSING_ARGUMENT",
                                   "message": f"Missing required parameter: {', '.join(missing)}"}], 400)
        return json_response([{"errorCode": "INVALID_REQUEST", "message": str(exc.errors()[0].get("msg"))}], 400)

    @app.exception_handler(Exception)
    async def _crash(req: Request, exc: Exception) -> Response:
        if isinstance(exc, DroppedConnection):
            raise exc  # an injected fault, not a bug: the connection must drop
        error_id = f"{secrets.randbelow(10**10)}-{secrets.randbelow(10**5)} ({-secrets.randbelow(10**9)})"
        log.error("sandbox bug, ErrorId %s, on %s %s", error_id, req.method, req.url.path, exc_info=exc)
        return json_response([{"errorCode": "UNKNOWN_EXCEPTION", "message": "An unexpected error occurred. Please "
                               f"include this ErrorId if you contact support: {error_id}"}], 500)

    # -- login ------------------------------------------------------------------------------

    @app.post("/services/oauth2/token")
    async def oauth(req: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await req.body()).decode("utf-8", "replace")).items()}
        grant = form.get("grant_type")
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = req.headers.get("authorization", "")
        if auth.startswith("Basic ") and not cid:  # simple-salesforce sends the app's key/secret this way
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode("utf-8", "replace").partition(":")
            except ValueError:
                cid = secret = None
        if grant not in ("password", "client_credentials"):
            return json_response({"error": "unsupported_grant_type", "error_description": "grant type not supported"},
                                 400)
        if not sb.sessions.client_ok(cid, secret):
            return json_response({"error": "invalid_client", "error_description": "invalid client credentials"}, 400)
        ip = req.client.host if req.client else None
        failure = check_login(sb.config, form.get("username"), form.get("password"), ip) if grant == "password" \
            else check_client_login(sb.config, ip)
        if failure:
            return json_response({"error": failure.oauth_error, "error_description": failure.oauth_description}, 400)
        sid = sb.sessions.issue()
        return json_response({"access_token": sid, "instance_url": sb.instance_url, "token_type": "Bearer",
                              "id": f"{sb.instance_url}/id/{ORG_ID}/{org.admin_id}", "scope": "api",
                              "issued_at": str(int(datetime.now().timestamp() * 1000)),
                              "signature": base64.b64encode(secrets.token_bytes(32)).decode()})

    @app.post("/services/Soap/u/{version}")
    async def soap_login(version: str, req: Request) -> Response:
        try:
            env = soap.parse(await req.body())
            if env.operation != "login":
                raise soap.SoapFault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
            user, password = soap.login_credentials(env.body)
            failure = check_login(sb.config, user, password, req.client.host if req.client else None)
            if failure:
                raise soap.SoapFault(failure.code, failure.message, detail="LoginFault")
        except soap.SoapFault as fault:
            return Response(fault.xml(), 500, media_type="text/xml;charset=UTF-8")
        admin = org.store.get("User", org.admin_id)
        xml = soap.login_response(sb.instance_url, version, sb.sessions.issue(), admin, sb.config.session_seconds)
        return Response(xml, media_type="text/xml;charset=UTF-8")

    @app.post("/services/Soap/u/{version}/{org_id}")
    async def soap_call(version: str, org_id: str, req: Request) -> Response:
        try:
            env = soap.parse(await req.body())
            if not sb.sessions.valid_id(env.session_id):
                raise soap.SoapFault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
            xml = _soap_operation(org, env, version, bool(req.scope["state"].get("lock_fault")))
        except soap.SoapFault as fault:
            return Response(fault.xml(), 500, media_type="text/xml;charset=UTF-8")
        return Response(xml, media_type="text/xml;charset=UTF-8")

    # -- versions and limits ------------------------------------------------------------------

    @app.get("/services/data")
    @app.get("/services/data/")
    async def versions() -> Response:
        return json_response([{"label": release_label(v), "url": f"/services/data/v{v}", "version": v}
                              for v in VERSIONS])

    @app.get("/services/data/v{version}")
    @app.get("/services/data/v{version}/")
    async def resources(version: str) -> Response:
        base = f"/services/data/v{version}"
        return json_response({k: f"{base}/{k}" for k in ("sobjects", "query", "queryAll", "limits", "composite",
                                                          "jobs")})

    @app.get("/services/data/v{version}/limits")
    @app.get("/services/data/v{version}/limits/")
    async def limits(version: str) -> Response:
        cap = org.config.daily_api_requests
        return json_response({"DailyApiRequests": {"Max": cap, "Remaining": max(0, cap - org.api_used)},
                              "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
                              "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
                              "DataStorageMB": {"Max": 1024, "Remaining": 1000}})

    records.register(app, sb)
    collections.register(app, sb)
    queries.register(app, sb)
    bulk.register(app, sb)
    bulk_query.register(app, sb)
    return SandboxMiddleware(app, sb)


def _soap_operation(org: Any, env: soap.Envelope, version: str, locked: bool) -> str:
    """convertLead and merge: one result per request element, each its own transaction."""
    lock = RecordError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", [])
    if env.operation == "convertLead":
        out: list = []
        for item in soap.children(env.body, "leadConverts"):
            spec = {soap.local(c.tag): (c.text or "").strip() for c in item}
            try:
                if locked:
                    raise lock
                out.append(conversion.convert(org, spec, version))
            except RecordError as exc:
                out.append((spec.get("leadId"), exc))
        return soap.convert_response(out)
    if env.operation == "merge":
        out = []
        for item in soap.children(env.body, "request"):
            masters = soap.children(item, "masterRecord")
            kind, master, values = soap.sobject_values(masters[0]) if masters else (None, None, {})
            losers = [(c.text or "").strip() for c in soap.children(item, "recordToMergeIds")]
            try:
                if locked:
                    raise lock
                out.append(merge.merge(org, kind, master, losers, values, version))
            except RecordError as exc:
                out.append((master, exc))
        return soap.merge_response(out)
    raise soap.SoapFault("INVALID_OPERATION", f"No operation available for request {env.operation}",
                         faultcode="soapenv:Client")
