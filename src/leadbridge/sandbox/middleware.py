"""ASGI middleware: sessions, API limits, the Sforce-Limit-Info header, injected faults, and crash safety.

Every error leaves as a Salesforce-shaped body, and none closes the connection: an exception
after the response was sent is logged and swallowed, so the client's pooled keep-alive
connection stays usable (only an injected `drop` fault cuts it).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import orjson

from leadbridge.sandbox.faults import Hit, is_login
from leadbridge.sandbox.soap import SoapFault

log = logging.getLogger("leadbridge.sandbox")
_VERSION = re.compile(r"^/services/data/v(\d+\.\d+)(/|$)")
_SOAP_CALL = re.compile(r"^/services/Soap/u/[^/]+/[^/]+")


class DroppedConnection(Exception):
    """Raised mid-response so the server closes the socket: the client sees a dropped connection."""


def supported(version: str) -> bool:
    from leadbridge.sandbox.app import VERSIONS
    return version in VERSIONS


class SandboxMiddleware:
    def __init__(self, app: Any, sandbox: Any):
        self.app, self.sb = app, sandbox

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        started = False

        async def tracking(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self._handle(scope, receive, tracking, path, method)
        except DroppedConnection:
            raise
        except Exception:  # noqa: BLE001 - a bug: answer 500 once, keep the connection
            log.exception("sandbox error on %s %s", method, path)
            if not started:
                await _json(send, 500, [{"message": "An unexpected error occurred.", "errorCode": "UNKNOWN_EXCEPTION"}])

    async def _handle(self, scope: dict, receive: Any, send: Any, path: str, method: str) -> None:
        sb = self.sb
        rest, soap_call = path.startswith("/services/data/v"), bool(_SOAP_CALL.match(path))
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if rest:
            m = _VERSION.match(path)
            if m is None or not supported(m.group(1)):
                await _json(send, 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
                return
            if not sb.sessions.valid(headers.get("authorization")):
                await _json(send, 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
                return
        if not (rest or soap_call or is_login(path)):
            await self.app(scope, receive, send)
            return
        limit_header: list = []
        if rest or soap_call:
            used, cap = sb.org.count_call()
            limit_header = [(b"sforce-limit-info", f"api-usage={used}/{cap}".encode())]
            if used > cap:
                await _refuse(send, path, "ratelimit", limit_header)
                return
        hit: Hit = sb.faults.draw(path, method)
        if hit.latency_ms:
            await asyncio.sleep(hit.latency_ms / 1000)
        for kind in ("ratelimit", "expire", "unavailable"):
            if kind in hit.kinds:
                if kind == "expire":
                    sb.sessions.expire_all()
                await _refuse(send, path, kind, limit_header)
                return
        state = scope.setdefault("state", {})
        state["lock_fault"] = "lock" in hit.kinds
        drop = "drop" in hit.kinds

        async def send_with_header(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + limit_header
            elif drop and message["type"] == "http.response.body":
                raise DroppedConnection("fault injection: connection dropped after the write was applied")
            await send(message)

        await self.app(scope, receive, send_with_header)


_REST = {"ratelimit": (403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
         "expire": (401, "INVALID_SESSION_ID", "Session expired or invalid"),
         "unavailable": (503, "SERVER_UNAVAILABLE", "Server unavailable, please retry")}
_OAUTH = {"ratelimit": (400, "rate_limit_exceeded", "Number of logins exceeded"),
          "unavailable": (503, "temporarily_unavailable", "Server unavailable, please retry")}


async def _refuse(send: Any, path: str, kind: str, extra: list) -> None:
    """A limit or injected fault, in the body shape of the endpoint hit (REST array, SOAP fault, OAuth error)."""
    status, code, message = _REST[kind]
    if path.startswith("/services/Soap/"):
        body = SoapFault(code, message).xml().encode()
        await _send(send, 503 if kind == "unavailable" else 500, body, b"text/xml;charset=UTF-8", extra)
    elif path.startswith("/services/oauth2/"):
        status, error, description = _OAUTH.get(kind, _OAUTH["unavailable"])
        await _json(send, status, {"error": error, "error_description": description}, extra)
    else:
        await _json(send, status, [{"message": message, "errorCode": code}], extra)


async def _json(send: Any, status: int, body: Any, extra: list | None = None) -> None:
    await _send(send, status, orjson.dumps(body), b"application/json;charset=UTF-8", extra)


async def _send(send: Any, status: int, data: bytes, ctype: bytes, extra: list | None) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(data)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": data})
