"""A sync cycle: release crashed claims, pull, push, record metrics, raise alerts."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from leadbridge.crm.classify import error_class
from leadbridge.crm.protocol import Connector
from leadbridge.crm.salesforce import Credentials, SalesforceConnector
from leadbridge.errors import ConfigError, CrmConfigError, CrmError
from leadbridge.store import outbox, sync_state
from leadbridge.sync import alerts
from leadbridge.sync.config import resolve_env
from leadbridge.sync.pull import PullStats, pull
from leadbridge.sync.limits import BUDGET_CODE, limit_calls, queue_backoff
from leadbridge.sync.push import PUSH_ORDER, PushStats, push
from leadbridge.sync.send import QueueBackoff

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class CycleResult:
    started_at: datetime
    finished_at: datetime
    pushed: int = 0
    pulled: int = 0
    unchanged: int = 0
    failed: int = 0
    skipped: int = 0
    converted: int = 0
    deleted: int = 0
    merged: int = 0
    related: dict[str, dict[str, int]] | None = None
    pushed_by_object: dict[str, dict[str, int]] | None = None
    api_calls: int = 0
    backlog: int = 0
    paused: str | None = None
    pull_error: str | None = None
    dry_run: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def connect(ws: "Workspace") -> Connector:
    """A logged-in connector from the workspace's `crm:` section (secrets from the environment)."""
    c = ws.config.crm
    if c is None or not c.login_url:
        raise ConfigError("no CRM is configured", hint="`leadbridge crm connect --env-file FILE` (sandbox) or add crm: to leadbridge.yaml")
    def env(name: str) -> str | None:
        return resolve_env(getattr(c, name), name, c.env_file)
    creds = Credentials(
        login_url=env("login_url"), username=env("username"), password=env("password"),
        security_token=env("security_token") or "", client_id=env("client_id"),
        client_secret=env("client_secret"), ca_bundle=env("ca_bundle"), api_version=c.api_version)
    return SalesforceConnector(creds, bulk_threshold=ws.config.sync.bulk_threshold)


def paused_reason(ws: "Workspace", now: datetime) -> str | None:
    state = sync_state.get_state(ws.db, "paused")
    if state:
        return f"paused: {state}"
    until = sync_state.get_state(ws.db, "backoff_until")
    if until and datetime.fromisoformat(until) > now:
        why = sync_state.get_state(ws.db, "backoff_reason") or "CRM API limit reached"
        return f"waiting: {why}, until {until}"
    return None


def run_cycle(ws: "Workspace", crm: Connector, *, do_push: bool = True, do_pull: bool = True,
              dry_run: bool = False) -> CycleResult:
    """One pull + push; every record's result is stored, metrics recorded for `sync status`."""
    cfg = ws.config.sync
    start = datetime.now(timezone.utc)
    calls0 = crm.api_calls
    res = CycleResult(start, start)
    res.paused = paused_reason(ws, start)
    if not res.paused and not dry_run and limit_calls(ws, crm, start) == 0:
        queue_backoff(ws, CrmError("budget spent", code=BUDGET_CODE), start)
        res.paused = paused_reason(ws, start)
    if res.paused:
        res.backlog = _backlog(ws)
        return res
    outbox.release_stale(ws.db, cfg.lease_seconds, start)
    p, q = PushStats(), PullStats()
    try:
        # pull first: a conflict (both sides changed since the last sync) is settled locally by the field
        # rules before anything is pushed, so a push never overwrites a newer CRM change unseen
        if do_pull and not dry_run:
            try:
                q = pull(ws, crm, start)
            except CrmConfigError:
                raise
            except CrmError as exc:  # transient: the cursors did not move, the next cycle reads it again
                res.pull_error = str(exc)
                log.warning("sync: pull failed, retried next cycle: %s", exc)
                if error_class(exc.code or "") == "backoff":
                    queue_backoff(ws, exc, start)
                    res.paused = paused_reason(ws, start)
                    do_push = False
        if do_push:
            p = push(ws, crm, dry_run=dry_run, now=start)
    except CrmConfigError as exc:
        pause(ws, exc)
        res.paused = f"paused: {exc}"
    except QueueBackoff as exc:
        p = exc.stats or p
        res.paused = paused_reason(ws, start) or f"waiting: {exc}"
    res.finished_at = datetime.now(timezone.utc)
    res.pushed, res.failed, res.skipped = p.pushed, p.failed + q.failed, p.skipped
    res.pulled, res.unchanged, res.converted = q.pulled, q.unchanged, q.converted
    res.deleted, res.merged = q.deleted, q.merged
    res.related, res.pushed_by_object = q.related, p.by_object
    res.api_calls, res.backlog = crm.api_calls - calls0, _backlog(ws)
    if dry_run:
        res.dry_run = p.dry_run
        return res
    sync_state.add_cycles(ws.db, _cycle_rows(ws, res, p, q))
    if getattr(crm, "api_usage", None):  # the org's own daily count (Sforce-Limit-Info), for status
        sync_state.set_state(ws.db, "crm_api_usage", {"used": crm.api_usage[0], "max": crm.api_usage[1],
                                                      "at": res.finished_at.isoformat()})
    _alerts(ws, res)
    sync_state.prune_log(ws.db, cfg.log_retention_days)
    return res


