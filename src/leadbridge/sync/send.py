"""Sending planned records to the CRM and settling every result, for any synced object.

`push` (people) and `push_related` (companies, campaigns, campaign members) plan payloads; this
module sends them (a Bulk job above the threshold, else 200-record collections), settles each
chunk on its own, and classifies every failure: transient → retried with backoff, data → kept
with the CRM's message, configuration → the sync pauses.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadbridge.crm.classify import error_class, suggest_fix
from leadbridge.crm.protocol import Connector, ErrorDetail, SaveResult
from leadbridge.errors import CrmConfigError, CrmError
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.store import outbox, sync_state
from leadbridge.sync import alerts
from leadbridge.sync.limits import BUDGET_CODE, queue_backoff

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


class QueueBackoff(Exception):
    """The CRM refused calls for a limit (or the budget is spent): the whole push stops this cycle."""

    def __init__(self, exc: CrmError):
        super().__init__(str(exc))
        self.error = exc
        self.stats: "PushStats | None" = None  # what the push did before it stopped


Plans = dict[tuple[str, str | None], list[tuple[int, dict[str, Any]]]]


@dataclass
class PushStats:
    pushed: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    by_object: dict[str, dict[str, int]] = field(default_factory=dict)
    dry_run: list[dict[str, Any]] = field(default_factory=list)

    def totals(self) -> tuple[int, int, int, int]:
        return self.pushed, self.failed, self.skipped, self.retried

    def settle(self, local: str, before: tuple[int, int, int, int]) -> None:
        """Record what one object's push added to the totals."""
        diff = [a - b for a, b in zip(self.totals(), before)]
        if any(diff):
            self.by_object[local] = dict(zip(("pushed", "failed", "skipped", "retried"), diff))


def owner_map(ws: "Workspace") -> dict[int, str]:
    """Local user id → CRM user id, from the crosswalk (users are linked by email on pull)."""
    links = sync_state.active_links(ws.db, "user", [u["id"] for u in ws.list("user", limit=None)])
    return {uid: ls[0][1] for uid, ls in links.items() if ls}


def take(ws: "Workspace", local: str, dry_run: bool, now: datetime,
         bulk: bool = False) -> dict[int, list[dict[str, Any]]]:
    """Claim due outbox entries of one object (peek in a dry run), grouped per record, with the
    record's earlier data-error entries (their fields are re-sent with the next change).

    With `bulk` (the CRM has a bulk API), a full claim big enough to go by Bulk is topped up to
    `sync.bulk_claim_size`: a backlog of 100k goes out as one Bulk job, not one per `claim_size` entries."""
    cfg, db = ws.config.sync, ws.db
    entries = outbox.peek(ws.db, local, cfg.claim_size) if dry_run else \
        outbox.claim(db, local, cfg.claim_size, outbox.worker_id(), now)
    if bulk and not dry_run and len(entries) == cfg.claim_size >= cfg.bulk_threshold \
            and cfg.bulk_claim_size > cfg.claim_size:
        entries += outbox.claim(db, local, cfg.bulk_claim_size - cfg.claim_size, outbox.worker_id(), now)
    by_record: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        by_record[e["record_id"]].append(e)
    if by_record:
        for e in outbox.failed_for(db, local, list(by_record)):
            by_record[e["record_id"]].append(e)
    return by_record


def entry_ids(by_record: dict[int, list[dict[str, Any]]], rids) -> list[int]:
    return [e["id"] for rid in rids for e in by_record[rid]]


def error_row(local: str, rid: int, target: tuple[str, str | None], err: ErrorDetail) -> dict[str, Any]:
    return {"object": local, "record_id": rid, "crm_object": target[0], "crm_id": target[1],
            "error_class": error_class(err.code), "code": err.code, "message": err.message,
            "fields": list(err.fields), "fix": suggest_fix(err)}


def hold(ws: "Workspace", local: str, rids: list[int], by_record, why: str, now: datetime) -> None:
    """Records waiting for a record they refer to (e.g. a Contact's company not in the CRM yet): sent
    whole once it is there, never half-linked; looked at again next cycle, without using up attempts."""
    _unsent(ws, entry_ids(by_record, rids), f"waiting: {why}", now)
    sync_state.log(ws.db, [{"direction": "push", "object": local, "record_id": rid, "status": "waiting",
                            "result": {"waiting": why}} for rid in rids])


