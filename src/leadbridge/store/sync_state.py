"""Sync bookkeeping: cursors, pause/backoff state, the per-record log, open errors, cycles, alerts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import orjson
import sqlalchemy as sa

from leadbridge.store import records
from leadbridge.store.database import Database
from leadbridge.store.records import row_dict, utc
from leadbridge.store.rows import param_mark


def get_cursor(db: Database, obj: str, kind: str = "changed") -> datetime | None:
    t = db.table("sync_cursor")
    with db.engine.connect() as conn:
        v = conn.execute(sa.select(t.c.cursor).where(t.c.object == obj, t.c.kind == kind)).scalar()
    return utc(v)


def set_cursor(db: Database, obj: str, value: datetime, kind: str = "changed") -> None:
    t = db.table("sync_cursor")
    with db.atomic() as conn:
        if conn.execute(t.update().where(t.c.object == obj, t.c.kind == kind).values(cursor=value)).rowcount == 0:
            conn.execute(t.insert().values(object=obj, kind=kind, cursor=value))


def get_state(db: Database, key: str) -> Any:
    t = db.table("sync_state")
    with db.engine.connect() as conn:
        v = conn.execute(sa.select(t.c.value).where(t.c.key == key)).scalar()
    return json.loads(v) if v else None


def set_state(db: Database, key: str, value: Any) -> None:
    t = db.table("sync_state")
    data = json.dumps(value, default=str) if value is not None else None
    with db.atomic() as conn:
        if conn.execute(t.update().where(t.c.key == key).values(value=data)).rowcount == 0:
            conn.execute(t.insert().values(key=key, value=data))


def to_json(value: Any) -> str:
    """JSON text of a logged payload, result or base (orjson; what json.dumps(default=str) would hold)."""
    try:
        return orjson.dumps(value, default=str, option=_ORJSON).decode()
    except TypeError:  # e.g. an int past 64 bits
        return json.dumps(value, default=str, ensure_ascii=False)


_ORJSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_LOG_COLUMNS = ("direction", "object", "record_id", "crm_object", "crm_id", "status", "error_code")


def log(db: Database, entries: list[dict[str, Any]]) -> None:
    if entries:
        rows = [(*(e.get(c) for c in _LOG_COLUMNS), _json_or_text(e.get("payload")), _json_or_text(e.get("result")))
                for e in entries]
        with db.atomic() as conn:
            records.insert_with_head(conn, db.table("sync_log"), {"at": datetime.now(timezone.utc)},
                                     (*_LOG_COLUMNS, "payload", "result"), rows)


def _json_or_text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else to_json(value)


def log_of(db: Database, obj: str, record_id: int) -> list[dict[str, Any]]:
    t = db.table("sync_log")
    with db.engine.connect() as conn:
        return [row_dict(r) for r in conn.execute(
            sa.select(t).where(t.c.object == obj, t.c.record_id == record_id).order_by(t.c.id)).mappings()]


def prune_log(db: Database, days: int) -> int:
    t = db.table("sync_log")
    with db.atomic() as conn:
        return conn.execute(t.delete().where(t.c.at < datetime.now(timezone.utc) - timedelta(days=days))).rowcount


def record_errors(db: Database, errors: list[dict[str, Any]]) -> None:
    """Upsert the open error of each record (one per record: the latest)."""
    t = db.table("sync_error")
    now = datetime.now(timezone.utc)
    with db.atomic() as conn:
        for e in errors:
            key = sa.and_(t.c.object == e["object"], t.c.record_id == e["record_id"])
            values = {k: e.get(k) for k in ("crm_object", "crm_id", "error_class", "code", "message", "fix")}
            values["fields"] = json.dumps(list(e.get("fields") or []))
            done = conn.execute(t.update().where(key).values(last_at=now, count=t.c.count + 1, **values)).rowcount
            if not done:
                conn.execute(t.insert().values(object=e["object"], record_id=e["record_id"], first_at=now,
                                               last_at=now, count=1, **values))


def clear_errors(db: Database, obj: str, record_ids: Iterable[int]) -> None:
    t = db.table("sync_error")
    ids = list(record_ids)
    with db.atomic() as conn:
        for i in range(0, len(ids), 900):
            conn.execute(t.delete().where(t.c.object == obj, t.c.record_id.in_(ids[i:i + 900])))


def open_errors(db: Database, code: str | None = None, person_id: int | None = None) -> list[dict[str, Any]]:
    """Open sync errors, newest first; only one code's, or one person's, when given."""
    t = db.table("sync_error")
    stmt = sa.select(t).order_by(t.c.last_at.desc())
    if code:
        stmt = stmt.where(t.c.code == code)
    if person_id is not None:
        stmt = stmt.where(t.c.object == "person", t.c.record_id == person_id)
    with db.engine.connect() as conn:
        rows = [row_dict(r) for r in conn.execute(stmt).mappings()]
    for r in rows:
        r["fields"] = json.loads(r["fields"] or "[]")
    return rows


def add_cycle(db: Database, row: dict[str, Any]) -> None:
    add_cycles(db, [row])


def add_cycles(db: Database, rows: list[dict[str, Any]]) -> None:
    if rows:
        with db.atomic() as conn:
            conn.execute(db.table("sync_cycle").insert(), rows)


def cycles_since(db: Database, since: datetime, obj: str | None = "all") -> list[dict[str, Any]]:
    """Cycle metrics since a time: the totals rows (object 'all'), one object's rows, or every row (None)."""
    t = db.table("sync_cycle")
    stmt = sa.select(t).where(t.c.started_at >= since).order_by(t.c.id)
    if obj is not None:
        stmt = stmt.where(t.c.object == obj)
    with db.engine.connect() as conn:
        return [row_dict(r) for r in conn.execute(stmt).mappings()]


