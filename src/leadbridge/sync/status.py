"""`sync status`: per object the backlog now and its 5-day trend, throughput per hour over 24 h, the
records pushed/pulled/failed/skipped per cycle, API calls used against the limits, and a named status.

Status thresholds (configurable under `sync:`; also in docs/sync.md), for the whole sync and per object:
  critical    backlog > sync.critical_backlog (default 10,000), or the sync is paused by a
              configuration error (whole sync only)
  increasing  not critical, and the backlog grew in each of the last sync.increasing_cycles cycles
              (default 3, i.e. 4 cycles in a row each with a larger backlog than the one before)
  normal      otherwise (a wait for an API limit or the daily budget shows in `paused`, not as critical)

The trend is the backlog at the end of each 6-hour bucket over the last 5 days (20 points; a
bucket without cycles keeps the previous value). Throughput counts records pushed + pulled per
hour over the last 24 h, from the first cycle in that window (idle hours count as 0).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from leadbridge.store import outbox, sync_state
from leadbridge.sync.engine import paused_reason
from leadbridge.sync.limits import budget, calls_today
from leadbridge.sync.push import PUSH_ORDER

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

BARS = "▁▂▃▄▅▆▇█"
TREND_DAYS, BUCKET_HOURS = 5, 6
CYCLE_KEYS = ("started_at", "finished_at", "pushed", "pulled", "failed", "skipped", "api_calls", "backlog")


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1
    return "".join(BARS[int((v - lo) / span * (len(BARS) - 1))] for v in values)


def backlog_trend(cycles: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The backlog at the end of each 6-hour bucket of the last 5 days (empty without cycles)."""
    if not cycles:
        return {"days": [], "values": [], "sparkline": "", "bucket_hours": BUCKET_HOURS}
    n = TREND_DAYS * 24 // BUCKET_HOURS
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    starts = [end - timedelta(hours=BUCKET_HOURS * (n - i)) for i in range(n)]
    last: dict[int, int] = {}
    for c in cycles:  # oldest first: the last cycle of a bucket wins
        i = int((c["started_at"] - starts[0]).total_seconds() // (BUCKET_HOURS * 3600))
        if 0 <= i < n:
            last[i] = c["backlog"]
    first = min(last) if last else n
    values, value = [], 0
    for i in range(first, n):
        value = last.get(i, value)
        values.append(value)
    labels = [s.strftime("%Y-%m-%d %H:00") for s in starts[first:]]
    return {"days": labels, "values": values, "sparkline": sparkline(values), "bucket_hours": BUCKET_HOURS}


def throughput(cycles: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Records pushed + pulled per hour over the last 24 h: max, min, avg and the hours themselves."""
    since = now - timedelta(hours=24)
    recent = [c for c in cycles if c["started_at"] >= since]
    if not recent:
        return {"max": 0, "min": 0, "avg": 0, "hours": [], "hour_labels": []}
    start = recent[0]["started_at"].replace(minute=0, second=0, microsecond=0)
    hours = int((now - start).total_seconds() // 3600) + 1
    per = [0] * hours
    for c in recent:
        per[min(hours - 1, int((c["started_at"] - start).total_seconds() // 3600))] += c["pushed"] + c["pulled"]
    labels = [(start + timedelta(hours=i)).strftime("%Y-%m-%d %H:00") for i in range(hours)]
    return {"max": max(per), "min": min(per), "avg": round(sum(per) / len(per), 1), "hours": per,
            "hour_labels": labels}


def named_status(ws: "Workspace", backlog: int, cycles: list[dict[str, Any]], paused: str | None = None
                 ) -> tuple[str, str]:
    """(normal | increasing | critical, why) by the documented thresholds."""
    cfg = ws.config.sync
    if paused and paused.startswith("paused"):
        return "critical", paused
    if backlog > cfg.critical_backlog:
        return "critical", f"backlog {backlog:,} > sync.critical_backlog {cfg.critical_backlog:,}"
    recent = [c["backlog"] for c in cycles[-(cfg.increasing_cycles + 1):]]
    if len(recent) > cfg.increasing_cycles and all(b > a for a, b in zip(recent, recent[1:])):
        return "increasing", f"backlog grew in each of the last {cfg.increasing_cycles} cycles ({recent[0]:,} → {recent[-1]:,})"
    return "normal", f"backlog {backlog:,} ≤ {cfg.critical_backlog:,} and not growing"


def _cycle(c: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if c is None else {k: c.get(k) for k in ("id", "object", *CYCLE_KEYS)}


def sync_status(ws: "Workspace", now: datetime | None = None) -> dict[str, Any]:
    """Everything `sync status` and the dashboard show, as one structure."""
    now = now or datetime.now(timezone.utc)
    cfg = ws.config.sync
    rows = sync_state.cycles_since(ws.db, now - timedelta(days=TREND_DAYS), obj=None)
    by_obj: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_obj[r["object"]].append(r)
    cycles = by_obj.get("all", [])
    queues = {obj: outbox.backlog(ws.db, obj) for obj in PUSH_ORDER}
    queue: dict[str, int] = defaultdict(int)
    for q in queues.values():
        for state, n in q.items():
            queue[state] += n
    queue = dict(queue)
    backlog = queue.get("pending", 0) + queue.get("in_flight", 0)
    paused = paused_reason(ws, now)
    state, why = named_status(ws, backlog, cycles, paused)
    objects = {}
    for obj in dict.fromkeys([*PUSH_ORDER, *(o for o in by_obj if o != "all")]):
        q, hist = queues.get(obj, {}), by_obj.get(obj, [])
        if not q and not hist:
            continue
        b = q.get("pending", 0) + q.get("in_flight", 0)
        o_state, o_why = named_status(ws, b, hist)
        objects[obj] = {"backlog": b, "queue": q, "status": o_state, "status_reason": o_why,
                        "backlog_trend": backlog_trend(hist, now), "throughput_per_hour": throughput(hist, now),
                        "last_cycle": _cycle(hist[-1] if hist else None),
                        "cycles_recent": [_cycle(c) for c in hist[-10:]]}
    used, limit = calls_today(ws, now), budget(ws)
    return {
        "status": state, "status_reason": why, "paused": paused, "backlog": backlog, "queue": queue,
        "objects": objects,
        "backlog_trend": backlog_trend(cycles, now),
        "throughput_per_hour": throughput(cycles, now),
        "last_cycle": _cycle(cycles[-1] if cycles else None), "cycles": len(cycles),
        "cycles_recent": [_cycle(c) for c in cycles[-10:]],
        "api_calls_today": used, "api_budget": limit,
        "api_budget_left": None if limit is None else max(0, limit - used),
        "crm_api_usage": sync_state.get_state(ws.db, "crm_api_usage"),
        "open_errors": len(sync_state.open_errors(ws.db)),
        "alerts": sync_state.alerts(ws.db, 10),
        "thresholds": {"critical_backlog": cfg.critical_backlog, "increasing_cycles": cfg.increasing_cycles,
                       "trend_days": TREND_DAYS, "trend_bucket_hours": BUCKET_HOURS},
    }