def wait(ws: "Workspace", ids: list[int], why: str, now: datetime) -> None:
    """Back to pending with backoff, counted as an attempt."""
    cfg = ws.config.sync
    dead = outbox.retry(ws.db, ids, why, base=cfg.backoff_seconds, cap=cfg.backoff_cap_seconds,
                        max_attempts=cfg.max_attempts, jitter=lambda: random.random() * 0.5, now=now)
    if dead:
        alerts.emit(ws, "dead_letters", "error", f"{dead} outbox entries gave up after "
                    f"{cfg.max_attempts} attempts: {why}")


SETTLE_EVERY = 2000  # records of collection calls settled together (one write of their CRM links)


def send(ws: "Workspace", crm: Connector, local: str, plans: Plans, by_record, stats: PushStats,
         now: datetime, external_id: str, bases: dict[int, tuple[str, dict[str, Any], bool]] | None = None
         ) -> list[tuple[int, str]]:
    """Send each call's records and settle every result: a failed call never takes the calls that
    succeeded with it. Returns the records newly linked to a CRM id. `bases`: per record, (CRM
    object, the values both systems hold once its push succeeds, whether that is its whole sync
    base: a first push), stored as its sync base.

    Results of consecutive collection calls are settled together, up to SETTLE_EVERY records (one
    write of their CRM links instead of one per 200 records); until then their entries stay in
    flight, so after a crash they are sent again (an upsert by external id, or an update by Id,
    repeats harmlessly). A call whose results carry a configuration or limit error is settled at
    once (the sync pauses, or the queue backs off), as when every call was settled on its own."""
    cfg, db = ws.config.sync, ws.db
    caps = crm.capabilities
    linked: list[tuple[int, str]] = []
    calls = list(_by_call(plans).items())
    unsettled: list[tuple[tuple[int, dict[str, Any]], SaveResult]] = []

    def later(n: int, items, first: int) -> list[int]:
        """Entries of the records not sent yet: this call's from `first` on, and every later call's."""
        rids = [rid for rid, _ in items[first:]] + [rid for _, its in calls[n + 1:] for rid, _ in its]
        return entry_ids(by_record, rids)

    def settle(obj: str) -> ErrorDetail | None:
        """Store the results received so far; returns the first configuration error among them."""
        if not unsettled:
            return None
        done = [item for item, _ in unsettled]
        results = [res for _, res in unsettled]
        unsettled.clear()
        config_error = _apply_results(ws, crm, local, obj, done, results, by_record, stats, now, linked)
        if bases:
            ok = [rid for (rid, _), r in zip(done, results) if r.ok and rid in bases]
            for whole in (True, False):
                sync_state.save_bases(db, local, {rid: bases[rid][:2] for rid in ok if bases[rid][2] is whole},
                                      replace=whole)
        return config_error

    for n, ((obj, kind), items) in enumerate(calls):
        size = len(items) if caps.bulk and len(items) >= caps.bulk_threshold else caps.batch_size
        for start in range(0, len(items), size):
            chunk = items[start:start + size]
            ids = entry_ids(by_record, [rid for rid, _ in chunk])
            try:
                if kind == "new":
                    results = crm.upsert(obj, [p for _, p in chunk], external_id=external_id)
                else:
                    results = crm.update(obj, [p for _, p in chunk])
            except CrmConfigError:
                settle(obj)  # what earlier calls did is kept
                # this and every later chunk back to pending untouched; the engine pauses the sync
                _unsent(ws, later(n, items, start), "sync paused", now)
                raise
            except CrmError as exc:
                config_error = settle(obj)
                if config_error is not None:
                    _unsent(ws, later(n, items, start), "sync paused", now)
                    raise _paused(config_error) from None
                if error_class(exc.code or "") != "backoff":
                    _retry(ws, ids, str(exc), now, stats, len(chunk))
                    continue
                # the whole queue waits; a chunk refused for the budget was never sent: no attempt counted
                sent = exc.code != BUDGET_CODE
                if sent:
                    _retry(ws, ids, str(exc), now, stats, len(chunk))
                queue_backoff(ws, exc, now)
                _unsent(ws, later(n, items, start + (size if sent else 0)), str(exc), now)
                raise QueueBackoff(exc) from None
            unsettled.extend(zip(chunk, results))
            last = start + size >= len(items)
            if last or len(unsettled) >= SETTLE_EVERY or any(_stops(r) for r in results):
                config_error = settle(obj)
                if config_error is not None:  # e.g. INVALID_FIELD per record: the mapping is wrong for everyone
                    _unsent(ws, later(n, items, start + size), "sync paused", now)
                    raise _paused(config_error)
    return linked


