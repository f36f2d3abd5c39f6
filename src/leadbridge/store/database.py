"""The database of a workspace: engine, tables (with custom fields), transactions, migrations."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from leadbridge.errors import StoreError
from leadbridge.model.fields import FieldDef
from leadbridge.model.objects import STANDARD_OBJECTS, ObjectDef
from leadbridge.model.types import FieldType
from leadbridge.store import schema
from leadbridge.store.engine import create_engine, is_postgres

# One writer at a time on PostgreSQL: creates by match key must not race.
_PG_WRITE_LOCK = 0x1EADB41D


class Database:
    """Engine + table objects for one workspace database."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url)
        self.objects: dict[str, ObjectDef] = dict(STANDARD_OBJECTS)
        self.metadata = schema.build_metadata(self.objects)

    @property
    def is_postgres(self) -> bool:
        return is_postgres(self.engine)

    def table(self, name: str) -> sa.Table:
        return self.metadata.tables[name]

    def object_table(self, obj: str) -> sa.Table:
        return self.metadata.tables[self.objects[obj].table]

    @contextmanager
    def atomic(self, write: bool = True, rollback: bool = False) -> Iterator[sa.Connection]:
        """One transaction; writers are serialized (SQLite IMMEDIATE, PostgreSQL advisory lock).

        With `rollback`, the transaction is rolled back at the end (dry runs).
        """
        with self.engine.connect().execution_options(write=write) as conn:
            trans = conn.begin()
            try:
                if write and self.is_postgres:
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_WRITE_LOCK})
                yield conn
            except BaseException:
                trans.rollback()
                raise
            if rollback:
                trans.rollback()
            else:
                trans.commit()

    # -- schema ------------------------------------------------------------------------------

    def upgrade(self) -> str:
        """Bring the fixed tables to the latest migration, then load custom fields."""
        from leadbridge.store.migrate import upgrade
        revision = upgrade(self.engine)
        self.load_custom_fields()
        return revision

    def check_ready(self) -> None:
        try:
            with self.engine.connect() as conn:
                ok = sa.inspect(conn).has_table("person")
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot reach the database: {exc.orig}",
                             hint="check database.url / LEADBRIDGE_DATABASE_URL") from None
        if not ok:
            raise StoreError("the database has no leadbridge tables", hint="run `leadbridge db upgrade`")

    def load_custom_fields(self) -> None:
        """Read custom field definitions and add them to the object models and tables."""
        table = self.table("field_def")
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.created_at)).mappings().all()
        by_object: dict[str, list[FieldDef]] = {}
        for r in rows:
            by_object.setdefault(r["object"], []).append(FieldDef(
                name=r["name"], type=FieldType(r["type"]), label=r["label"] or "",
                values=tuple(json.loads(r["values_json"] or "[]")), length=r["length"],
                custom=True, indexed=bool(r["indexed"])))
        self.objects = {name: obj.with_fields(tuple(by_object.get(name, ()))) for name, obj in STANDARD_OBJECTS.items()}
        self.metadata = schema.build_metadata(self.objects)

    def add_custom_field(self, obj: str, field: FieldDef) -> None:
        """Add a real column (and index) for a custom field, and record its definition."""
        table = self.object_table(obj)
        column = schema.column_for(field)
        ddl_type = column.type.compile(dialect=self.engine.dialect)
        with self.atomic() as conn:
            conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{field.name}" {ddl_type}')
            if field.indexed:
                conn.exec_driver_sql(
                    f'CREATE INDEX "ix_{table.name}_{field.name}" ON {table.name} ("{field.name}")')
            conn.execute(self.table("field_def").insert().values(
                object=obj, name=field.name, type=field.type.value, label=field.label,
                values_json=json.dumps(list(field.values)), length=field.length,
                indexed=field.indexed, created_at=datetime.now(timezone.utc)))
        self.load_custom_fields()

    def dispose(self) -> None:
        self.engine.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"
