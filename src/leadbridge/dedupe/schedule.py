"""Auto-merge on a schedule (daily or weekly), run by the sync worker between cycles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from leadbridge.store import sync_state

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

PERIOD = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
STATE_KEY = "dedupe_auto_merge_last"


def due(ws: "Workspace", now: datetime | None = None) -> bool:
    """True when auto-merge is scheduled and its period has passed since the last run."""
    period = PERIOD.get(ws.config.dedupe.schedule)
    if period is None:
        return False
    last = sync_state.get_state(ws.db, STATE_KEY)
    now = now or datetime.now(timezone.utc)
    return last is None or now - datetime.fromisoformat(last) >= period


def run_if_due(ws: "Workspace", now: datetime | None = None) -> int | None:
    """Run auto-merge when due; returns how many merges it made (None when not due). Recorded as an alert."""
    if not due(ws, now):
        return None
    from leadbridge.dedupe.find import auto_merge
    now = now or datetime.now(timezone.utc)
    sync_state.set_state(ws.db, STATE_KEY, now.isoformat())  # first: a failing run is not retried in a loop
    report, outcomes = auto_merge(ws)
    sync_state.add_alert(ws.db, "dedupe_auto_merge", "info",
                         f"scheduled auto-merge: {len(outcomes)} merges, {len(report.review)} pairs for review",
                         {"merges": [o.merge_id for o in outcomes]})
    return len(outcomes)
