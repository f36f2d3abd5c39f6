"""Shared fixtures: every workspace test runs on SQLite and on PostgreSQL.

PostgreSQL: LEADBRIDGE_TEST_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
each test gets a fresh schema. Locally the PostgreSQL cases skip when no server
answers; when CI is set they fail instead.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from leadbridge.workspace import Workspace

PG_URL = os.environ.get("LEADBRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_state: dict[str, object] = {}


def pg_available() -> bool:
    if "ok" not in _pg_state:
        try:
            eng = sa.create_engine(PG_URL)
            with eng.connect() as conn:
                conn.execute(sa.text("select 1"))
            eng.dispose()
            _pg_state["ok"] = True
        except Exception as exc:  # noqa: BLE001 - any failure means unavailable
            _pg_state["ok"] = False
            _pg_state["why"] = str(exc).splitlines()[0]
    return bool(_pg_state["ok"])


def require_pg() -> None:
    if pg_available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL must be reachable in CI ({PG_URL}): {_pg_state.get('why')}")
    pytest.skip(f"no PostgreSQL at {PG_URL}")


class PgSchema:
    """A fresh PostgreSQL schema; its URL puts it first on the search_path."""

    def __init__(self) -> None:
        self.name = f"lbt_{uuid.uuid4().hex[:12]}"
        self.admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in PG_URL else "?"
        self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path):
    """A database URL: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'leadbridge.db'}"
        return
    require_pg()
    schema = PgSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def workspace(tmp_path: Path, db_url: str):
    """A new workspace (default config) on each database."""
    root = tmp_path / "ws"
    ws = Workspace.init(root, database_url=db_url)
    # later opens of the same folder (CLI, subprocesses) must find the same database
    cfg = root / "leadbridge.yaml"
    cfg.write_text(cfg.read_text().replace("  url: null", f"  url: '{db_url}'"))
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path):
    """A workspace on SQLite only (for tests about files and processes, not SQL dialects)."""
    ws = Workspace.init(tmp_path / "ws")
    try:
        yield ws
    finally:
        ws.close()
