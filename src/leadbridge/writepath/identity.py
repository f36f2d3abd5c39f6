"""Identity resolution for a batch: internal id, then CRM id (crosswalk), then match key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from leadbridge.errors import CoercionError
from leadbridge.model.changes import Change
from leadbridge.model.objects import ObjectDef
from leadbridge.store import records, rows
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
    the version (updated_at, as stored) of every record read; `rows` are those records.

    A batch prepared outside the write lock is committed only if a fresh lookup under the lock
    equals this one. Every change of a record row moves its updated_at forward
    (`persist.later_than`; a merge's re-parenting too), so equal versions mean equal rows."""

    links: dict[tuple[str, str], int] = field(default_factory=dict)
    key_ids: dict[tuple, int] = field(default_factory=dict)
    versions: dict[int, Any] = field(default_factory=dict)
    rows: dict[int, dict[str, Any]] = field(default_factory=dict, compare=False)


def change_keys(obj: ObjectDef, changes: list[Change]) -> dict[int, tuple | None]:
    """The match key of each change without an id, by position in `changes`."""
    if len(obj.match_keys) != 1:
        return {i: match_key(obj, c) for i, c in enumerate(changes) if c.id is None}
    cols = obj.match_keys[0]
    derived = DERIVED_KEYS.get((obj.name, cols[0]))
    if derived and len(cols) == 1:  # one derived key column (a person's email_key): the common case
        src, fn = derived
        return {i: match_key(obj, c) if c.match else (None if (k := fn(c.values.get(src))) is None else (k,))
                for i, c in enumerate(changes) if c.id is None}
    if all(obj.by_name[c].fast_int for c in cols):  # ids (a membership's campaign and person): as they come
        out = {}
        for i, c in enumerate(changes):
            if c.id is None:
                key = None if c.match else tuple(map(c.values.get, cols))
                out[i] = key if key is not None and all(type(v) is int for v in key) else match_key(obj, c)
        return out
    return {i: match_key(obj, c) for i, c in enumerate(changes) if c.id is None}


def look_up(conn: sa.Connection, db: Database, obj: ObjectDef, changes: list[Change],
            keys: dict[int, tuple | None], system: str, whole: bool = True) -> Lookup:
    """Read what `changes` lead to: records by id, by CRM id (the crosswalk) and by match key;
    without `whole`, only their versions (to check a prepared batch).

    A key held only by a merged-away record leads to its winner: duplicates don't come back."""
    table = db.object_table(obj.name)
    ids = {c.id for c in changes if c.id is not None}
    crm_ids = [c.crm_id for c in changes if c.crm_id]
    links = records.fetch_links(conn, db, system, None, crm_ids) if crm_ids else {}
    ids.update(links.values())
    key_ids: dict[tuple, int] = {}
    if obj.match_keys:
        key_ids = records.ids_by_key(conn, table, obj.match_keys[0], [k for k in set(keys.values()) if k is not None])
        ids.update(key_ids.values())
    names = [c.name for c in table.columns]
    columns = None if whole else [n for n in ("id", "updated_at", "merged_into_id") if n in names]
    raw = rows.raw_rows(conn, table, ids, columns)
    names = columns or names
    merged = names.index("merged_into_id") if "merged_into_id" in names else None
    for _ in range(10 if merged is not None else 0):  # a chain of merges (A into B, B into C) to its end
        targets = {k: raw[rid][merged] for k, rid in key_ids.items() if rid in raw and raw[rid][merged]}
        if not targets:
            break
        raw.update(rows.raw_rows(conn, table, set(targets.values()) - raw.keys(), columns))
        for k, winner in targets.items():
            key_ids[k] = winner
    key_ids = {k: rid for k, rid in key_ids.items() if rid in raw}
    at = names.index("updated_at")
    versions = {rid: row[at] for rid, row in raw.items()}
    decoded = {r["id"]: r for r in rows.decode(conn, table, raw.values())} if whole else {}
    return Lookup(links, key_ids, versions, decoded)


def resolve(conn: sa.Connection, db: Database, obj: ObjectDef, changes: list[Change], offset: int,
            system: str, keys: dict[int, tuple | None]) -> tuple[list[PendingItem], dict[int, PendingItem], Lookup]:
    """PendingItems for `changes`; the second value maps follow-up indexes to their primary item;
    the third is what was read (`Lookup`). `keys` are the changes' match keys (`change_keys`).

    A change that resolves to a record already claimed by an earlier change in the
    same batch is applied on top of it (the batch never writes one record twice).
    """
    lookup = look_up(conn, db, obj, changes, keys, system)
    by_id, links = lookup.rows, lookup.links
    by_key = {k: by_id[rid] for k, rid in lookup.key_ids.items()}
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
            if existing is not None and (own := key_of(obj, existing)) is not None:
                claimed.setdefault(("key", own), item)
        items.append(item)
    return items, follow, lookup


def key_of(obj: ObjectDef, row: dict[str, Any]) -> tuple | None:
    if not obj.match_keys:
        return None
    values = tuple(row.get(c) for c in obj.match_keys[0])
    return None if any(v is None for v in values) else values
