"""Table definitions: object tables from the model, plus the system tables.

The fixed tables are created by Alembic migrations (store/migrations);
custom fields are added as real columns at runtime (store.custom_fields).
"""

from __future__ import annotations

import sqlalchemy as sa

from leadbridge.model.fields import FieldDef
from leadbridge.model.objects import STANDARD_OBJECTS, ObjectDef
from leadbridge.model.types import FieldType as T

_SQL_TYPES = {
    T.STRING: lambda f: sa.String(f.length or 255), T.TEXT: lambda f: sa.Text(),
    T.EMAIL: lambda f: sa.String(f.length or 255), T.PHONE: lambda f: sa.String(f.length or 40),
    T.URL: lambda f: sa.String(f.length or 1024), T.PICKLIST: lambda f: sa.String(f.length or 255),
    T.MULTIPICKLIST: lambda f: sa.Text(), T.BOOLEAN: lambda f: sa.Boolean(),
    T.INTEGER: lambda f: sa.BigInteger(), T.NUMBER: lambda f: sa.Float(),
    T.CURRENCY: lambda f: sa.Float(), T.DATE: lambda f: sa.Date(),
    T.DATETIME: lambda f: sa.DateTime(timezone=True), T.REFERENCE: lambda f: sa.BigInteger(),
}


def column_for(field: FieldDef) -> sa.Column:
    """The SQL column that stores a field (no length limits enforced by SQL: standards do that)."""
    type_ = _SQL_TYPES[field.type](field)
    if isinstance(type_, sa.String):
        type_ = sa.Text()  # lengths are a data standard, not a storage constraint
    return sa.Column(field.name, type_, nullable=True)


def object_table(obj: ObjectDef, metadata: sa.MetaData) -> sa.Table:
    """Build the table of one object (system columns + one column per field)."""
    cols = [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("field_times", sa.Text(), nullable=True),
    ]
    cols += [column_for(f) for f in obj.fields]
    table = sa.Table(obj.table, metadata, *cols)
    for f in obj.fields:
        if f.indexed:
            sa.Index(f"ix_{obj.table}_{f.name}", table.c[f.name])
    sa.Index(f"ix_{obj.table}_updated_at", table.c.updated_at)
    for key in obj.match_keys:
        if len(key) > 1:  # lookups by a composite match key must not scan one column's index
            sa.Index(f"ix_{obj.table}_{'_'.join(key)}", *(table.c[c] for c in key))
    return table


def build_metadata(objects: dict[str, ObjectDef] | None = None) -> sa.MetaData:
    """All tables: object tables (with any custom fields in `objects`) and system tables."""
    md = sa.MetaData()
    for obj in (objects or STANDARD_OBJECTS).values():
        object_table(obj, md)
    _system_tables(md)
    return md