def add_alert(db: Database, kind: str, severity: str, message: str, data: dict[str, Any] | None = None) -> None:
    with db.atomic() as conn:
        conn.execute(db.table("alert").insert().values(at=datetime.now(timezone.utc), kind=kind, severity=severity,
                                                       message=message, data=json.dumps(data or {}, default=str)))


def alerts(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    t = db.table("alert")
    with db.engine.connect() as conn:
        return [row_dict(r) for r in conn.execute(sa.select(t).order_by(t.c.id.desc()).limit(limit)).mappings()]


def deactivate_links(db: Database, system: str, crm_object: str, crm_ids: Iterable[str]) -> int:
    """Mark crosswalk links inactive (the CRM record was deleted or replaced by a conversion)."""
    t = db.table("crm_link")
    ids = list(crm_ids)
    n = 0
    with db.atomic() as conn:
        for i in range(0, len(ids), 900):
            n += conn.execute(t.update().where(t.c.system == system, t.c.crm_object == crm_object,
                                               t.c.crm_id.in_(ids[i:i + 900])).values(active=False)).rowcount
    return n


def active_links(db: Database, obj: str, record_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """record id → [(crm_object, crm_id)] of its active links, newest first."""
    t = db.table("crm_link")
    ids = list(record_ids)
    out: dict[int, list[tuple[str, str]]] = {}
    with db.engine.connect() as conn:
        for i in range(0, len(ids), 900):
            stmt = sa.select(t.c.record_id, t.c.crm_object, t.c.crm_id).where(
                t.c.object == obj, t.c.active.is_(True), t.c.record_id.in_(ids[i:i + 900])).order_by(t.c.id.desc())
            for rid, co, cid in conn.execute(stmt):
                out.setdefault(rid, []).append((co, cid))
    return out


def linked_records(db: Database, system: str, crm_object: str | None, crm_ids: Iterable[str]) -> dict[str, int]:
    """crm id → local record id, through active crosswalk links only (of any CRM object when None)."""
    t = db.table("crm_link")
    ids = list(crm_ids)
    out: dict[str, int] = {}
    with db.engine.connect() as conn:
        for i in range(0, len(ids), 900):
            stmt = sa.select(t.c.crm_id, t.c.record_id).where(
                t.c.system == system, t.c.active.is_(True), t.c.crm_id.in_(ids[i:i + 900])).order_by(t.c.id)
            if crm_object:
                stmt = stmt.where(t.c.crm_object == crm_object)
            for cid, rid in conn.execute(stmt):
                out[cid] = rid
    return out


def errors_with_code(db: Database, obj: str, record_ids: Iterable[int], code: str) -> dict[int, dict[str, Any]]:
    """The open errors with `code` of these records."""
    t = db.table("sync_error")
    ids = list(record_ids)
    out: dict[int, dict[str, Any]] = {}
    with db.engine.connect() as conn:
        for i in range(0, len(ids), 900):
            stmt = sa.select(t).where(t.c.object == obj, t.c.code == code, t.c.record_id.in_(ids[i:i + 900]))
            for r in conn.execute(stmt).mappings():
                out[r["record_id"]] = row_dict(r)
    return out


def get_bases(db: Database, obj: str, record_ids: Iterable[int]) -> dict[int, tuple[str, dict[str, Any]]]:
    """Sync bases of records: record id → (CRM object, {field: last agreed value})."""
    t = db.table("sync_base")
    ids = sorted(set(record_ids))
    out: dict[int, tuple[str, dict[str, Any]]] = {}
    with db.engine.connect() as conn:
        for i in range(0, len(ids), 900):
            for r in conn.execute(sa.select(t.c.record_id, t.c.crm_object, t.c.base).where(
                    t.c.object == obj, t.c.record_id.in_(ids[i:i + 900]))):
                out[r.record_id] = (r.crm_object, orjson.loads(r.base))
    return out


def save_bases(db: Database, obj: str, bases: dict[int, tuple[str, dict[str, Any]]], replace: bool = False) -> None:
    """Merge agreed values into the records' sync bases (a base of another CRM object is replaced);
    `replace`: the values are whole bases (a record's first push), stored without reading the old."""
    if not bases:
        return
    t = db.table("sync_base")
    now = datetime.now(timezone.utc)
    columns, head = ("record_id", "crm_object", "base"), {"object": obj, "updated_at": now}
    if replace:
        ids = list(bases)
        with db.atomic() as conn:
            for i in range(0, len(ids), 900):
                conn.execute(t.delete().where(t.c.object == obj, t.c.record_id.in_(ids[i:i + 900])))
            records.insert_with_head(conn, t, head, columns,
                                     [(rid, co, to_json(values)) for rid, (co, values) in bases.items()])
        return
    have = get_bases(db, obj, bases)
    inserts, updates = [], []
    for rid, (crm_object, values) in bases.items():
        old = have.get(rid)
        if old is None:
            inserts.append((rid, crm_object, to_json(values)))
        else:
            merged = {**old[1], **values} if old[0] == crm_object else values
            updates.append((crm_object, to_json(merged), rid))
    with db.atomic() as conn:
        if inserts:
            records.insert_with_head(conn, t, head, columns, inserts)
        if updates:
            # one driver-level executemany (the Core statement's per-row parameter work was most of its time)
            mark = param_mark(conn)
            process = t.c.updated_at.type.bind_processor(conn.dialect)
            at = process(now) if process else now
            conn.exec_driver_sql(f"UPDATE sync_base SET crm_object = {mark}, base = {mark}, updated_at = {mark} "
                                 f"WHERE object = {mark} AND record_id = {mark}",
                                 [(co, base, at, obj, rid) for co, base, rid in updates])
