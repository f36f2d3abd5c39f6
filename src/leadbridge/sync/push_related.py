"""Push of the objects around people: company → Account, campaign → Campaign, campaign member →
CampaignMember (the `sync.related` mappings whose direction allows it).

The same queue, coalescing, result handling and error classes as people (`send`). New records are
upserted by the external-id field, so a crash between the CRM's answer and the local link never
makes a second Account or Campaign. References go through the crosswalk; a record whose referenced
record is not in the CRM yet waits for it (`hold`) rather than being sent half-linked.

Campaign members need more care, as in Salesforce: their CampaignId, LeadId and ContactId are set
on create only, and one lead or contact is a member of a campaign once. So a new member is first
looked up in the CRM by its person (one query per 200 people): a member already there, made by
sales or by a push whose answer was lost in a crash, is linked and updated instead of created.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadbridge.crm.protocol import Connector, ErrorDetail
from leadbridge.model import where as w
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.model.policies import FieldRule
from leadbridge.store import outbox, sync_state
from leadbridge.sync.config import ObjectMapping
from leadbridge.sync.mapping import CREATE_ONLY, READ_ONLY, crm_ids_of, reference_targets, to_crm
from leadbridge.sync.send import PushStats, Plans, error_row, hold, owner_map, send, take

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

PERSON_LINKS = ("Contact", "Lead")  # a member's person: its Contact once converted, else its Lead


def push_object(ws: "Workspace", crm: Connector, local: str, stats: PushStats, *, dry_run: bool,
                now: datetime) -> None:
    """Claim due entries of one related object and send its records."""
    cfg, db = ws.config.sync, ws.db
    by_record = take(ws, local, dry_run, now, bulk=crm.capabilities.bulk)
    if not by_record:
        return
    mapping = cfg.related.get(local)
    if mapping is None or mapping.direction == "pull":
        if not dry_run:
            why = "not mapped to a CRM object" if mapping is None else "pulled from the CRM only"
            _skip(ws, local, by_record, list(by_record), why, stats)
        return
    records = {r["id"]: r for r in ws.list(local, f"id in ({','.join(map(str, by_record))})", limit=None)}
    plan = _Plan(ws, local, mapping, records, now)
    plans: Plans = {}
    skipped: dict[str, list[int]] = {}
    waiting: dict[str, list[int]] = {}
    done, errors = [], []
    for rid, group in by_record.items():
        rec = records.get(rid)
        why = plan.skip_reason(rec, now)
        if why:
            skipped.setdefault(why, []).append(rid)
            continue
        target_id = plan.links.get(rid)
        fields = set().union(*(json.loads(e["fields"]) for e in group))
        out = to_crm(rec, None if target_id is None else fields, mapping, plan.owners, skip=plan.never,
                     refs=plan.refs)
        payload = {k: v for k, v in out.payload.items() if k not in READ_ONLY.get(mapping.crm_object, ())}
        if out.problems:
            err = ErrorDetail("UNMAPPED_OWNER", out.problems[0], ("OwnerId",))
            errors.append(error_row(local, rid, (mapping.crm_object, target_id), err))
            stats.failed += 1
            if not dry_run:
                outbox.fail(db, [e["id"] for e in group], f"UNMAPPED_OWNER: {out.problems[0]}")
            continue
        if local == "campaign_member" and target_id is None:
            person = plan.person_ref(rec)
            if person is None:
                skipped.setdefault("its person does not sync", []).append(rid)
                continue
            if not person[1] or out.deferred:
                waiting.setdefault(out.deferred[0] if out.deferred else
                                   f"person {rec['person_id']} is not in the CRM yet", []).append(rid)
                continue
            payload[f"{person[0]}Id"] = person[1]
        elif out.deferred:
            waiting.setdefault(out.deferred[0], []).append(rid)
            continue
        if target_id is not None:
            payload = {k: v for k, v in payload.items() if k not in CREATE_ONLY.get(mapping.crm_object, ())}
            if not payload:
                done.append(rid)  # nothing mapped changed
                continue
            payload["Id"] = target_id
        else:
            payload[cfg.external_id_field] = str(rid)
        plans.setdefault((mapping.crm_object, target_id), []).append((rid, payload))
    if dry_run:
        stats.dry_run += [{"object": local, "record": rid, "crm_object": t[0],
                           "crm_id": t[1] or "(new, by external id)", "fields": p}
                          for t, ps in plans.items() for rid, p in ps]
        return
    if local == "campaign_member":
        _adopt_existing_members(ws, crm, plans, plan)
    outbox.complete(db, [e["id"] for rid in done for e in by_record[rid]])
    for why, rids in skipped.items():
        _skip(ws, local, by_record, rids, why, stats)
    for why, rids in waiting.items():
        hold(ws, local, rids, by_record, why, now)
    sync_state.record_errors(db, errors)
    send(ws, crm, local, plans, by_record, stats, now, cfg.external_id_field)


class _Plan:
    """What a batch of one related object needs: its links, owners, references and filter."""

    def __init__(self, ws: "Workspace", local: str, mapping: ObjectMapping, records: dict[int, dict[str, Any]],
                 now: datetime):
        cfg, db = ws.config.sync, ws.db
        self.ws, self.local, self.mapping = ws, local, mapping
        self.links = crm_ids_of(db, local, mapping.crm_object, records)
        self.owners = owner_map(ws)
        self.never = {f for f in mapping.fields if ws.config.policy(local, f).rule is FieldRule.NONE}
        self.filter = w.parse(mapping.filter) if mapping.filter else None
        self.refs = {lf: crm_ids_of(db, ref, crm_obj, [r.get(lf) for r in records.values()])
                     for lf, (ref, crm_obj) in reference_targets(db, local, mapping, cfg.related).items()}
        self.people: dict[int, tuple[str, str | None] | None] = {}
        if local == "campaign_member":
            self._load_people({r["person_id"] for r in records.values() if r.get("person_id")}, now)

    def _load_people(self, ids: set[int], now: datetime) -> None:
        ws, cfg = self.ws, self.ws.config.sync
        if not ids:
            return
        people = ws.list("person", f"id in ({','.join(map(str, sorted(ids)))})", include_merged=True, limit=None)
        links = sync_state.active_links(ws.db, "person", ids)
        flt = w.parse(cfg.filter)
        for p in people:
            if p.get("merged_into_id") or not w.evaluate(flt, p, now):
                self.people[p["id"]] = None
                continue
            found = {co: cid for co, cid in links.get(p["id"], [])}
            self.people[p["id"]] = next(((co, found[co]) for co in PERSON_LINKS if co in found), ("Lead", None))

    def person_ref(self, rec: dict[str, Any]) -> tuple[str, str | None] | None:
        """The member's person in the CRM: (Contact|Lead, id), id None while not pushed, None if it never syncs."""
        return self.people.get(rec.get("person_id"))

    def skip_reason(self, rec: dict[str, Any] | None, now: datetime) -> str | None:
        if rec is None:
            return f"no such {self.local}"
        if self.filter is not None and not w.evaluate(self.filter, rec, now):
            return f"sync filter: {self.mapping.filter}"
        return None


