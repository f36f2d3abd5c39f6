"""Result rows as plain dicts, datetimes made UTC-aware (SQLite returns them naive; all are UTC).

Only the statement's DateTime columns are looked at: a per-value check over every column of
every row (records.row_dict) was most of the cost of reading 100k records for a push.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any, Sequence

import sqlalchemy as sa


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
