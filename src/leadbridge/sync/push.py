"""Push: drain the outbox in batches, coalesced per person, filtered, upserted, every result kept."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from leadbridge.crm.classify import error_class, suggest_fix
from leadbridge.crm.protocol import Connector, ErrorDetail, SaveResult
from leadbridge.errors import CrmConfigError, CrmError, CrmTransientError
from leadbridge.model import where as w
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.model.policies import FieldRule
from leadbridge.store import outbox, sync_state
from leadbridge.sync.mapping import to_crm

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


@dataclass
class PushStats:
    pushed: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0
    dry_run: list[dict[str, Any]] = field(default_factory=list)


def owner_map(ws: "Workspace", system: str) -> dict[int, str]:
    """Local user id → CRM user id, from the crosswalk (users are linked by email on pull)."""
    links = sync_state.active_links(ws.db, "user", [u["id"] for u in ws.list("user", limit=None)])
    return {uid: ls[0][1] for uid, ls in links.items() if ls}


def push(ws: "Workspace", crm: Connector, *, dry_run: bool = False, now: datetime | None = None) -> PushStats:
    """One push: claim due outbox entries, send their records, store every result."""
    cfg, db = ws.config.sync, ws.db
    now = now or datetime.now(timezone.utc)
    stats = PushStats()
    entries = outbox.claim(db, "person", cfg.claim_size, outbox.worker_id(), now) if not dry_run \
        else _peek(ws, cfg.claim_size)
    if not entries:
        return stats
    by_record: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        by_record[e["record_id"]].append(e)
    for e in outbox.failed_for(db, "person", list(by_record)):  # data errors re-sent with the next change
        by_record[e["record_id"]].append(e)
    records = {r["id"]: r for r in ws.list("person", f"id in ({','.join(map(str, by_record))})",
                                           include_merged=True, limit=None)} if by_record else {}
    sync_filter = w.parse(cfg.filter)
    links = sync_state.active_links(db, "person", list(by_record))
    owners = owner_map(ws, "salesforce")
    held = _held(ws)
    never_synced = {f for f in {*cfg.lead.fields, *cfg.contact.fields}
                    if ws.config.policy("person", f).rule is FieldRule.NONE}
    plans: dict[tuple[str, str | None], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    done_ids, skip_ids, log, errors = [], [], [], []
    for rid, group in by_record.items():
        ids = [e["id"] for e in group]
        rec = records.get(rid)
        if rec is None or rec.get("merged_into_id") or not w.evaluate(sync_filter, rec, now):
            why = "merged away" if rec and rec.get("merged_into_id") else "no such person" if rec is None \
                else f"sync filter: {cfg.filter}"
            skip_ids += ids
            stats.skipped += 1
            log.append({"direction": "push", "object": "person", "record_id": rid, "status": "skipped",
                        "result": {"reason": why}})
            continue
        fields = set().union(*(json.loads(e["fields"]) for e in group))
        target = _target(links.get(rid, []))
        if target[1] is None and rid in held:  # pushing would re-create the record the CRM merged away
            stats.failed += 1
            if not dry_run:
                outbox.fail(db, ids, f"CRM_MERGED: {held[rid]['message']}")
            log.append({"direction": "push", "object": "person", "record_id": rid, "status": "failed",
                        "error_code": "CRM_MERGED", "result": {"message": held[rid]["message"]}})
            continue
        mapping = cfg.contact if target[0] == "Contact" else cfg.lead
        payload, problems = to_crm(rec, None if target[1] is None else fields, mapping, owners,
                                   skip=never_synced)
        if problems:
            err = ErrorDetail("UNMAPPED_OWNER", problems[0], ("OwnerId",))
            errors.append(_error_row(rid, target, err))
            stats.failed += 1
            if not dry_run:
                outbox.fail(db, ids, f"UNMAPPED_OWNER: {problems[0]}")
            log.append({"direction": "push", "object": "person", "record_id": rid, "status": "failed",
                        "error_code": "UNMAPPED_OWNER", "payload": payload, "result": problems})
            continue
        if not payload and target[1] is not None:
            done_ids += ids  # nothing mapped changed (e.g. only marketing-only fields)
            continue
        if target[1] is None:
            payload[cfg.external_id_field] = str(rid)
        else:
            payload["Id"] = target[1]
        plans[target].append((rid, payload))
        for e in group:
            e["_rid"] = rid
    if dry_run:
        stats.dry_run = [{"person": rid, "crm_object": t[0], "crm_id": t[1] or "(new, by external id)",
                          "fields": p} for t, ps in plans.items() for rid, p in ps]
        return stats
    outbox.complete(db, done_ids)
    outbox.complete(db, skip_ids, state="skipped")
    sync_state.log(db, log)
    sync_state.record_errors(db, errors)
    _send(ws, crm, plans, by_record, stats, now)
    return stats


def _held(ws: "Workspace") -> dict[int, dict[str, Any]]:
    """People held after a CRM merge until dedupe merges them locally (then the hold is released)."""
    held = {e["record_id"]: e for e in sync_state.open_errors(ws.db, "CRM_MERGED")}
    if held:
        merged = [r["id"] for r in ws.list("person", f"id in ({','.join(map(str, held))})", include_merged=True,
                                           limit=None, columns=["id", "merged_into_id"]) if r["merged_into_id"]]
        sync_state.clear_errors(ws.db, "person", merged)
        for rid in merged:
            del held[rid]
    return held


def _peek(ws: "Workspace", limit: int) -> list[dict[str, Any]]:
    import sqlalchemy as sa
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t).where(t.c.object == "person", t.c.state == "pending")
                                              .order_by(t.c.id).limit(limit)).mappings()]


def _target(links: list[tuple[str, str]]) -> tuple[str, str | None]:
    for obj in ("Contact", "Lead"):
        for co, cid in links:
            if co == obj:
                return co, cid
    return "Lead", None


def _error_row(rid: int, target: tuple[str, str | None], err: ErrorDetail) -> dict[str, Any]:
    return {"object": "person", "record_id": rid, "crm_object": target[0], "crm_id": target[1],
            "error_class": error_class(err.code), "code": err.code, "message": err.message,
            "fields": list(err.fields), "fix": suggest_fix(err)}


def _send(ws: "Workspace", crm: Connector, plans, by_record, stats: PushStats, now: datetime) -> None:
    """Send each call's records (a Bulk job above the threshold, else 200-record collections), settling
    every chunk on its own: a failed chunk never takes the chunks that succeeded with it."""
    cfg, db = ws.config.sync, ws.db
    caps = crm.capabilities
    for (obj, kind), items in _by_call(plans).items():
        size = len(items) if caps.bulk and len(items) >= caps.bulk_threshold else caps.batch_size
        for start in range(0, len(items), size):
            chunk = items[start:start + size]
            ids = [e["id"] for rid, _ in chunk for e in by_record[rid]]
            try:
                if kind == "new":
                    results = crm.upsert(obj, [p for _, p in chunk], external_id=cfg.external_id_field)
                else:
                    results = crm.update(obj, [p for _, p in chunk])
            except CrmConfigError:
                # this and every later chunk back to pending untouched; the engine pauses the sync
                rest = [e["id"] for rid, _ in items[start:] for e in by_record[rid]]
                outbox.retry(db, rest, "sync paused", base=cfg.backoff_seconds, cap=cfg.backoff_cap_seconds,
                             max_attempts=cfg.max_attempts, jitter=0, now=now, count_attempt=False)
                raise
            except CrmError as exc:
                _retry(ws, ids, str(exc), now, stats, len(chunk))
                if exc.code == "REQUEST_LIMIT_EXCEEDED":
                    until = now + timedelta(seconds=cfg.limit_backoff_seconds)
                    sync_state.set_state(db, "backoff_until", until.isoformat())
                    sync_state.add_alert(db, "api_limit", "warning", f"CRM API limit reached: sync waits ({exc})")
                    rest = [e["id"] for rid, _ in items[start + size:] for e in by_record[rid]]
                    outbox.retry(db, rest, str(exc), base=cfg.backoff_seconds, cap=cfg.backoff_cap_seconds,
                                 max_attempts=cfg.max_attempts, jitter=0, now=now, count_attempt=False)
                    return
                continue
            config_error = _apply_results(ws, crm, obj, chunk, results, by_record, stats, now)
            if config_error is not None:  # e.g. INVALID_FIELD per record: the mapping is wrong for everyone
                rest = [e["id"] for rid, _ in items[start + size:] for e in by_record[rid]]
                outbox.retry(db, rest, "sync paused", base=cfg.backoff_seconds, cap=cfg.backoff_cap_seconds,
                             max_attempts=cfg.max_attempts, jitter=0, now=now, count_attempt=False)
                raise CrmConfigError(f"{config_error.code}: {config_error.message}", code=config_error.code,
                                     fields=list(config_error.fields))


def _by_call(plans) -> dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]:
    calls: dict[tuple[str, str], list] = defaultdict(list)
    for (obj, crm_id), items in plans.items():
        calls[(obj, "new" if crm_id is None else "existing")] += items
    return calls


def _retry(ws, ids, error, now, stats, n) -> None:
    cfg = ws.config.sync
    dead = outbox.retry(ws.db, ids, error, base=cfg.backoff_seconds, cap=cfg.backoff_cap_seconds,
                        max_attempts=cfg.max_attempts, jitter=random.random() * 0.5, now=now)
    stats.retried += n
    if dead:
        sync_state.add_alert(ws.db, "dead_letters", "error", f"{dead} outbox entries gave up after "
                             f"{cfg.max_attempts} attempts: {error}")


def _apply_results(ws: "Workspace", crm: Connector, obj: str, items, results: list[SaveResult], by_record, stats,
                   now) -> ErrorDetail | None:
    """Settle one call's results; returns the first configuration error (those records wait, unsent)."""
    db = ws.db
    ok_ids, transient, links, ok_records, log, errors = [], [], [], [], [], []
    config_ids: list[int] = []
    config_error: ErrorDetail | None = None
    converted: list[int] = []
    converted_ids: list[int] = []
    for (rid, payload), res in zip(items, results):
        ids = [e["id"] for e in by_record[rid]]
        entry = {"direction": "push", "object": "person", "record_id": rid, "crm_object": obj,
                 "crm_id": res.id or payload.get("Id"), "payload": payload}
        if res.ok:
            ok_ids += ids
            ok_records.append(rid)
            stats.pushed += 1
            if "Id" not in payload and res.id:
                links.append(Change({}, id=rid, crm_id=res.id, crm_object=obj))
            log.append({**entry, "status": "ok", "result": {"created": res.created}})
            continue
        err = res.errors[0] if res.errors else ErrorDetail("UNKNOWN", "no error given")
        kind = error_class(err.code)
        log.append({**entry, "status": "retry" if kind == "transient" else "failed", "error_code": err.code,
                    "result": [e.__dict__ for e in res.errors]})
        if kind == "transient":
            transient += ids
            continue
        if kind == "config":
            config_ids += ids
            config_error = config_error or err
            errors.append(_error_row(rid, (obj, payload.get("Id")), err))
            continue
        if err.code == "CANNOT_UPDATE_CONVERTED_LEAD":
            converted.append(rid)
            converted_ids += ids
            continue
        stats.failed += 1
        errors.append(_error_row(rid, (obj, payload.get("Id")), err))
        outbox.fail(db, ids, f"{err.code}: {err.message}")
    outbox.complete(db, ok_ids)
    if links:
        ws.write(links, Source(SourceKind.CRM, "push link"))
    sync_state.clear_errors(db, "person", ok_records)
    sync_state.record_errors(db, errors)
    sync_state.log(db, log)
    if transient:
        _retry(ws, transient, "transient CRM error", now, stats, len(transient))
    if config_ids:
        cfg = ws.config.sync
        outbox.retry(db, config_ids, f"sync paused: {config_error.code}", base=cfg.backoff_seconds,
                     cap=cfg.backoff_cap_seconds, max_attempts=cfg.max_attempts, jitter=0, now=now,
                     count_attempt=False)
    if converted:
        from leadbridge.sync.pull import relink_converted
        relink_converted(ws, crm, converted)
        cfg = ws.config.sync  # re-send at once, now to the Contact
        outbox.retry(db, converted_ids, "lead converted: re-linked to the contact", base=cfg.backoff_seconds,
                     cap=cfg.backoff_cap_seconds, max_attempts=cfg.max_attempts, jitter=0, now=now,
                     count_attempt=False)
    return config_error
