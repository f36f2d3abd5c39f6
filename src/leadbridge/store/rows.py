"""Result rows as plain dicts, datetimes made UTC-aware (SQLite returns them naive; all are UTC).

Only the statement's DateTime columns are looked at: a per-value check over every column of
every row (records.row_dict) was most of the cost of reading 100k records for a push.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Sequence

import sqlalchemy as sa

CHUNK = 900  # bound parameters per IN (...) stay under SQLite's limit


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """`values` in slices of `size` (one IN (...) query each)."""
    for i in range(0, len(values), size):
        yield values[i:i + size]


def param_mark(conn: sa.Connection) -> str:
    """The DB-API driver's placeholder for driver-level SQL (sqlite3: ?, psycopg: %s)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def dicts(conn: sa.Connection, stmt: sa.Executable, columns: Sequence[sa.ColumnElement] | None = None
          ) -> list[dict[str, Any]]:
    """The rows of a select (or of a statement RETURNING `columns`)."""
    result = conn.execute(stmt)
    keys = list(result.keys())
    cols = columns if columns is not None else stmt.selected_columns  # type: ignore[attr-defined]
    stamps = [i for i, c in enumerate(cols) if isinstance(c.type, sa.DateTime)]
    if not stamps:
        return [dict(zip(keys, row)) for row in result.fetchall()]
    out = []
    for row in result.fetchall():
        d = dict(zip(keys, row))
        for i in stamps:
            v = row[i]
            if v is not None and v.tzinfo is None:
                d[keys[i]] = v.replace(tzinfo=timezone.utc)
        out.append(d)
    return out


def raw_rows(conn: sa.Connection, table: sa.Table, ids: Iterable[int], columns: Sequence[str] | None = None
             ) -> dict[int, tuple]:
    """Rows of `table` by id, as the DB-API driver returns them: all columns in `table.columns` order,
    or `columns` (the first of which must be "id"). `decode` turns whole rows into dicts."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    mark = param_mark(conn)
    cols = ", ".join(f'"{c}"' for c in (columns or [c.name for c in table.columns]))
    cursor = conn.connection.dbapi_connection.cursor()
    out: dict[int, tuple] = {}
    try:
        for part in chunks(wanted):
            cursor.execute(f'SELECT {cols} FROM {table.name} WHERE id IN ({", ".join([mark] * len(part))})', part)
            for row in cursor.fetchall():
                out[row[0]] = tuple(row)
    finally:
        cursor.close()
    return out


def decode(conn: sa.Connection, table: sa.Table, raw: Iterable[tuple]) -> list[dict[str, Any]]:
    """Driver rows of `table` (see `raw_rows`) as dicts, valued as a SQLAlchemy select gives them
    (SQLite's text datetimes and 0/1 booleans converted), datetimes UTC-aware."""
    return list(map(_row_decoder(conn.dialect.name, table), raw))


def _row_decoder(dialect: str, table: sa.Table) -> Callable[[tuple], dict[str, Any]]:
    """A function from a driver row to its dict: one dict display with the conversions inline, built once
    per table and dialect (reading the existing rows of a batch of updates does this 5,000 times)."""
    key = (dialect, table.name, tuple((c.name, type(c.type)) for c in table.columns))
    fn = _DECODERS.get(key)
    if fn is None:
        env: dict[str, Any] = {}
        parts = []
        for i, c in enumerate(table.columns):
            convert = _converter(dialect, c.type)
            if convert is None:
                parts.append(f"{c.name!r}: r[{i}]")
            else:
                env[f"f{i}"] = convert
                parts.append(f"{c.name!r}: None if r[{i}] is None else f{i}(r[{i}])")
        exec(f"def decode_row(r):\n    return {{{', '.join(parts)}}}", env)  # noqa: S102 - built from column names
        fn = _DECODERS[key] = env["decode_row"]
    return fn


_DECODERS: dict[tuple, Callable[[tuple], dict[str, Any]]] = {}


def _converter(dialect: str, type_: sa.types.TypeEngine) -> Callable[[Any], Any] | None:
    if isinstance(type_, sa.DateTime):
        return _utc_text if dialect == "sqlite" else _utc
    if dialect != "sqlite":
        return None
    if isinstance(type_, sa.Date):
        return _date_text
    if isinstance(type_, sa.Boolean):
        return bool
    return None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _utc_text(value: Any) -> datetime:
    if type(value) is str:
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _date_text(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
