"""The planner's statistics of tables that grow during bulk writes (PostgreSQL).

PostgreSQL plans a lookup like `email_key IN (…900 keys…)` from the table's statistics. A table
that was never analyzed (a new workspace; autovacuum off, or not yet round to it) or that has
grown far past its last ANALYZE gets estimates so wrong that the lookup scans the whole table:
seen here, an import of 1M people into a new workspace slowed to 2.7k rows/s, each batch's key
lookups scanning every person stored so far. So the write path analyzes a table whenever the
records it created since the table's last ANALYZE reach the size the table had then (and at
the first 1,000 on a never-analyzed table): a handful of ANALYZEs, each a sample of ~30k rows,
while a table grows from nothing to millions.

SQLite needs none of this: its planner uses the key indexes without statistics.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from leadbridge.store.database import Database

log = logging.getLogger("leadbridge.store")

FIRST_ANALYZE = 1_000  # records created in a never-analyzed table before its first ANALYZE


class TableStatistics:
    """Counts the records a process's writes create per table and analyzes a table when they have
    grown it enough (see the module docstring). One per write pipeline; a no-op on SQLite."""

    def __init__(self, db: Database):
        self.db = db
        self._grown: dict[str, tuple[float, int]] = {}  # table → (rows at its last ANALYZE, created since)

    def created(self, table: str, n: int) -> bool:
        """Note `n` new records in `table` (their transaction committed); True if it was analyzed now."""
        if n <= 0 or not self.db.is_postgres:
            return False
        known = self._grown.get(table)
        rows, since = known if known is not None else (self._rows_analyzed(table), 0)
        since += n
        if since < max(FIRST_ANALYZE, rows):
            self._grown[table] = (rows, since)
            return False
        try:
            with self.db.engine.connect() as conn:
                conn.exec_driver_sql(f"ANALYZE {table}")
                conn.commit()
            self._grown[table] = (self._rows_analyzed(table), 0)
        except sa.exc.SQLAlchemyError as exc:  # the batch is committed: slower lookups, not a failed write
            log.warning("could not analyze %s: %s", table, exc)
            self._grown[table] = (rows + since, 0)  # try again once it has doubled
            return False
        return True

    def _rows_analyzed(self, table: str) -> float:
        """The row count the planner's statistics of `table` hold (0 for a never-analyzed table)."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                                {"t": table}).scalar()
        return max(float(rows or 0), 0.0)  # -1: never analyzed
