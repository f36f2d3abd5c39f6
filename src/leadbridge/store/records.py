"""Reads and writes of records, history, outbox and CRM links. The write path's SQL lives here.

Functions take an open connection: the caller owns the transaction.
"""

from __future__ import annotations

import json
import operator
from datetime import date, datetime, timezone
from typing import Any, Sequence

import sqlalchemy as sa

from leadbridge.store.database import Database
from leadbridge.store.rows import chunks, decode, param_mark, raw_rows


def utc(value: Any) -> Any:
    """SQLite returns naive datetimes; every stored datetime is UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def row_dict(row: sa.RowMapping) -> dict[str, Any]:
    return {k: utc(v) for k, v in row.items()}


def fetch_by_ids(conn: sa.Connection, table: sa.Table, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Whole records by id (missing ids are absent)."""
    return {row["id"]: row for row in decode(conn, table, raw_rows(conn, table, ids).values())}


def ids_by_key(conn: sa.Connection, table: sa.Table, columns: tuple[str, ...],
               keys: Sequence[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    """The record each key (values of `columns`) leads to: a live record before a merged one, then the lowest id.

    Driver-level queries of ids only (most keys of a batch of new records match nothing)."""
    out: dict[tuple[Any, ...], tuple[bool, int]] = {}
    if not keys:
        return {}
    merged = "merged_into_id IS NOT NULL" if "merged_into_id" in table.c else "0"
    mark = param_mark(conn)
    cursor = conn.connection.dbapi_connection.cursor()

    def consider(key: tuple[Any, ...], is_merged: Any, rid: int) -> None:
        rank = (bool(is_merged), rid)
        if key not in out or rank < out[key]:
            out[key] = rank
    try:
        if len(columns) == 1:
            # no ORDER BY: it can make SQLite scan by id instead of using the key's index
            for part in chunks([k[0] for k in keys]):
                cursor.execute(f'SELECT "{columns[0]}", {merged}, id FROM {table.name} '
                               f'WHERE "{columns[0]}" IN ({", ".join([mark] * len(part))})', part)
                for value, is_merged, rid in cursor.fetchall():
                    consider((value,), is_merged, rid)
        elif conn.dialect.name == "postgresql":
            # composite keys (memberships) as arrays joined on every column: each key is one probe of an
            # index. `campaign_id IN (…) AND person_id IN (…)` let the planner trust statistics that
            # predate a new campaign ("1 row"), then scan all of that campaign's members for each chunk:
            # importing a 1M-row list went quadratic.
            arrays = ", ".join(f"%s::{table.c[c].type.compile(conn.dialect)}[]" for c in columns)
            aliases = [f"k{i}" for i in range(len(columns))]
            on = " AND ".join(f't."{c}" = {a}' for c, a in zip(columns, aliases))
            cols = ", ".join(f't."{c}"' for c in columns)
            cursor.execute(f"SELECT {cols}, {merged}, t.id FROM unnest({arrays}) AS k({', '.join(aliases)}) "
                           f"JOIN {table.name} t ON {on}", [list(values) for values in zip(*keys)])
            for *values, is_merged, rid in cursor.fetchall():
                consider(tuple(values), is_merged, rid)
        else:  # composite keys on SQLite: narrow by the first two columns, match exactly here
            wanted = set(keys)
            cols = ", ".join(f'"{c}"' for c in columns)
            for first in chunks(sorted({k[0] for k in keys}), 50):
                seconds = sorted({k[1] for k in keys if k[0] in set(first)})
                for part in chunks(seconds):
                    cursor.execute(f'SELECT {cols}, {merged}, id FROM {table.name} '
                                   f'WHERE "{columns[0]}" IN ({", ".join([mark] * len(first))}) '
                                   f'AND "{columns[1]}" IN ({", ".join([mark] * len(part))})', [*first, *part])
                    for *values, is_merged, rid in cursor.fetchall():
                        if (key := tuple(values)) in wanted:
                            consider(key, is_merged, rid)
    finally:
        cursor.close()
    return {key: rid for key, (_, rid) in out.items()}


def fetch_links(conn: sa.Connection, db: Database, system: str, crm_object: str | None,
                crm_ids: Sequence[str]) -> dict[tuple[str, str], int]:
    """(crm_object, crm_id) → local record id, through the crosswalk."""
    t = db.table("crm_link")
    out: dict[tuple[str, str], int] = {}
    for part in chunks(list(crm_ids)):
        stmt = sa.select(t.c.crm_object, t.c.crm_id, t.c.record_id).where(t.c.system == system, t.c.crm_id.in_(part))
        if crm_object:
            stmt = stmt.where(t.c.crm_object == crm_object)
        for crm_obj, crm_id, rid in conn.execute(stmt):
            out[(crm_obj, crm_id)] = rid
            out.setdefault(("", crm_id), rid)
    return out


def new_batch(conn: sa.Connection, db: Database, obj: str, source: str, detail: str | None,
              actor: str | None, checkpoint: str | None = None) -> int:
    t = db.table("write_batch")
    return conn.execute(t.insert().values(
        object=obj, source=source, source_detail=detail, actor=actor, checkpoint=checkpoint,
        started_at=datetime.now(timezone.utc)).returning(t.c.id)).scalar_one()


def finish_batch(conn: sa.Connection, db: Database, batch_id: int, counts: dict[str, int]) -> None:
    t = db.table("write_batch")
    conn.execute(t.update().where(t.c.id == batch_id).values(counts=json.dumps(counts)))


def checkpoint_done(conn: sa.Connection, db: Database, checkpoint: str) -> dict[str, Any] | None:
    """The stored counts of the batch committed under `checkpoint`, or None if there is none."""
    t = db.table("write_batch")
    row = conn.execute(sa.select(t.c.counts).where(t.c.checkpoint == checkpoint)).first()
    return None if row is None else json.loads(row[0] or "{}")


def allocate_ids(conn: sa.Connection, table: sa.Table, n: int) -> list[int]:
    """Reserve `n` new ids for `table` (the caller holds the write lock)."""
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        seq = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar_one()
        stmt = sa.text("SELECT nextval(CAST(:s AS regclass)) FROM generate_series(1, :n)")
        return list(conn.execute(stmt, {"s": seq, "n": n}).scalars())
    start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(start, start + n))


def insert_new(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]], stamp: datetime) -> list[int]:
    """Insert new records (coerced values, no None) created and updated at `stamp`; their new ids in order.

    Rows are grouped by their columns, one executemany of plain tuples per group: no per-row
    padding of ~50 columns with NULLs, and the timestamps are converted once for the batch.
    """
    if not rows:
        return []
    ids = allocate_ids(conn, table, len(rows))
    ts = driver_value(conn, stamp)
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for rid, r in zip(ids, rows):
        cols = tuple(r)
        group = groups.get(cols)
        if group is None:
            group = groups[cols] = []
        group.append((*r.values(), rid, ts, ts))
    for cols, params in groups.items():
        insert_tuples(conn, table, (*cols, "id", "created_at", "updated_at"), params, converted=3)
    return ids


