"""Alembic migrations for the fixed tables, run programmatically."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK = threading.Lock()  # alembic's context is module-global


def alembic_config(engine: sa.Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> str:
    """Upgrade the database to `revision` (a no-op when already there); returns the current revision."""
    with _LOCK:
        if revision == "head" and current(engine) == head():
            return head()
        command.upgrade(alembic_config(engine), revision)
        return current(engine) or "base"


def current(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@lru_cache(maxsize=1)
def head() -> str:
    return ScriptDirectory.from_config(alembic_config(sa.create_engine("sqlite://"))).get_current_head()