def _stops(res: SaveResult) -> bool:
    """A record's error to act on at once (configuration: the sync pauses; a limit: the queue backs off)."""
    return not res.ok and bool(res.errors) and error_class(res.errors[0].code) in ("config", "backoff")


def _paused(err: ErrorDetail) -> CrmConfigError:
    return CrmConfigError(f"{err.code}: {err.message}", code=err.code, fields=list(err.fields))


def _by_call(plans: Plans) -> dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]:
    calls: dict[tuple[str, str], list] = defaultdict(list)
    for (obj, crm_id), items in plans.items():
        calls[(obj, "new" if crm_id is None else "existing")] += items
    return calls


def _unsent(ws: "Workspace", ids: list[int], why: str, now: datetime) -> None:
    """Back to pending at once, not counted as an attempt (the records were never sent)."""
    cfg = ws.config.sync
    outbox.retry(ws.db, ids, why, base=cfg.backoff_seconds, cap=cfg.backoff_cap_seconds,
                 max_attempts=cfg.max_attempts, jitter=0, now=now, count_attempt=False)


def _retry(ws, ids, error, now, stats, n) -> None:
    wait(ws, ids, error, now)
    stats.retried += n


def _apply_results(ws: "Workspace", crm: Connector, local: str, obj: str, items, results: list[SaveResult],
                   by_record, stats, now, linked: list[tuple[int, str]]) -> ErrorDetail | None:
    """Settle one call's results; returns the first configuration error (those records wait, unsent)."""
    db = ws.db
    ok_ids, transient, links, ok_records, log, errors = [], [], [], [], [], []
    config_ids: list[int] = []
    config_error: ErrorDetail | None = None
    converted: list[int] = []
    converted_ids: list[int] = []
    limited: CrmError | None = None
    for (rid, payload), res in zip(items, results):
        ids = [e["id"] for e in by_record[rid]]
        entry = {"direction": "push", "object": local, "record_id": rid, "crm_object": obj,
                 "crm_id": res.id or payload.get("Id"), "payload": payload}
        if res.ok:
            ok_ids += ids
            ok_records.append(rid)
            stats.pushed += 1
            if "Id" not in payload and res.id:
                links.append(Change({}, id=rid, crm_id=res.id, crm_object=obj))
                linked.append((rid, res.id))
            log.append({**entry, "status": "ok", "result": {"created": res.created}})
            continue
        err = res.errors[0] if res.errors else ErrorDetail("UNKNOWN", "no error given")
        kind = error_class(err.code)
        log.append({**entry, "status": "retry" if kind == "transient" else "failed", "error_code": err.code,
                    "result": [e.__dict__ for e in res.errors]})
        if kind in ("transient", "backoff"):
            transient += ids
            limited = limited or (CrmError(err.message, code=err.code) if kind == "backoff" else None)
            continue
        if kind == "config":
            config_ids += ids
            config_error = config_error or err
            errors.append(error_row(local, rid, (obj, payload.get("Id")), err))
            continue
        if err.code == "CANNOT_UPDATE_CONVERTED_LEAD":
            converted.append(rid)
            converted_ids += ids
            continue
        stats.failed += 1
        errors.append(error_row(local, rid, (obj, payload.get("Id")), err))
        outbox.fail(db, ids, f"{err.code}: {err.message}")
    if links:  # before the entries are done: a crash between the two re-sends them, never leaves them unlinked
        ws.write(links, Source(SourceKind.CRM, "push link"), obj=local)
    outbox.complete(db, ok_ids)
    sync_state.clear_errors(db, local, ok_records)
    sync_state.record_errors(db, errors)
    sync_state.log(db, log)
    if transient:
        _retry(ws, transient, "transient CRM error", now, stats, len(transient))
    if limited is not None:
        queue_backoff(ws, limited, now)
    if config_ids:
        _unsent(ws, config_ids, f"sync paused: {config_error.code}", now)
    if converted:
        from leadbridge.sync.pull import relink_converted
        relink_converted(ws, crm, converted)
        _unsent(ws, converted_ids, "lead converted: re-linked to the contact", now)  # re-sent at once, to the Contact
    return config_error