def _system_tables(md: sa.MetaData) -> None:
    sa.Table(
        "field_def", md,
        sa.Column("object", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("label", sa.Text()),
        sa.Column("values_json", sa.Text()),
        sa.Column("length", sa.Integer()),
        sa.Column("indexed", sa.Boolean(), nullable=False, default=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "crm_link", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("object", sa.String(40), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("system", sa.String(40), nullable=False),
        sa.Column("crm_object", sa.String(80), nullable=False),
        sa.Column("crm_id", sa.String(40), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, default=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("system", "crm_object", "crm_id", name="uq_crm_link_crm_id"),
        sa.Index("ix_crm_link_record", "object", "record_id"),
    )
    sa.Table(
        "record_change", md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("object", sa.String(40), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("batch_id", sa.BigInteger, nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("source_detail", sa.Text()),
        sa.Column("actor", sa.Text()),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),  # create | update
        sa.Column("changes", sa.Text(), nullable=False),   # {"field": [old, new], ...}
        sa.Index("ix_record_change_record", "object", "record_id"),
        sa.Index("ix_record_change_batch", "batch_id"),
    )
    sa.Table(
        "stored_text", md,  # store/texts.py
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    sa.Table(
        "write_batch", md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("object", sa.String(40), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("source_detail", sa.Text()),
        sa.Column("actor", sa.Text()),
        sa.Column("checkpoint", sa.Text(), unique=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.Text()),
    )
    sa.Table(
        "import_run", md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("list_name", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),  # running | interrupted | done
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("report", sa.Text()),
    )
    sa.Table(
        "outbox", md,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("object", sa.String(40), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("batch_id", sa.BigInteger, nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),  # JSON list of changed, pushable fields
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(12), nullable=False, default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("claimed_by", sa.Text()),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text()),
        sa.Index("ix_outbox_state", "state", "id"),
        sa.Index("ix_outbox_record", "object", "record_id"),
    )

    _sync_tables(md)
    _dedupe_tables(md)
    _routing_tables(md)


def _routing_tables(md: sa.MetaData) -> None:
    """Routing: every decision with its explanation, and assignment counters for distribution."""
    sa.Table("route_decision", md,
             sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
             sa.Column("person_id", sa.BigInteger, nullable=False),
             sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("territory", sa.String(80)),
             sa.Column("rule", sa.String(120)),
             sa.Column("team", sa.String(120)),
             sa.Column("user_email", sa.String(255)),
             sa.Column("queue", sa.String(120)),
             sa.Column("explanation", sa.Text(), nullable=False),
             sa.Column("batch_id", sa.BigInteger),  # the write batch that applied it (NULL: before 0011)
             sa.Index("ix_route_decision_person", "person_id"),
             sa.Index("ix_route_decision_batch", "batch_id"))
    # `day`/`today`: the rep's local day of their last assignment, and their count on it (capacity)
    sa.Table("route_counter", md,
             sa.Column("team", sa.String(120), primary_key=True),
             sa.Column("user_email", sa.String(255), primary_key=True),
             sa.Column("total", sa.BigInteger, nullable=False),
             sa.Column("day", sa.Date, nullable=False),
             sa.Column("today", sa.Integer, nullable=False))


def _dedupe_tables(md: sa.MetaData) -> None:
    """Dedupe: candidate pairs (review queue, remembered decisions) and merges with their undo snapshots."""
    sa.Table("dedupe_pair", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("object", sa.String(40), nullable=False),
             sa.Column("a_id", sa.BigInteger, nullable=False),
             sa.Column("b_id", sa.BigInteger, nullable=False),
             sa.Column("score", sa.Float, nullable=False),
             sa.Column("rule", sa.String(80), nullable=False),
             sa.Column("detail", sa.Text()),  # JSON: field scores and reasons
             sa.Column("status", sa.String(12), nullable=False),  # review | accepted | rejected | merged
             sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("decided_at", sa.DateTime(timezone=True)),
             sa.Column("decided_by", sa.Text()),
             sa.UniqueConstraint("object", "a_id", "b_id", name="uq_dedupe_pair"),
             sa.Index("ix_dedupe_pair_status", "status"))
    sa.Table("merge_event", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("object", sa.String(40), nullable=False),
             sa.Column("winner_id", sa.BigInteger, nullable=False),
             sa.Column("loser_ids", sa.Text(), nullable=False),  # JSON list
             sa.Column("reason", sa.Text()),
             sa.Column("auto", sa.Boolean, nullable=False, default=False),
             sa.Column("actor", sa.Text()),
             sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("snapshot", sa.Text(), nullable=False),  # JSON: everything undo needs
             sa.Column("crm_action", sa.Text()),
             sa.Column("undone_at", sa.DateTime(timezone=True)),
             sa.Column("undone_by", sa.Text()),
             sa.Index("ix_merge_event_winner", "object", "winner_id"))


def _sync_tables(md: sa.MetaData) -> None:
    """The sync engine's durable state: cursors, pause/backoff, per-record log, open errors, cycles, alerts."""
    sa.Table("sync_cursor", md,
             sa.Column("object", sa.String(80), primary_key=True),
             sa.Column("kind", sa.String(16), primary_key=True),  # changed | deleted
             sa.Column("cursor", sa.DateTime(timezone=True), nullable=False))
    sa.Table("sync_state", md,
             sa.Column("key", sa.String(40), primary_key=True),
             sa.Column("value", sa.Text()))
    sa.Table("sync_log", md,
             sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
             sa.Column("at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("direction", sa.String(8), nullable=False),  # push | pull
             sa.Column("object", sa.String(40), nullable=False),
             sa.Column("record_id", sa.BigInteger),
             sa.Column("crm_object", sa.String(80)),
             sa.Column("crm_id", sa.String(40)),
             sa.Column("status", sa.String(16), nullable=False),  # ok | failed | skipped | retry
             sa.Column("error_code", sa.String(80)),
             sa.Column("payload", sa.Text()),
             sa.Column("result", sa.Text()),
             sa.Index("ix_sync_log_record", "object", "record_id"),
             sa.Index("ix_sync_log_at", "at"))
    sa.Table("sync_error", md,
             sa.Column("object", sa.String(40), primary_key=True),
             sa.Column("record_id", sa.BigInteger, primary_key=True),
             sa.Column("crm_object", sa.String(80)),
             sa.Column("crm_id", sa.String(40)),
             sa.Column("error_class", sa.String(12), nullable=False),
             sa.Column("code", sa.String(80), nullable=False),
             sa.Column("message", sa.Text()),
             sa.Column("fields", sa.Text()),
             sa.Column("fix", sa.Text()),
             sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("count", sa.Integer, nullable=False),
             sa.Index("ix_sync_error_code", "code"))
    sa.Table("sync_cycle", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("finished_at", sa.DateTime(timezone=True)),
             sa.Column("object", sa.String(40), nullable=False),
             sa.Column("pushed", sa.Integer, nullable=False, default=0),
             sa.Column("pulled", sa.Integer, nullable=False, default=0),
             sa.Column("failed", sa.Integer, nullable=False, default=0),
             sa.Column("skipped", sa.Integer, nullable=False, default=0),
             sa.Column("api_calls", sa.Integer, nullable=False, default=0),
             sa.Column("backlog", sa.Integer, nullable=False, default=0),
             sa.Index("ix_sync_cycle_started", "started_at"))
    sa.Table("sync_base", md,  # per record: the last value of each synced field both systems agreed on
             sa.Column("object", sa.String(40), primary_key=True),
             sa.Column("record_id", sa.BigInteger, primary_key=True),
             sa.Column("crm_object", sa.String(80), nullable=False),
             sa.Column("base", sa.Text(), nullable=False),  # JSON: local field → value
             sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))
    sa.Table("alert", md,
             sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
             sa.Column("at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("kind", sa.String(40), nullable=False),
             sa.Column("severity", sa.String(10), nullable=False),
             sa.Column("message", sa.Text(), nullable=False),
             sa.Column("data", sa.Text()))
