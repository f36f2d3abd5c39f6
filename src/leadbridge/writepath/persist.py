"""Persistence of a batch: rows, field history, outbox entries and CRM links.

`plan_persist` builds everything from the pending items (the per-record work: diffs, history
JSON, results) and needs no lock; `write_plan` stores it under the write lock, once the ids of
the new records are allocated.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, repeat
from typing import Any

import orjson

from leadbridge.model.changes import CreatedValues, ItemResult, Outcome, Source
from leadbridge.model.objects import ObjectDef
from leadbridge.model.types import to_text
from leadbridge.store import records, texts
from leadbridge.store.database import Database
from leadbridge.writepath.item import PendingItem


_TEXT = {str}


@dataclass(slots=True)
class PersistPlan:
    """What a batch stores. Entries name their PendingItem: a new record's id is known only at `write_plan`."""

    new_items: list[PendingItem]
    created: list[dict[str, Any]]  # the values to insert, one per new item
    updates: list[dict[str, Any]]  # changed columns of existing records (with "id")
    history: list[tuple[PendingItem, str, str]]  # (item, create|update, changes JSON)
    outbox: list[tuple[PendingItem, str]]  # (item, pushed fields JSON)
    links: list[tuple[PendingItem, str, str]]  # (item, CRM object, CRM id)
    results: dict[int, ItemResult]  # by item index
    texts: dict[int, str]  # notes and field lists the rows above refer to by number (store/texts.py)


def plan_persist(obj: ObjectDef, items: list[PendingItem], source: Source, now: datetime) -> PersistPlan:
    """Diff every live item against its stored row and build its history, outbox entry and result."""
    fields = obj.by_name
    outboxing = obj.syncs and not source.kind.is_crm
    plan = PersistPlan([], [], [], [], [], [], {}, {})
    results, history, outbox = plan.results, plan.history, plan.outbox
    pushed_json: dict[frozenset[str], tuple[tuple[str, ...], str]] = {}
    refs = _note_refs(items, plan.texts)

    def pushes(item: PendingItem, res: ItemResult, diff: dict[str, Any]) -> None:
        push = item.push
        pushed = frozenset(push) if push <= diff.keys() else frozenset(push.intersection(diff))
        if pushed:
            encoded = pushed_json.get(pushed)
            if encoded is None:
                names = tuple(sorted(pushed))
                encoded = pushed_json[pushed] = (names, _stored(orjson.dumps(names).decode(), plan.texts))
            res.pushed = encoded[0]
            if outboxing:
                outbox.append((item, encoded[1]))

    iso = now.isoformat()
    for item in items:
        if item.reasons:
            results[item.index] = ItemResult(item.change.ref, Outcome.REJECTED, item.id, reasons=item.reasons,
                                             ignored=item.ignored, flags=item.flags)
            continue
        if item.links:
            plan.links += [(item, co, cid) for co, cid in item.links]
        if item.existing is None:
            record = item.record
            if None in record.values() or not fields.keys() >= record.keys():
                record = {f: v for f, v in record.items() if v is not None and f in fields}
            plan.new_items.append(item)
            plan.created.append(record)
            res = results[item.index] = ItemResult(item.change.ref, Outcome.CREATED, None, CreatedValues(record),
                                                   item.reasons, item.ignored, item.flags)
            # field_times stays NULL for a new record: all its fields date from created_at
            if set(map(type, record.values())) == _TEXT:  # text only, the common case: pairs built in C
                diff = dict(zip(record, zip(repeat(None), record.values())))
            else:
                diff = {f: (None, v if type(v) is str else to_text(v)) for f, v in record.items()}
            for f, note in item.notes.items():
                if f in diff:
                    diff[f] = (None, diff[f][1], refs.get(note, note))
            kind = "create"
        else:
            changed = item.changed_fields()
            res = results[item.index] = ItemResult(item.change.ref, Outcome.UPDATED if changed else Outcome.UNCHANGED,
                                                   item.id, changed, item.reasons, item.ignored, item.flags)
            if not changed:
                continue
            times = field_times(item.existing)
            times.update(dict.fromkeys(changed, iso))
            plan.updates.append({"id": item.id, **{f: new for f, (_, new) in changed.items()},
                                 "updated_at": later_than(item.existing.get("updated_at"), now),
                                 "field_times": json.dumps(times)})
            diff = {f: (to_text(old), to_text(new)) for f, (old, new) in changed.items()}
            for f, note in item.notes.items():
                if f in diff:
                    diff[f] = (*diff[f], refs.get(note, note))
            kind = "update"
        if diff:
            history.append((item, kind, orjson.dumps(diff).decode()))
            pushes(item, res, diff)
    return plan


_STORED_FROM = 24  # characters: a shorter repeated text stays in its rows


def _note_refs(items: list[PendingItem], stored: dict[int, str]) -> dict[str, int]:
    """The notes that several records of the batch share (routing's explanation, the person-source rule,
    the registration stamp…): field history refers to each by number (a quarter of a new person's history
    row, otherwise). Their texts are added to `stored`."""
    counts = Counter(chain.from_iterable(item.notes.values() for item in items if item.notes and not item.reasons))
    refs = {note: texts.text_id(note) for note, n in counts.items() if n > 1 and len(note) >= _STORED_FROM}
    stored.update((ref, note) for note, ref in refs.items())
    return refs


def _stored(text: str, stored: dict[int, str]) -> str:
    """An outbox entry's field list: a long one by number (most entries of a batch share a few lists)."""
    if len(text) < _STORED_FROM:
        return text
    ref = texts.text_id(text)
    stored[ref] = text
    return str(ref)


def write_plan(conn, db: Database, obj: ObjectDef, plan: PersistPlan, source: Source, batch_id: int,
               now: datetime, system: str) -> dict[int, ItemResult]:
    """Insert and update the records, then their history, outbox entries and links; results by item index."""
    texts.save(conn, db, plan.texts)
    for item, rid in zip(plan.new_items, records.insert_new(conn, db.object_table(obj.name), plan.created, now)):
        item.id = rid
        plan.results[item.index].id = rid
    records.update_records(conn, db.object_table(obj.name), plan.updates)
    records.insert_history(conn, db, {"object": obj.name, "batch_id": batch_id, "source": source.kind.value,
                                      "source_detail": source.detail, "actor": source.actor, "changed_at": now},
                           [(item.id, kind, changes) for item, kind, changes in plan.history])
    records.insert_outbox(conn, db, {"object": obj.name, "batch_id": batch_id, "created_at": now},
                          [(item.id, fields) for item, fields in plan.outbox])
    records.insert_links(conn, db, [{"object": obj.name, "record_id": item.id, "system": system, "crm_object": co,
                                     "crm_id": cid, "active": True, "linked_at": now}
                                    for item, co, cid in plan.links])
    return plan.results


def later_than(stamp: datetime | None, now: datetime) -> datetime:
    """A record's new updated_at: `now`, or just after the stored one if that is not earlier (clocks).

    Every change of a record row moves updated_at forward, so it is the row's version: a batch
    prepared outside the write lock checks its rows by it (see writepath.identity.Lookup)."""
    return now if stamp is None or stamp < now else stamp + timedelta(microseconds=1)


def field_times(row: dict[str, Any]) -> dict[str, str]:
    """When each field of a stored row last changed (fields never changed since creation are absent)."""
    raw = row.get("field_times")
    return json.loads(raw) if raw else {}