def _cycle_rows(ws: "Workspace", res: CycleResult, p: PushStats, q: PullStats) -> list[dict[str, Any]]:
    """The cycle's metrics: a row of totals (object 'all', with the API calls) and one per object."""
    head = {"started_at": res.started_at, "finished_at": res.finished_at}
    rows = [{**head, "object": "all", "pushed": res.pushed, "pulled": res.pulled, "failed": res.failed,
             "skipped": res.skipped, "api_calls": res.api_calls, "backlog": res.backlog}]
    pulled = {"person": {"pulled": q.pulled, "failed": q.failed}, **(q.related or {})}
    for obj in dict.fromkeys([*PUSH_ORDER, *pulled]):
        b = outbox.backlog(ws.db, obj) if obj in PUSH_ORDER else {}
        pushed, got = p.by_object.get(obj, {}), pulled.get(obj, {})
        row = {**head, "object": obj, "pushed": pushed.get("pushed", 0), "pulled": got.get("pulled", 0),
               "failed": pushed.get("failed", 0) + got.get("failed", 0),
               "skipped": pushed.get("skipped", 0) + got.get("skipped", 0), "api_calls": 0,
               "backlog": b.get("pending", 0) + b.get("in_flight", 0)}
        if any(row[k] for k in ("pushed", "pulled", "failed", "skipped", "backlog")) or b:
            rows.append(row)
    return rows


def pause(ws: "Workspace", exc: Exception) -> None:
    """Configuration errors stop the sync until someone fixes them (and raise an alert)."""
    sync_state.set_state(ws.db, "paused", str(exc))
    alerts.emit(ws, "config_error", "critical", f"sync paused: {exc}", {"hint": getattr(exc, "hint", None)})


def resume(ws: "Workspace") -> None:
    sync_state.set_state(ws.db, "paused", None)
    sync_state.set_state(ws.db, "backoff_until", None)
    sync_state.set_state(ws.db, "backoff_reason", None)


def _backlog(ws: "Workspace") -> int:
    """Records waiting to be pushed, over every synced object."""
    total = 0
    for obj in PUSH_ORDER:
        b = outbox.backlog(ws.db, obj)
        total += b.get("pending", 0) + b.get("in_flight", 0)
    return total


def _alerts(ws: "Workspace", res: CycleResult) -> None:
    cfg = ws.config.sync
    critical = res.backlog > cfg.critical_backlog
    if critical and not sync_state.get_state(ws.db, "backlog_alerted"):  # once per spell above the threshold
        alerts.emit(ws, "backlog_critical", "critical", f"sync backlog {res.backlog:,} is above {cfg.critical_backlog:,}",
                    {"backlog": res.backlog, "threshold": cfg.critical_backlog})
    if critical != bool(sync_state.get_state(ws.db, "backlog_alerted")):
        sync_state.set_state(ws.db, "backlog_alerted", critical or None)
    attempted = res.pushed + res.failed
    if attempted >= 20 and res.failed / attempted >= cfg.error_spike_rate:
        alerts.emit(ws, "error_spike", "error", f"{res.failed} of {attempted} records failed in one cycle",
                    {"failed": res.failed, "attempted": attempted})


def run_forever(ws: "Workspace", crm: Connector, interval: float, *, do_push: bool = True, do_pull: bool = True,
                on_cycle: Callable[[CycleResult], None] | None = None, stop: Callable[[], bool] = lambda: False) -> None:
    """Cycle every `interval` seconds until `stop()` (the worker)."""
    while not stop():
        started = time.monotonic()
        result = run_cycle(ws, crm, do_push=do_push, do_pull=do_pull)
        if on_cycle:
            on_cycle(result)
        from leadbridge.dedupe.schedule import run_if_due
        run_if_due(ws)  # dedupe.schedule: daily/weekly auto-merge between cycles
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
