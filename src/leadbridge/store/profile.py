"""Aggregate reads for audits and reports: filled counts, value distributions, duplicate groups."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterator, Sequence

import sqlalchemy as sa

from leadbridge.store.database import Database


def _live(t: sa.Table) -> sa.ColumnElement[bool]:
    return t.c.merged_into_id.is_(None) if "merged_into_id" in t.c else sa.true()


def filled_counts(db: Database, obj: str, fields: Sequence[str]) -> tuple[int, dict[str, int]]:
    """(records, {field: records where the field is not empty}) in one scan."""
    t = db.object_table(obj)
    cols = [sa.func.count().label("_n")]
    for f in fields:
        cols.append(sa.func.sum(sa.case((filled_condition(t.c[f]), 1), else_=0)).label(f))
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(*cols).where(_live(t))).mappings().one()
    return row["_n"], {f: int(row[f] or 0) for f in fields}


def filled_condition(c: sa.Column) -> sa.ColumnElement[bool]:
    """The column holds a value (the write path stores text trimmed, blanks as NULL; '' still counts as empty)."""
    if isinstance(c.type, (sa.String, sa.Text)):
        return sa.and_(c.isnot(None), c != "")
    return c.isnot(None)


def value_counts(db: Database, obj: str, field: str, limit: int | None = None) -> list[tuple[Any, int]]:
    t = db.object_table(obj)
    n = sa.func.count().label("n")
    stmt = sa.select(t.c[field], n).where(_live(t), t.c[field].isnot(None)).group_by(t.c[field]).order_by(n.desc())
    if limit:
        stmt = stmt.limit(limit)
    with db.engine.connect() as conn:
        return [(v, c) for v, c in conn.execute(stmt)]


def group_counts(db: Database, obj: str, fields: Sequence[str], limit: int) -> tuple[int, list[dict[str, Any]]]:
    """(live records, the `limit` most common value combinations of `fields` with their count `n`)."""
    t = db.object_table(obj)
    n = sa.func.count().label("n")
    cols = [t.c[f] for f in fields]
    stmt = sa.select(*cols, n).where(_live(t)).group_by(*cols).order_by(n.desc()).limit(limit) if cols \
        else sa.select(n).select_from(t).where(_live(t))
    with db.engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(t).where(_live(t))).scalar_one()
        return total, [dict(r._mapping) for r in conn.execute(stmt)]


def contains_counts(db: Database, obj: str, field: str, needles: Sequence[str]) -> dict[str, int]:
    """For each needle, how many records' `field` contains it (one scan for all needles)."""
    t = db.object_table(obj)
    if not needles:
        return {}
    cols = [sa.func.sum(sa.case((t.c[field].like(f"%{n}%"), 1), else_=0)).label(f"n{i}") for i, n in enumerate(needles)]
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(*cols).where(_live(t), t.c[field].isnot(None))).one()
    return {n: int(v or 0) for n, v in zip(needles, row)}


def count_where(db: Database, obj: str, cond_builder) -> int:
    t = db.object_table(obj)
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(_live(t), cond_builder(t))).scalar_one()


def duplicate_surplus(db: Database, obj: str, columns: Sequence[str], lower: bool = True) -> tuple[int, int]:
    """(groups with more than one record, records beyond the first in each) by equal `columns`."""
    t = db.object_table(obj)
    keys = [sa.func.lower(t.c[c]) if lower else t.c[c] for c in columns]
    inner = (sa.select(sa.func.count().label("n")).where(_live(t), *(t.c[c].isnot(None) for c in columns))
             .group_by(*keys).having(sa.func.count() > 1).subquery())
    with db.engine.connect() as conn:
        groups, surplus = conn.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(inner.c.n - 1), 0))).one()
    return int(groups), int(surplus)


def longer_than(db: Database, obj: str, limits: dict[str, int]) -> dict[str, int]:
    t = db.object_table(obj)
    cols = [sa.func.sum(sa.case((sa.func.length(t.c[f]) > n, 1), else_=0)).label(f) for f, n in limits.items()]
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(*cols).where(_live(t))).mappings().one()
    return {f: int(row[f] or 0) for f in limits}


def activity_buckets(db: Database, obj: str, field: str, now: datetime, days: Sequence[int]) -> dict[str, int]:
    """Records whose `field` is older than each of `days` (and never set)."""
    from datetime import timedelta
    t = db.object_table(obj)
    c = t.c[field]
    cols = [sa.func.sum(sa.case((c < (now - timedelta(days=d)).replace(tzinfo=None) if db.engine.dialect.name == "sqlite"
                                 else c < now - timedelta(days=d), 1), else_=0)).label(f"d{d}") for d in days]
    cols.append(sa.func.sum(sa.case((c.is_(None), 1), else_=0)).label("never"))
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(*cols).where(_live(t))).mappings().one()
    return {k: int(v or 0) for k, v in row.items()}


def column_values(db: Database, obj: str, field: str, batch: int = 50_000) -> Iterator[list[Any]]:
    """All non-empty values of one column, streamed in pages."""
    t = db.object_table(obj)
    with db.engine.connect() as conn:
        result = conn.execution_options(stream_results=True).execute(
            sa.select(t.c[field]).where(_live(t), t.c[field].isnot(None)))
        while rows := result.fetchmany(batch):
            yield [r[0] for r in rows]


