"""`sync status`: backlog and its trend, throughput, counts per cycle, API use, and a named status.

Status thresholds (documented, configurable under sync:):
  critical    backlog > sync.critical_backlog, or the sync is paused by a configuration error
  increasing  backlog grew in each of the last sync.increasing_cycles cycles
  normal      otherwise
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from leadbridge.store import outbox, sync_state
from leadbridge.sync.engine import paused_reason
from leadbridge.sync.limits import budget
from leadbridge.sync.push import PUSH_ORDER

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1
    return "".join(BARS[int((v - lo) / span * (len(BARS) - 1))] for v in values)


def sync_status(ws: "Workspace", now: datetime | None = None) -> dict[str, Any]:
    """Everything `sync status` and the dashboard show, as one structure."""
    now = now or datetime.now(timezone.utc)
    cfg = ws.config.sync
    objects = {obj: q for obj in PUSH_ORDER if (q := outbox.backlog(ws.db, obj))}
    queue: dict[str, int] = defaultdict(int)
    for q in objects.values():
        for state, n in q.items():
            queue[state] += n
    queue = dict(queue)
    backlog = queue.get("pending", 0) + queue.get("in_flight", 0)
    cycles = sync_state.cycles_since(ws.db, now - timedelta(days=5))
    daily: dict[str, int] = {}
    for c in cycles:
        daily[c["started_at"].strftime("%Y-%m-%d")] = c["backlog"]
    hourly: dict[str, int] = defaultdict(int)
    for c in cycles:
        if c["started_at"] >= now - timedelta(hours=24):
            hourly[c["started_at"].strftime("%Y-%m-%d %H:00")] += c["pushed"] + c["pulled"]
    per_hour = list(hourly.values())
    recent = [c["backlog"] for c in cycles[-(cfg.increasing_cycles + 1):]]
    paused = paused_reason(ws, now)
    growing = len(recent) > cfg.increasing_cycles and all(b > a for a, b in zip(recent, recent[1:]))
    state = "critical" if backlog > cfg.critical_backlog or (paused and "paused" in paused) \
        else "increasing" if growing else "normal"
    last = cycles[-1] if cycles else None
    calls_today = sum(c["api_calls"] for c in cycles if c["started_at"].date() == now.date())
    return {
        "status": state, "paused": paused, "backlog": backlog, "queue": queue,
        "objects": {obj: {"backlog": q.get("pending", 0) + q.get("in_flight", 0), "queue": q}
                    for obj, q in objects.items()},
        "backlog_trend": {"days": list(daily), "values": list(daily.values()), "sparkline": sparkline(list(daily.values()))},
        "throughput_per_hour": {"max": max(per_hour, default=0), "min": min(per_hour, default=0),
                                "avg": round(sum(per_hour) / len(per_hour), 1) if per_hour else 0},
        "last_cycle": last, "cycles": len(cycles),
        "api_calls_today": calls_today, "api_budget": budget(ws),
        "api_budget_left": None if budget(ws) is None else max(0, budget(ws) - calls_today),
        "open_errors": len(sync_state.open_errors(ws.db)),
        "alerts": sync_state.alerts(ws.db, 10),
        "thresholds": {"critical_backlog": cfg.critical_backlog, "increasing_cycles": cfg.increasing_cycles},
    }
