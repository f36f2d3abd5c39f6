"""API limits: the daily budget leadbridge may use (`crm.daily_api_budget`), and the whole queue's
wait after the CRM refuses calls (REQUEST_LIMIT_EXCEEDED) or the budget is spent.

The budget counts leadbridge's own API requests per UTC day (the cycles' recorded calls). A cycle
gets the calls left as the connector's `call_limit`: the connector refuses a request past it
(API_BUDGET_EXHAUSTED, never sent), so the sync stops before exceeding the budget; records not
sent go back to the queue unchanged, and the sync waits until the next UTC midnight.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from leadbridge.errors import CrmError
from leadbridge.store import sync_state
from leadbridge.sync import alerts

if TYPE_CHECKING:
    from leadbridge.crm.protocol import Connector
    from leadbridge.workspace import Workspace

BUDGET_CODE = "API_BUDGET_EXHAUSTED"


def day_start(now: datetime) -> datetime:
    return now.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def calls_today(ws: "Workspace", now: datetime) -> int:
    return sum(c["api_calls"] for c in sync_state.cycles_since(ws.db, day_start(now)))


def budget(ws: "Workspace") -> int | None:
    return ws.config.crm.daily_api_budget if ws.config.crm else None


def budget_left(ws: "Workspace", now: datetime) -> int | None:
    limit = budget(ws)
    return None if limit is None else max(0, limit - calls_today(ws, now))


def limit_calls(ws: "Workspace", crm: "Connector", now: datetime) -> int | None:
    """Cap this cycle's requests at the budget left today (on connectors that support a cap)."""
    left = budget_left(ws, now)
    if hasattr(crm, "call_limit"):
        crm.call_limit = None if left is None else crm.api_calls + left
    return left


def queue_backoff(ws: "Workspace", exc: CrmError, now: datetime) -> None:
    """The whole queue waits: until midnight UTC for a spent budget, else `sync.limit_backoff_seconds`."""
    if exc.code == BUDGET_CODE:
        until = day_start(now) + timedelta(days=1)
        why = f"daily API budget of {budget(ws):,} calls used up (crm.daily_api_budget)"
    else:
        until = now + timedelta(seconds=ws.config.sync.limit_backoff_seconds)
        why = f"CRM API limit reached ({exc})"
    sync_state.set_state(ws.db, "backoff_until", until.isoformat())
    sync_state.set_state(ws.db, "backoff_reason", why)
    alerts.emit(ws, "api_limit", "warning", f"{why}: sync waits until {until:%Y-%m-%d %H:%M} UTC",
                {"code": exc.code, "until": until.isoformat()})