def frame(db: Database, obj: str, columns: Sequence[str], extra: dict[str, sa.ColumnElement] | None = None,
          batch: int = 250_000):
    """Live records' `columns` (plus named SQL expressions) as a Polars DataFrame, read in pages.

    Read through the driver's cursor (no per-value result processing): text-like columns come back
    as strings, booleans as booleans, integers and numbers as such, dates and times as ISO text.
    """
    import polars as pl
    t = db.object_table(obj)
    extra = extra or {}
    cols = [t.c[c] for c in columns] + [e.label(n) for n, e in extra.items()]
    names = list(columns) + list(extra)
    kinds = {n: _python_type(c) for c, n in zip(cols, names)}
    load = {n: pl.Int64 if k in (bool, int) else pl.Float64 if k is float else pl.String for n, k in kinds.items()}
    text = [sa.cast(c, sa.Text) if kinds[n] not in (bool, int, float, str) else
            (sa.case((c, 1), (sa.not_(c), 0)) if kinds[n] is bool else c) for c, n in zip(cols, names)]
    stmt = sa.select(*(c.label(n) for c, n in zip(text, names))).where(_live(t)).order_by(t.c.id)
    parts = []
    schema = list(load.items())
    with db.engine.connect() as conn:
        try:  # the driver's own cursor: no per-value result processing (several times faster)
            sql = str(stmt.compile(conn, compile_kwargs={"literal_binds": True}))
        except (sa.exc.CompileError, NotImplementedError):  # a value SQL text cannot hold: the general path
            sql = None
        if sql is None:
            result = conn.execute(stmt)
            while rows := result.fetchmany(batch):
                parts.append(pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row", strict=False))
        else:
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                cursor.execute(sql)
                while rows := cursor.fetchmany(batch):
                    parts.append(pl.DataFrame(rows, schema=schema, orient="row", strict=False))
            finally:
                cursor.close()
    out = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    bools = [n for n, k in kinds.items() if k is bool]
    return out.with_columns([pl.col(n).cast(pl.Boolean) for n in bools]) if bools else out


def _python_type(col) -> type | None:
    try:
        return col.type.python_type
    except (NotImplementedError, AttributeError):
        return None


def last_activity_buckets(db: Database, now: datetime, days: Sequence[int]) -> dict[str, int]:
    """People by their last activity: the later of `last_activity_at` and their newest activity record.

    Counts people whose last activity is older than each of `days`, and those with none at all.
    """
    from datetime import timedelta
    p, a = db.object_table("person"), db.object_table("activity")
    newest = sa.select(a.c.person_id, sa.func.max(a.c.occurred_at).label("at")).where(
        a.c.person_id.isnot(None)).group_by(a.c.person_id).subquery()
    own = p.c.last_activity_at
    last = sa.case((newest.c.at.is_(None), own), (own.is_(None), newest.c.at), (newest.c.at > own, newest.c.at),
                   else_=own)
    sqlite = db.engine.dialect.name == "sqlite"
    cols = []
    for d in days:
        edge = now - timedelta(days=d)
        cols.append(sa.func.sum(sa.case((last < (edge.astimezone(timezone.utc).replace(tzinfo=None) if sqlite
                                                 else edge), 1), else_=0)).label(f"d{d}"))
    cols.append(sa.func.sum(sa.case((last.is_(None), 1), else_=0)).label("never"))
    cols.append(sa.func.sum(sa.case((newest.c.at.isnot(None), 1), else_=0)).label("from_activity"))
    stmt = sa.select(*cols).select_from(p.outerjoin(newest, newest.c.person_id == p.c.id)).where(_live(p))
    with db.engine.connect() as conn:
        row = conn.execute(stmt).mappings().one()
    return {k: int(v or 0) for k, v in row.items()}


def check_condition(db: Database, obj: str, kind: str, field: str, param: Any = None) -> sa.ColumnElement[bool]:
    """A per-record check as SQL (true: the record fails it).

    kinds: `blank` (no value), `longer` (text longer than `param`), `not_in` (a value outside the
    set `param`), `not_in_folded` (the same, case-insensitive: `param` holds lower-case values).
    """
    c = db.object_table(obj).c[field]
    text = sa.cast(c, sa.Text)
    if kind == "blank":
        return sa.or_(c.is_(None), sa.func.trim(text) == "")
    if kind == "longer":
        return sa.func.coalesce(sa.func.length(text), 0) > int(param)
    if kind == "not_in":
        return sa.and_(c.isnot(None), text.notin_(sorted(param)) if param else sa.true())
    if kind == "not_in_folded":
        return sa.and_(c.isnot(None), sa.func.trim(text) != "",
                       sa.func.lower(sa.func.trim(text)).notin_(sorted(param)) if param else sa.true())
    raise ValueError(f"unknown check kind {kind!r}")


def count_conditions(db: Database, obj: str, conditions: dict[str, sa.ColumnElement[bool]]) -> dict[str, int]:
    """How many live records meet each condition (one scan for all)."""
    if not conditions:
        return {}
    t = db.object_table(obj)
    cols = [sa.func.sum(sa.case((cond, 1), else_=0)).label(f"c{i}") for i, cond in enumerate(conditions.values())]
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(*cols).where(_live(t))).one()
    return {name: int(v or 0) for name, v in zip(conditions, row)}


def bitmask(conditions: list[sa.ColumnElement[bool]]) -> sa.ColumnElement[int]:
    """One integer per record: bit i set when condition i holds (for up to 62 conditions)."""
    if not conditions:
        return sa.literal(0)
    return sum((sa.case((cond, 1 << i), else_=0) for i, cond in enumerate(conditions)), sa.literal(0))


def link_frame(db: Database, obj: str):
    """Active CRM links of an object's records as a Polars DataFrame (record_id, crm_object)."""
    import polars as pl
    t = db.table("crm_link")
    stmt = sa.select(t.c.record_id, t.c.crm_object).where(t.c.object == obj, t.c.active.is_(True))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return pl.DataFrame(rows, schema={"record_id": pl.Int64, "crm_object": pl.String}, orient="row")