def _adopt_existing_members(ws: "Workspace", crm: Connector, plans: Plans, plan: _Plan) -> None:
    """New members already in the CRM (same campaign and person) are linked and updated, not created."""
    new = plans.get(("CampaignMember", None), [])
    if not new:
        return
    found: dict[tuple[str, str], str] = {}
    for kind in PERSON_LINKS:
        ids = [p[f"{kind}Id"] for _, p in new if p.get(f"{kind}Id")]
        if ids:
            for r in crm.lookup("CampaignMember", f"{kind}Id", ids, ["CampaignId"]):
                found[(r.values.get("CampaignId"), r.values.get(f"{kind}Id"))] = r.id
    keep, adopted, links = [], [], []
    for rid, payload in new:
        person = payload.get("ContactId") or payload.get("LeadId")
        member = found.get((payload.get("CampaignId"), person))
        if member is None:
            keep.append((rid, payload))
            continue
        links.append(Change({}, id=rid, crm_id=member, crm_object="CampaignMember"))
        update = {k: v for k, v in payload.items() if k not in CREATE_ONLY["CampaignMember"]
                  and k != ws.config.sync.external_id_field}
        adopted.append((rid, {**update, "Id": member}))
    if links:
        ws.write(links, Source(SourceKind.CRM, "push link"), obj="campaign_member")
    plans[("CampaignMember", None)] = keep
    for rid, payload in adopted:
        plans.setdefault(("CampaignMember", payload["Id"]), []).append((rid, payload))


def _skip(ws: "Workspace", local: str, by_record, rids: list[int], why: str, stats: PushStats) -> None:
    outbox.complete(ws.db, [e["id"] for rid in rids for e in by_record[rid]], state="skipped")
    sync_state.log(ws.db, [{"direction": "push", "object": local, "record_id": rid, "status": "skipped",
                            "result": {"reason": why}} for rid in rids])
    stats.skipped += len(rids)
