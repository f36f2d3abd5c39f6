"""The alerts hook: sync events that need a person (configuration errors that paused the sync, a
critical backlog, an error-rate spike, API limits, CRM merges to finish here, dead letters).

`emit` records the event in the database (`alert` table; `leadbridge sync alerts`), logs it, and
hands it to every subscriber. Channels (email, webhook…) subscribe with `subscribe(fn)`; a failing
subscriber is logged and never stops the sync.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from leadbridge.store import sync_state

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

log = logging.getLogger("leadbridge.sync.alerts")

KINDS = {
    "config_error": "a configuration error (unknown field, permissions, login) paused the sync",
    "backlog_critical": "the backlog is above sync.critical_backlog",
    "error_spike": "a cycle's failed share reached sync.error_spike_rate",
    "api_limit": "the CRM's API limit or leadbridge's daily API budget: the queue waits",
    "dead_letters": "outbox entries gave up after sync.max_attempts transient failures",
    "crm_merge_duplicates": "the CRM merged records of two local people: merge them here",
}
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}


@dataclass(frozen=True)
class Alert:
    kind: str
    severity: str  # info | warning | error | critical
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


Subscriber = Callable[[Alert], None]
_subscribers: list[Subscriber] = []


def subscribe(fn: Subscriber) -> Subscriber:
    """Call `fn(alert)` for every alert from now on (usable as a decorator)."""
    if fn not in _subscribers:
        _subscribers.append(fn)
    return fn


def unsubscribe(fn: Subscriber) -> None:
    if fn in _subscribers:
        _subscribers.remove(fn)


def emit(ws: "Workspace", kind: str, severity: str, message: str, data: dict[str, Any] | None = None) -> Alert:
    """Record, log and hand out one alert."""
    alert = Alert(kind, severity, message, dict(data or {}))
    sync_state.add_alert(ws.db, kind, severity, message, alert.data)
    log.log(_LEVELS.get(severity, logging.WARNING), "sync alert %s: %s", kind, message)
    for fn in list(_subscribers):
        try:
            fn(alert)
        except Exception:  # a channel's failure must not stop the sync
            log.exception("alert subscriber %r failed", fn)
    return alert


def recent(ws: "Workspace", limit: int = 50, kind: str | None = None) -> list[dict[str, Any]]:
    """Recorded alerts, newest first (with their data decoded)."""
    import json
    rows = sync_state.alerts(ws.db, limit if kind is None else max(limit * 20, 1000))
    out = []
    for r in rows:
        if kind and r["kind"] != kind:
            continue
        out.append({**r, "data": json.loads(r["data"]) if isinstance(r.get("data"), str) and r["data"] else {}})
    return out[:limit]
