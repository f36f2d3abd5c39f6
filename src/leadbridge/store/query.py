"""Read queries over object tables: filtered lists, counts, single records."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator, Sequence

import sqlalchemy as sa

from leadbridge.errors import FilterError, RecordNotFound
from leadbridge.model import where as w
from leadbridge.store import records
from leadbridge.store.database import Database
from leadbridge.store.rows import dicts
from leadbridge.store.where_sql import compile_where, filter_fields


def condition(db: Database, obj: str, where: str | None, now: datetime | None = None,
              include_merged: bool = False) -> sa.ColumnElement[bool]:
    """SQL condition for a --where filter on `obj` (merged-away records excluded by default)."""
    defs = {f.name: f for f in db.objects[obj].fields}
    node = w.parse(where, filter_fields(defs))
    table = db.object_table(obj)
    cond = compile_where(node, table, defs, now)
    if not include_merged and "merged_into_id" in table.c:
        cond = sa.and_(cond, table.c.merged_into_id.is_(None))
    return cond


def select_records(db: Database, obj: str, where: str | None = None, *, columns: Sequence[str] | None = None,
                   order_by: str = "id", descending: bool = False, limit: int | None = None,
                   offset: int = 0, include_merged: bool = False) -> sa.Select:
    table = db.object_table(obj)
    if order_by not in table.c:
        raise FilterError(f"cannot sort by unknown field {order_by!r}")
    cols = [table.c[c] for c in columns] if columns else [table]
    order = table.c[order_by].desc() if descending else table.c[order_by]
    stmt = sa.select(*cols).where(condition(db, obj, where, include_merged=include_merged)).order_by(order, table.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt.offset(offset) if offset else stmt


def list_records(db: Database, obj: str, where: str | None = None, **kw: Any) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return dicts(conn, select_records(db, obj, where, **kw))


def iter_records(db: Database, obj: str, where: str | None = None, *, batch: int = 10_000,
                 **kw: Any) -> Iterator[list[dict[str, Any]]]:
    """Stream matching records in pages of `batch` (keyset pagination on id)."""
    table = db.object_table(obj)
    last = 0
    cond = condition(db, obj, where, include_merged=kw.pop("include_merged", False))
    wanted = kw.pop("columns", None) or []
    cols = [table.c[c] for c in dict.fromkeys(["id", *wanted])] if wanted else [table]
    with db.engine.connect() as conn:
        while True:
            stmt = sa.select(*cols).where(cond, table.c.id > last).order_by(table.c.id).limit(batch)
            page = dicts(conn, stmt)
            if not page:
                return
            last = page[-1]["id"]
            if wanted and "id" not in wanted:
                for r in page:
                    del r["id"]
            yield page


def records_by_id(db: Database, obj: str, ids: Sequence[int], *, columns: Sequence[str] | None = None
                  ) -> dict[int, dict[str, Any]]:
    """Records by id, merged-away ones too (a push needs to see them): id → record (or its `columns`)."""
    table = db.object_table(obj)
    cols = [table.c[c] for c in dict.fromkeys(["id", *columns])] if columns else [table]
    wanted = sorted(set(ids))
    out: dict[int, dict[str, Any]] = {}
    with db.engine.connect() as conn:
        for i in range(0, len(wanted), 900):
            for r in dicts(conn, sa.select(*cols).where(table.c.id.in_(wanted[i:i + 900]))):
                out[r["id"]] = r
    return out


def count_records(db: Database, obj: str, where: str | None = None) -> int:
    table = db.object_table(obj)
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(condition(db, obj, where))).scalar_one()


def get_record(db: Database, obj: str, record_id: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        found = records.fetch_by_ids(conn, db.object_table(obj), [record_id])
    if record_id not in found:
        raise RecordNotFound(f"no {obj} with id {record_id}", hint=f"`leadbridge people list` shows ids")
    return found[record_id]