def driver_value(conn: sa.Connection, value: Any) -> Any:
    """`value` as the DB-API driver stores it (SQLite keeps dates and datetimes as SQLAlchemy's text)."""
    return _sqlite_datetime(value) if conn.dialect.name == "sqlite" else value


def _sqlite_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(" ")  # SQLAlchemy's SQLite DATETIME storage format
    if isinstance(value, date):
        return value.isoformat()
    return value


def insert_tuples(conn: sa.Connection, table: sa.Table, columns: Sequence[str], params: list[tuple[Any, ...]],
                  converted: int = 0) -> None:
    """executemany at the driver level: the write path's hot insert (values already coerced).

    The last `converted` columns already hold driver values (see `driver_value`).
    """
    if not params:
        return
    if conn.dialect.name == "postgresql":
        _copy_rows(conn, table, columns, params)
        return
    mark = param_mark(conn)
    sql = (f'INSERT INTO {table.name} ({", ".join(chr(34) + c + chr(34) for c in columns)}) '
           f'VALUES ({", ".join([mark] * len(columns))})')
    conn.exec_driver_sql(sql, _driver_params(conn, table, columns[:len(columns) - converted], params))


def _driver_params(conn: sa.Connection, table: sa.Table, columns: Sequence[str],
                   params: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Parameters for the DB-API driver: SQLite stores dates and datetimes as SQLAlchemy's text.

    Only the first len(columns) values of each tuple are looked at.
    """
    if conn.dialect.name != "sqlite":
        return params
    when = [i for i, c in enumerate(columns) if c in table.c and isinstance(table.c[c].type, (sa.DateTime, sa.Date))]
    if when:
        cache: dict[Any, Any] = {}  # created_at/updated_at repeat within a batch
        for n, p in enumerate(params):
            p = list(p)
            for i in when:
                v = p[i]
                if v is not None:
                    p[i] = cache[v] if v in cache else cache.setdefault(v, _sqlite_datetime(v))
            params[n] = tuple(p)
    return params


def update_records(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Update rows (each with 'id'); only the columns present in a row are written.

    One driver-level executemany per column set (values already coerced by the write path).
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(k for k in r if k != "id")), []).append(r)
    mark = param_mark(conn)
    for cols, group in groups.items():
        sql = (f'UPDATE {table.name} SET {", ".join(f"{chr(34)}{c}{chr(34)} = {mark}" for c in cols)} '
               f'WHERE id = {mark}')
        pick = operator.itemgetter(*cols, "id")
        conn.exec_driver_sql(sql, _driver_params(conn, table, (*cols, "id"), [pick(r) for r in group]))


def _copy_rows(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL COPY (psycopg 3): an order of magnitude faster than executemany for bulk rows."""
    cols = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
        for r in rows:
            copy.write_row(r)


def insert_history(conn: sa.Connection, db: Database, head: dict[str, Any],
                   rows: list[tuple[int, str, str]]) -> None:
    """Field history of one batch: `head` (object, batch, source, actor, changed_at) shared by every
    row, and per record (record_id, kind, changes JSON)."""
    insert_with_head(conn, db.table("record_change"), head, ("record_id", "kind", "changes"), rows)


def insert_outbox(conn: sa.Connection, db: Database, head: dict[str, Any], rows: list[tuple[int, str]]) -> None:
    """Pending outbox entries of one batch: `head` (object, batch, created_at) shared by every row,
    and per record (record_id, fields JSON)."""
    head = {**head, "state": "pending", "attempts": 0}
    insert_with_head(conn, db.table("outbox"), head, ("record_id", "fields"), rows)


def insert_with_head(conn: sa.Connection, table: sa.Table, head: dict[str, Any], columns: tuple[str, ...],
                     rows: list[tuple[Any, ...]]) -> None:
    """Insert `rows` (values of `columns`), each with the values of `head` shared by the whole batch."""
    if not rows:
        return
    first = tuple(driver_value(conn, v) for v in head.values())
    insert_tuples(conn, table, (*columns, *head), [(*r, *first) for r in rows], converted=len(head))


def insert_links(conn: sa.Connection, db: Database, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(db.table("crm_link").insert(), rows)


def links_of(conn: sa.Connection, db: Database, obj: str, record_id: int) -> list[dict[str, Any]]:
    t = db.table("crm_link")
    stmt = sa.select(t).where(t.c.object == obj, t.c.record_id == record_id).order_by(t.c.id)
    return [row_dict(r) for r in conn.execute(stmt).mappings()]


def history_of(conn: sa.Connection, db: Database, obj: str, record_id: int) -> list[dict[str, Any]]:
    t = db.table("record_change")
    stmt = sa.select(t).where(t.c.object == obj, t.c.record_id == record_id).order_by(t.c.id)
    return [row_dict(r) for r in conn.execute(stmt).mappings()]
