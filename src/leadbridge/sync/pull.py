"""Pull: read what changed in the CRM since the cursor and apply it through the one door (source crm)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from leadbridge.crm.classify import suggest_fix
from leadbridge.crm.protocol import Connector, ErrorDetail
from leadbridge.crm.salesforce.connector import parse_sf_datetime
from leadbridge.model.changes import Change, Outcome, Source, SourceKind
from leadbridge.store import sync_state
from leadbridge.sync import alerts
from leadbridge.sync.base import conflicts, crm_changes, norm
from leadbridge.sync.mapping import from_crm, pulled_refs
from leadbridge.sync.related import AFTER_PEOPLE, BEFORE_PEOPLE, DELETED_WINDOW, pull_related

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

SYSTEM = "salesforce"


@dataclass
class PullStats:
    pulled: int = 0  # records that changed something here
    unchanged: int = 0  # re-read (the overlap window, echoes of our own pushes) with nothing new
    created: int = 0
    converted: int = 0
    deleted: int = 0
    merged: int = 0
    failed: int = 0
    related: dict[str, dict[str, int]] | None = None


def pull_users(ws: "Workspace", crm: Connector) -> dict[str, int]:
    """Link CRM users to local users by email (creating local users for new ones); CRM id → local id."""
    users = [u for u in crm.users() if u.get("Email")]
    changes = [Change({"name": u.get("Name"), "email": u["Email"], "active": bool(u.get("IsActive", True))},
                      crm_id=u["Id"], crm_object="User") for u in users]
    res = ws.write(changes, Source(SourceKind.CRM, "users"), obj="user")
    return {u["Id"]: item.id for u, item in zip(users, res.items) if item.id}


def pull(ws: "Workspace", crm: Connector, now: datetime | None = None) -> PullStats:
    """One pull of Leads and Contacts changed since each cursor (minus the overlap window)."""
    cfg = ws.config.sync
    now = now or datetime.now(timezone.utc)
    stats = PullStats()
    users = pull_users(ws, crm)
    stats.related = pull_related(ws, crm, users, BEFORE_PEOPLE, now)
    for mapping in (cfg.lead, cfg.contact):
        obj = mapping.crm_object
        _pull_deletes(ws, crm, obj, now, stats)  # merges first: a master's person is then found by its link
        cursor = sync_state.get_cursor(ws.db, obj)
        since = cursor - timedelta(seconds=cfg.overlap_seconds) if cursor else None
        extra = [cfg.external_id_field] + (["IsConverted", "ConvertedContactId"] if obj == "Lead" else [])
        records = crm.changed_since(obj, list(dict.fromkeys([*mapping.fields.values(), *extra])), since)
        live = _live_ids(ws, [r.values.get(cfg.external_id_field) for r in records])
        refs = pulled_refs(ws.db, "person", mapping, cfg.related, [r.values for r in records])
        rows, conversions = [], []
        for rec in records:
            if obj == "Lead" and rec.values.get("IsConverted"):
                conversions.append(rec)
                continue
            rows.append((rec, live.get(str(rec.values.get(cfg.external_id_field) or "")),
                         from_crm(rec.values, mapping, users, refs)))
        changes, agreed = _changes(ws, obj, rows)
        if changes:
            res = ws.write(changes, Source(SourceKind.CRM, obj))
            log, bases = [], {}
            for item, (rec, _, values) in zip(res.items, rows):
                ok = item.outcome not in (Outcome.REJECTED, Outcome.NOT_FOUND)
                stats.pulled += ok and item.outcome is not Outcome.UNCHANGED
                stats.unchanged += item.outcome is Outcome.UNCHANGED
                stats.created += item.outcome is Outcome.CREATED
                stats.failed += not ok
                if ok and item.id:  # what both systems now hold becomes the fields' sync base
                    bases[item.id] = (obj, {k: norm(v) for k, v in values.items() if k not in item.ignored})
                log.append({"direction": "pull", "object": "person", "record_id": item.id, "crm_object": obj,
                            "crm_id": rec.id, "status": "ok" if ok else "failed",
                            "payload": {k: v for k, v in rec.values.items() if k in mapping.fields.values()},
                            "result": {"outcome": item.outcome.value, "changed": sorted(item.changed),
                                       "ignored": item.ignored, "reasons": item.reasons,
                                       **({"same_as_base": agreed[rec.id]} if agreed.get(rec.id) else {})}})
            sync_state.log(ws.db, log)
            sync_state.save_bases(ws.db, "person", bases)
        if conversions:
            stats.converted += _apply_conversions(ws, conversions)
        if records:
            newest = max(r.modstamp for r in records if r.modstamp)
            sync_state.set_cursor(ws.db, obj, max(newest, cursor) if cursor else newest)
    stats.related.update(pull_related(ws, crm, users, AFTER_PEOPLE, now))
    return stats


def _changes(ws: "Workspace", obj: str, rows: list[tuple[Any, int | None, dict[str, Any]]]
             ) -> tuple[list[Change], dict[str, list[str]]]:
    """One Change per pulled record with only what the CRM changed since the sync base, and, per CRM
    id, the fields left out as equal to their base. A record whose CRM changes meet no local change
    since the base carries no time (they apply whatever the clocks say); else its LastModifiedDate,
    which latest_wins compares with the local field-history times."""
    linked = sync_state.linked_records(ws.db, SYSTEM, obj, [rec.id for rec, pid, _ in rows if pid is None])
    keys = [pid or linked.get(rec.id) for rec, pid, _ in rows]
    stored = sync_state.get_bases(ws.db, "person", [k for k in keys if k])
    bases = {k: b for k, (co, b) in stored.items() if co == obj}
    diffs = [crm_changes(values, bases.get(key)) for (_, _, values), key in zip(rows, keys)]
    check = sorted({key for key, d in zip(keys, diffs) if key in bases and d})
    local = {r["id"]: r for part in range(0, len(check), 900) for r in ws.list(
        "person", f"id in ({','.join(map(str, check[part:part + 900]))})", include_merged=True, limit=None)}
    changes, agreed = [], {}
    for (rec, pid, values), key, diff in zip(rows, keys, diffs):
        agreed[rec.id] = sorted(set(values) - set(diff))
        plain = key in bases and not conflicts(diff, bases[key], local.get(key))
        at = None if plain else parse_sf_datetime(rec.values.get("LastModifiedDate")) or rec.modstamp
        changes.append(Change(diff, id=pid, crm_id=rec.id, crm_object=obj, occurred_at=at, ref=rec))
    return changes, agreed


def _live_ids(ws: "Workspace", values: list[Any]) -> dict[str, int]:
    """External-id values → the person they name now (following merges)."""
    ids = sorted({int(v) for v in values if v is not None and str(v).isdigit()})
    if not ids:
        return {}
    rows = ws.list("person", f"id in ({','.join(map(str, ids))})", include_merged=True, limit=None,
                   columns=["id", "merged_into_id"])
    out = {}
    for r in rows:
        out[str(r["id"])] = r["merged_into_id"] or r["id"]
    return out


def _apply_conversions(ws: "Workspace", leads) -> int:
    """A converted Lead: link its person to the new Contact and retire the Lead link (never a second person)."""
    from leadbridge.store import records
    changes, lead_ids = [], []
    with ws.db.engine.connect() as conn:
        links = records.fetch_links(conn, ws.db, "salesforce", "Lead", [r.id for r in leads])
    for rec in leads:
        pid = links.get(("Lead", rec.id))
        contact = rec.values.get("ConvertedContactId")
        if pid is None or not contact:
            continue
        changes.append(Change({}, id=pid, crm_id=contact, crm_object="Contact"))
        lead_ids.append(rec.id)
    if changes:
        ws.write(changes, Source(SourceKind.CRM, "lead conversion"))
        sync_state.deactivate_links(ws.db, "salesforce", "Lead", lead_ids)
        sync_state.log(ws.db, [{"direction": "pull", "object": "person", "record_id": c.id, "crm_object": "Contact",
                                "crm_id": c.crm_id, "status": "ok", "result": {"converted_from": lid}}
                               for c, lid in zip(changes, lead_ids)])
    return len(changes)


def relink_converted(ws: "Workspace", crm: Connector, person_ids: list[int]) -> int:
    """After CANNOT_UPDATE_CONVERTED_LEAD: find the Contact the Lead became and link the person to it."""
    links = sync_state.active_links(ws.db, "person", person_ids)
    lead_ids = [cid for ls in links.values() for co, cid in ls if co == "Lead"]
    leads = crm.get("Lead", lead_ids, ["IsConverted", "ConvertedContactId"]) if lead_ids else []
    return _apply_conversions(ws, [r for r in leads if r.values.get("IsConverted")])


def _pull_deletes(ws: "Workspace", crm: Connector, obj: str, now: datetime, stats: PullStats) -> None:
    """CRM deletions of linked records: a merge re-links (or flags local duplicates), a delete unlinks."""
    since = sync_state.get_cursor(ws.db, obj, "deleted") or now - DELETED_WINDOW
    deleted = dict(crm.deleted_since(obj, max(since, now - DELETED_WINDOW)))
    # only ids still linked matter; the overlap re-reads the rest, and they were handled already
    linked = sync_state.linked_records(ws.db, SYSTEM, obj, list(deleted)) if deleted else {}
    masters = crm.merged_into(obj, list(linked)) if linked and crm.capabilities.merge else {}
    if masters:
        stats.merged += _apply_merges(ws, obj, {l: (m, linked[l]) for l, m in masters.items()})
    gone = [d for d in linked if d not in masters]
    if gone and ws.config.sync.on_crm_delete == "unlink":
        sync_state.deactivate_links(ws.db, SYSTEM, obj, gone)
        sync_state.log(ws.db, [{"direction": "pull", "object": "person", "record_id": linked[d], "crm_object": obj,
                                "crm_id": d, "status": "ok", "result": {"deleted_at": deleted[d]}} for d in gone])
        stats.deleted += len(gone)
    sync_state.set_cursor(ws.db, obj, now - timedelta(minutes=5), "deleted")


def _apply_merges(ws: "Workspace", obj: str, merges: dict[str, tuple[str, int]]) -> int:
    """CRM merges (loser id → (master id, local person of the loser)).

    The loser's link is retired. One local person behind both ids: it keeps (or gets) the master's
    link. Two different people: they are duplicates; merging them locally is dedupe's work, so the
    loser's person is held from pushing (it would re-create the record sales just merged away) and
    an alert says which people to merge.
    """
    master_people = sync_state.linked_records(ws.db, SYSTEM, obj, {m for m, _ in merges.values()})
    live = _live_ids(ws, [p for _, p in merges.values()] + list(master_people.values()))
    relinks, log, held = [], [], []
    for loser, (master, pid) in merges.items():
        a = live.get(str(pid), pid)
        b = live.get(str(master_people[master]), master_people[master]) if master in master_people else None
        base = {"direction": "pull", "object": "person", "crm_object": obj, "crm_id": loser, "status": "ok"}
        if b is None or a == b:
            if b is None:
                relinks.append(Change({}, id=a, crm_id=master, crm_object=obj))
            log.append({**base, "record_id": a, "result": {"merged_into": master, "relinked": True}})
            continue
        msg = (f"CRM merged {obj} {loser} into {master}; local people {a} and {b} are duplicates "
               "— run `leadbridge dedupe`")
        alerts.emit(ws, "crm_merge_duplicates", "warning", msg,
                    {"crm_object": obj, "loser": loser, "master": master, "people": [a, b]})
        held.append({"object": "person", "record_id": a, "crm_object": obj, "crm_id": loser, "error_class": "data",
                     "code": "CRM_MERGED", "message": msg, "fields": [],
                     "fix": suggest_fix(ErrorDetail("CRM_MERGED", msg))})
        log += [{**base, "record_id": a, "status": "failed", "error_code": "CRM_MERGED",
                 "result": {"merged_into": master, "duplicate_of": b, "message": msg}},
                {**base, "record_id": b, "crm_id": master, "result": {"absorbed": loser, "duplicate_of": a}}]
    if relinks:
        ws.write(relinks, Source(SourceKind.CRM, "crm merge"))
    sync_state.deactivate_links(ws.db, SYSTEM, obj, list(merges))
    sync_state.record_errors(ws.db, held)
    sync_state.log(ws.db, log)
    return len(merges)
