"""Pull of the objects around people: Account → company, Campaign, Opportunity and CampaignMember.

Each is read since its own cursor and written through the one door (source crm), so field rules,
history and the crosswalk apply as for people. References (company_id, campaign_id) are followed
through the crosswalk, owners through the user mapping; a campaign member's person is the one linked
to its ContactId, else its LeadId. Pulled values never make outbox entries (source crm). Companies
and campaigns are pulled before people (a Contact's AccountId then finds its company), opportunities
and members after. A record deleted in the CRM loses its link; the local record stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from leadbridge.crm.protocol import Connector
from leadbridge.crm.salesforce.connector import parse_sf_datetime
from leadbridge.model.changes import Change, Outcome, Source, SourceKind
from leadbridge.store import sync_state
from leadbridge.sync.config import ObjectMapping
from leadbridge.sync.mapping import from_crm, pulled_refs

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

SYSTEM = "salesforce"
MEMBER_PEOPLE = ("ContactId", "LeadId")
DELETED_WINDOW = timedelta(days=29)  # Salesforce keeps deleted ids about 30 days


BEFORE_PEOPLE = ("company", "campaign")  # what people and members refer to is pulled first
AFTER_PEOPLE = ("opportunity", "campaign_member")


def pull_related(ws: "Workspace", crm: Connector, users: dict[str, int], only: tuple[str, ...],
                 now: datetime) -> dict[str, dict[str, int]]:
    """Pull these related objects (those configured and not push-only): changes, then deletions;
    per local object: pulled / created / skipped / failed / deleted."""
    cfg = ws.config.sync
    out: dict[str, dict[str, int]] = {}
    for local in only:
        mapping = cfg.related.get(local)
        if mapping is None or mapping.direction == "push":
            continue
        counts = out.setdefault(local, {"pulled": 0, "unchanged": 0, "created": 0, "skipped": 0, "failed": 0,
                                        "deleted": 0})
        _pull_changes(ws, crm, local, mapping, users, counts)
        counts["deleted"] = _pull_deletes(ws, crm, local, mapping.crm_object, now)
    return out


def _pull_changes(ws: "Workspace", crm: Connector, local: str, mapping: ObjectMapping, users: dict[str, int],
                  counts: dict[str, int]) -> None:
    cfg = ws.config.sync
    obj = mapping.crm_object
    cursor = sync_state.get_cursor(ws.db, obj)
    since = cursor - timedelta(seconds=cfg.overlap_seconds) if cursor else None
    extra = list(MEMBER_PEOPLE) if local == "campaign_member" else []
    records = crm.changed_since(obj, list(dict.fromkeys([*mapping.fields.values(), *extra])), since)
    if not records:
        return
    refs = pulled_refs(ws.db, local, mapping, cfg.related, [r.values for r in records])
    people = {}
    for kind in MEMBER_PEOPLE if local == "campaign_member" else ():
        people.update(sync_state.linked_records(ws.db, SYSTEM, kind.removesuffix("Id"),
                                                [r.values.get(kind) for r in records if r.values.get(kind)]))
    changes, log = [], []
    for rec in records:
        values = from_crm(rec.values, mapping, users, refs)
        if local == "campaign_member":
            person = next((people[rec.values[f]] for f in MEMBER_PEOPLE if rec.values.get(f) in people), None)
            if person is None or values.get("campaign_id") is None:
                counts["skipped"] += 1
                log.append({"direction": "pull", "object": local, "crm_object": obj, "crm_id": rec.id,
                            "status": "skipped", "result": {"reason": "its campaign or person is not linked here"}})
                continue
            values["person_id"] = person
        changes.append(Change(values, crm_id=rec.id, crm_object=obj, ref=rec,
                              occurred_at=parse_sf_datetime(rec.values.get("LastModifiedDate")) or rec.modstamp))
    if changes:
        res = ws.write(changes, Source(SourceKind.CRM, obj), obj=local)
        for item in res.items:
            ok = item.outcome not in (Outcome.REJECTED, Outcome.NOT_FOUND)
            counts["failed" if not ok else "unchanged" if item.outcome is Outcome.UNCHANGED else "pulled"] += 1
            counts["created"] += item.outcome is Outcome.CREATED
            log.append({"direction": "pull", "object": local, "record_id": item.id, "crm_object": obj,
                        "crm_id": item.ref.id, "status": "ok" if ok else "failed",
                        "result": {"outcome": item.outcome.value, "changed": sorted(item.changed),
                                   "ignored": item.ignored, "reasons": item.reasons}})
    sync_state.log(ws.db, log)
    newest = max(r.modstamp for r in records if r.modstamp)
    sync_state.set_cursor(ws.db, obj, max(newest, cursor) if cursor else newest)


def _pull_deletes(ws: "Workspace", crm: Connector, local: str, obj: str, now: datetime) -> int:
    """CRM deletions of linked records: the link is retired (`on_crm_delete: unlink`), the local record
    and its history stay. Returns how many links were retired."""
    since = sync_state.get_cursor(ws.db, obj, "deleted") or now - DELETED_WINDOW
    deleted = dict(crm.deleted_since(obj, max(since, now - DELETED_WINDOW)))
    linked = sync_state.linked_records(ws.db, SYSTEM, obj, list(deleted)) if deleted else {}
    n = 0
    if linked and ws.config.sync.on_crm_delete == "unlink":
        n = sync_state.deactivate_links(ws.db, SYSTEM, obj, list(linked))
        sync_state.log(ws.db, [{"direction": "pull", "object": local, "record_id": rid, "crm_object": obj,
                                "crm_id": cid, "status": "ok", "result": {"deleted_at": deleted[cid]}}
                               for cid, rid in linked.items()])
    sync_state.set_cursor(ws.db, obj, now - timedelta(minutes=5), "deleted")
    return n
