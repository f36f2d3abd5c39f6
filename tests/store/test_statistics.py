"""PostgreSQL's planner statistics stay fresh while writes grow a table (store/statistics.py)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def _people(start: int, n: int) -> list[Change]:
    return [Change({"email": f"p{i}@example.com", "last_name": f"P{i}"}) for i in range(start, start + n)]


def _rows_analyzed(ws: Workspace) -> float:
    with ws.db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST('person' AS regclass)")).scalar()


def _key_lookup_plan(ws: Workspace, keys: list[str]) -> str:
    with ws.db.engine.connect() as conn:
        marks = ", ".join(f":k{i}" for i in range(len(keys)))
        rows = conn.execute(sa.text(f"EXPLAIN SELECT id FROM person WHERE email_key IN ({marks})"),
                            {f"k{i}": k for i, k in enumerate(keys)})
        return "\n".join(r[0] for r in rows)


def test_a_growing_table_is_analyzed_each_time_it_doubles(workspace: Workspace):
    ws = workspace
    postgres = ws.db.is_postgres
    if postgres:
        assert _rows_analyzed(ws) < 0  # a new table: never analyzed
    ws.write(_people(0, 600), SourceKind.LIST_IMPORT)
    if postgres:
        assert _rows_analyzed(ws) < 0  # not yet worth it
    ws.write(_people(600, 900), SourceKind.LIST_IMPORT)
    if postgres:
        assert _rows_analyzed(ws) == 1500  # analyzed once 1,000 were created
    ws.write(_people(1500, 1000), SourceKind.LIST_IMPORT)
    if postgres:
        assert _rows_analyzed(ws) == 1500  # grown by two thirds: the statistics still hold
    ws.write(_people(2500, 600), SourceKind.LIST_IMPORT)
    if postgres:
        assert _rows_analyzed(ws) == 3100  # doubled since the last ANALYZE
        # what it is for: the planner knows a key matches one person (unanalyzed, it guessed
        # thousands for a batch's keys and scanned the whole table instead of the key index)
        plan = _key_lookup_plan(ws, [f"p{i}@example.com" for i in range(0, 3000, 30)])
        assert 100 <= int(re.search(r"rows=(\d+)", plan).group(1)) <= 150, plan
    else:  # SQLite plans by its indexes without statistics: nothing is analyzed
        with ws.db.engine.connect() as conn:
            assert not sa.inspect(conn).has_table("sqlite_stat1")
    assert ws.count() == 3100


def test_updates_and_dry_runs_do_not_analyze(workspace: Workspace):
    ws = workspace
    ws.write(_people(0, 900), SourceKind.LIST_IMPORT)
    ws.write([Change({"email": f"p{i}@example.com", "title": "CTO"}) for i in range(900)], SourceKind.LIST_IMPORT)
    ws.write(_people(900, 900), SourceKind.LIST_IMPORT, dry_run=True)
    if ws.db.is_postgres:
        assert _rows_analyzed(ws) < 0
    assert ws.count() == 900
