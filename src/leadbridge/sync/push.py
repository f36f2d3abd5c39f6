"""Push: drain the outbox in batches, coalesced per record, filtered, upserted, every result kept.

One push sends, in this order, companies (Account), campaigns (Campaign), people (Lead until
converted, then Contact) and campaign members, so that every reference a record carries
(Contact.AccountId, CampaignMember.CampaignId/LeadId/ContactId) is already in the CRM.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from leadbridge.crm.protocol import Connector, ErrorDetail
from leadbridge.model import where as w
from leadbridge.model.policies import FieldRule
from leadbridge.store import outbox, query, sync_state
from leadbridge.sync.base import pushed_values
from leadbridge.sync.mapping import crm_ids_of, to_crm
from leadbridge.sync.send import PushStats, QueueBackoff, error_row, hold, owner_map, send, take

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

PUSH_ORDER = ("company", "campaign", "person", "campaign_member")

__all__ = ["PUSH_ORDER", "PushStats", "push"]


def push(ws: "Workspace", crm: Connector, *, dry_run: bool = False, now: datetime | None = None) -> PushStats:
    """One push of every synced object, references first."""
    from leadbridge.sync.push_related import push_object
    now = now or datetime.now(timezone.utc)
    stats = PushStats()
    for local in PUSH_ORDER:
        before = stats.totals()
        try:
            if local == "person":
                _push_people(ws, crm, stats, dry_run, now)
            else:
                push_object(ws, crm, local, stats, dry_run=dry_run, now=now)
        except QueueBackoff as exc:  # a limit: the rest waits (the engine reports it)
            stats.settle(local, before)
            exc.stats = stats
            raise
        stats.settle(local, before)
    return stats


def _push_people(ws: "Workspace", crm: Connector, stats: PushStats, dry_run: bool, now: datetime) -> None:
    """Claim due person entries, send their records, store every result."""
    cfg, db = ws.config.sync, ws.db
    by_record = take(ws, "person", dry_run, now, bulk=crm.capabilities.bulk)
    if not by_record:
        return
    sync_filter = w.parse(cfg.filter)
    # what this push reads of a record: its mapped fields, the filter's, its company and merge state
    table = db.object_table("person")
    used = {"merged_into_id", "company_id", *cfg.lead.fields, *cfg.contact.fields, *w.fields_used(sync_filter)}
    records = query.records_by_id(db, "person", list(by_record), columns=[c for c in table.c.keys() if c in used])
    links = sync_state.active_links(db, "person", list(by_record))
    owners = owner_map(ws)
    companies = crm_ids_of(db, "company", "Account", [r.get("company_id") for r in records.values()])
    held = _held(ws)
    never_synced = {f for f in {*cfg.lead.fields, *cfg.contact.fields}
                    if ws.config.policy("person", f).rule is FieldRule.NONE}
    plans: dict[tuple[str, str | None], list[tuple[int, dict[str, Any]]]] = {}
    done_ids, skip_ids, log, errors = [], [], [], []
    waiting: dict[str, list[int]] = {}
    bases: dict[int, tuple[str, dict[str, Any], bool]] = {}  # what each record's push makes both hold
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
        out = to_crm(rec, None if target[1] is None else fields, mapping, owners, skip=never_synced,
                     refs={"company_id": companies})
        payload = out.payload
        if out.problems:
            err = ErrorDetail("UNMAPPED_OWNER", out.problems[0], ("OwnerId",))
            errors.append(error_row("person", rid, target, err))
            stats.failed += 1
            if not dry_run:
                outbox.fail(db, ids, f"UNMAPPED_OWNER: {out.problems[0]}")
            log.append({"direction": "push", "object": "person", "record_id": rid, "status": "failed",
                        "error_code": "UNMAPPED_OWNER", "payload": payload, "result": out.problems})
            continue
        if out.deferred:  # its company is not in the CRM yet (its push failed): sent whole once it is
            waiting.setdefault(out.deferred[0], []).append(rid)
            continue
        if not payload and target[1] is not None:
            done_ids += ids  # nothing mapped changed (e.g. only marketing-only fields)
            continue
        if target[1] is None:
            payload[cfg.external_id_field] = str(rid)
        else:
            payload["Id"] = target[1]
        plans.setdefault(target, []).append((rid, payload))
        bases[rid] = (target[0], pushed_values(rec, payload, mapping), target[1] is None)
    if dry_run:
        stats.dry_run += [{"object": "person", "record": rid, "crm_object": t[0],
                           "crm_id": t[1] or "(new, by external id)", "fields": p}
                          for t, ps in plans.items() for rid, p in ps]
        return
    outbox.complete(db, done_ids)
    outbox.complete(db, skip_ids, state="skipped")
    sync_state.log(db, log)
    sync_state.record_errors(db, errors)
    for why, rids in waiting.items():
        hold(ws, "person", rids, by_record, why, now)
    send(ws, crm, "person", plans, by_record, stats, now, cfg.external_id_field, bases=bases)


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


def _target(links: list[tuple[str, str]]) -> tuple[str, str | None]:
    for obj in ("Contact", "Lead"):
        for co, cid in links:
            if co == obj:
                return co, cid
    return "Lead", None
