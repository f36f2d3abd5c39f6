"""Identity resolution for a batch: internal id, then CRM id (crosswalk), then match key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from leadbridge.errors import CoercionError
from leadbridge.model.changes import Change
from leadbridge.model.objects import ObjectDef
from leadbridge.store import records
from leadbridge.store.database import Database
from leadbridge.writepath.item import PendingItem
from leadbridge.writepath.keys import DERIVED_KEYS


def match_key(obj: ObjectDef, change: Change) -> tuple[str, ...] | None:
    """The first match-key tuple of `obj` computable from the change, or None."""
    match, values = change.match or {}, change.values

    def get(name: str) -> Any:
        return match[name] if name in match else values.get(name)

    for columns in obj.match_keys:
        key: list[Any] = []
        for col in columns:
            derived = DERIVED_KEYS.get((obj.name, col))
            value = derived[1](get(derived[0])) if derived else get(col)
            if value is None and derived and col in match:
                value = match[col]
            if value is None:
                break
            if not derived:
                try:
                    value = obj.field(col).coerce(value)
                except CoercionError:
                    break
            key.append(value)
        else:
            return tuple(key)
    return None


@dataclass
class Lookup:
    """What identity resolution read for a batch: CRM links, the record each match key leads to, and
    every record row read. A batch prepared outside the write lock is committed only if a fresh
    lookup under the lock equals this one (see `WritePipeline`)."""

    links: dict[tuple[str, str], int] = field(default_factory=dict)
    key_ids: dict[tuple, int] = field(default_factory=dict)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)


def change_keys(obj: ObjectDef, changes: list[Change]) -> dict[int, tuple | None]:
    """The match key of each change without an id, by position in `changes`."""
    derived = DERIVED_KEYS.get((obj.name, obj.match_keys[0][0])) if len(obj.match_keys) == 1 else None
    if derived and len(obj.match_keys[0]) == 1:  # one derived key column (a person's email_key): the common case
        src, fn = derived
        return {i: match_key(obj, c) if c.match else (None if (k := fn(c.values.get(src))) is None else (k,))
                for i, c in enumerate(changes) if c.id is None}
    return {i: match_key(obj, c) for i, c in enumerate(changes) if c.id is None}


def look_up(conn: sa.Connection, db: Database, obj: ObjectDef, changes: list[Change],
            keys: dict[int, tuple | None], system: str) -> Lookup:
    """Read what `changes` lead to: records by id, by CRM id (the crosswalk) and by match key."""
    table = db.object_table(obj.name)
    ids = [c.id for c in changes if c.id is not None]
    crm_ids = [c.crm_id for c in changes if c.crm_id]
    rows = records.fetch_by_ids(conn, table, ids) if ids else {}
    links = records.fetch_links(conn, db, system, None, crm_ids) if crm_ids else {}
    linked_ids = [rid for rid in set(links.values()) if rid not in rows]
    if linked_ids:
        rows.update(records.fetch_by_ids(conn, table, linked_ids))
    key_ids: dict[tuple, int] = {}
    if obj.match_keys:
        wanted = [k for k in set(keys.values()) if k is not None]
        # a key held only by a merged-away record leads to its winner: duplicates don't come back
        by_key = records.fetch_by_key(conn, table, obj.match_keys[0], wanted, live_only=False)
        records.follow_merges(conn, table, by_key)
        for key, row in by_key.items():
            key_ids[key] = row["id"]
            rows.setdefault(row["id"], row)
    return Lookup(links, key_ids, rows)


def resolve(conn: sa.Connection, db: Database, obj: ObjectDef, changes: list[Change], offset: int,
            system: str) -> tuple[list[PendingItem], dict[int, PendingItem], Lookup]:
    """PendingItems for `changes`; the second value maps follow-up indexes to their primary item;
    the third is what was read (`Lookup`).

    A change that resolves to a record already claimed by an earlier change in the
    same batch is applied on top of it (the batch never writes one record twice).
    """
    keys = change_keys(obj, changes)
    lookup = look_up(conn, db, obj, changes, keys, system)
    rows, links = lookup.rows, lookup.links
    by_key = {k: rows[rid] for k, rid in lookup.key_ids.items()}
    by_id = rows
    items: list[PendingItem] = []
    follow: dict[int, PendingItem] = {}
    claimed: dict[Any, PendingItem] = {}
    for i, change in enumerate(changes):
        existing, claim, link = None, None, None
        if change.id is not None:
            existing = by_id.get(change.id)
            claim = ("id", change.id)
            if existing is None:
                item = PendingItem(offset + i, change, None, {})
                item.reasons.append(f"no {obj.name} with id {change.id}")
                items.append(item)
                continue
            if change.crm_id:
                linked = links.get((change.crm_object or "", change.crm_id)) or links.get(("", change.crm_id))
                if linked is None:
                    link = (change.crm_object or obj.name, change.crm_id)
        else:
            if change.crm_id:
                rid = links.get((change.crm_object or "", change.crm_id)) or links.get(("", change.crm_id))
                if rid is not None and rid in by_id:
                    existing, claim = by_id[rid], ("id", rid)
                else:
                    link = (change.crm_object or obj.name, change.crm_id)
            key = keys.get(i)
            if existing is None and key is not None and key in by_key:
                existing = by_key[key]
                claim = ("id", existing["id"])
            if claim is None:
                claim = ("key", key) if key is not None else ("crm", change.crm_id) if change.crm_id else None
        if claim is not None and claim in claimed:
            primary = claimed[claim]
            follow[offset + i] = primary
            if link and link not in primary.links:
                primary.links.append(link)
            continue
        if existing is None and not change.create:
            item = PendingItem(offset + i, change, None, {})
            item.reasons.append(f"no matching {obj.name} (this change only updates)")
            items.append(item)
            continue
        item = PendingItem(offset + i, change, existing, dict(existing) if existing else {},
                           id=existing["id"] if existing else None)
        if link:
            item.links.append(link)
        if claim is not None:
            claimed[claim] = item
            if existing is not None and key_of(obj, existing) is not None:
                claimed.setdefault(("key", key_of(obj, existing)), item)
        items.append(item)
    return items, follow, lookup


def key_of(obj: ObjectDef, row: dict[str, Any]) -> tuple | None:
    if not obj.match_keys:
        return None
    values = tuple(row.get(c) for c in obj.match_keys[0])
    return None if any(v is None for v in values) else values
