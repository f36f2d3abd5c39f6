"""The Alembic migrations build exactly the tables the code describes (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from leadbridge.store.schema import build_metadata


def test_migrations_match_the_schema(workspace):
    """A fresh database upgraded to head has every table, column and index of build_metadata()."""
    with workspace.db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, build_metadata())
    # custom-field columns are added at runtime (ALTER TABLE), never by migrations
    assert [d for d in diff if d[0] not in ("add_column",) or not d[3].name.startswith("cf_")] == []
