"""ASGI middleware: API limits, the Sforce-Limit-Info header, and injected faults."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from leadbridge.sandbox.faults import Faults


class DroppedConnection(Exception):
    """Raised mid-response so the server closes the socket: the client sees a dropped connection."""


class SandboxMiddleware:
    def __init__(self, app: Any, sandbox: Any):
        self.app, self.sb = app, sandbox

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/services/data/v"):
            await self.app(scope, receive, send)
            return
        sb = self.sb
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if not sb.sessions.valid(headers.get("authorization")):
            await _json(send, 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
            return
        used, cap = sb.org.count_call()
        limit_header = [(b"sforce-limit-info", f"api-usage={used}/{cap}".encode())]
        faults: Faults = sb.faults
        hit = faults.next()
        if faults.plan.latency_ms:
            await asyncio.sleep(faults.plan.latency_ms / 1000)
        if used > cap or hit["ratelimit"]:
            await _json(send, 403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
                        limit_header)
            return
        if hit["expire"]:
            sb.sessions.expire_all()
            await _json(send, 401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
            return
        if hit["unavailable"]:
            await _json(send, 503, [{"message": "Server unavailable, please retry", "errorCode": "SERVER_UNAVAILABLE"}],
                        limit_header)
            return
        scope.setdefault("state", {})["lock_fault"] = hit["lock"]
        drop = hit["drop"]

        async def send_with_header(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + limit_header
            elif drop and message["type"] == "http.response.body":
                raise DroppedConnection("fault injection: connection dropped after the write was applied")
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        except DroppedConnection:
            raise


async def _json(send: Any, status: int, body: Any, extra: list | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json;charset=UTF-8"),
                            (b"content-length", str(len(data)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": data})
