"""Sandbox records: held in memory, written through to SQLite (WAL) under the data folder."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import orjson

from leadbridge.sandbox import ids

_SCHEMA = """
CREATE TABLE IF NOT EXISTS record (object TEXT NOT NULL, id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deleted (object TEXT NOT NULL, id TEXT PRIMARY KEY, data TEXT NOT NULL, deleted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def sf_now() -> str:
    """Salesforce's datetime format, millisecond precision: 2026-11-22T10:00:00.000+0000."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class Store:
    """Records per object in memory; every change also lands in SQLite before the response is sent."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self.deleted: dict[str, dict[str, dict[str, Any]]] = {}
        for obj, rid, data in self.db.execute("SELECT object, id, data FROM record"):
            self.records.setdefault(obj, {})[rid] = json.loads(data)
        for obj, rid, data, at in self.db.execute("SELECT object, id, data, deleted_at FROM deleted"):
            self.deleted.setdefault(obj, {})[rid] = {**json.loads(data), "_deleted_at": at}
        self.counter = int(self.meta("counter") or 0)

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def new_id(self, prefix: str) -> str:
        """An 18-character id with the object's key prefix (unique within this sandbox)."""
        self.counter += 1
        return ids.make(prefix, self.counter)

    def table(self, obj: str) -> dict[str, dict[str, Any]]:
        return self.records.setdefault(obj, {})

    def get(self, obj: str, rid: str) -> dict[str, Any] | None:
        return self.records.get(obj, {}).get(rid)

    def save(self, obj: str, recs: Iterable[dict[str, Any]]) -> None:
        """Persist records (already changed in memory) in one transaction."""
        self.save_many({obj: list(recs)})

    def save_many(self, by_object: dict[str, list[dict[str, Any]]], deleted: dict[str, list[str]] | None = None) -> None:
        """Persist changed records of several objects, and deletions, in one transaction."""
        rows = [(obj, r["Id"], orjson.dumps(r, default=str).decode()) for obj, recs in by_object.items() for r in recs]
        gone = [(obj, rid) for obj, rids in (deleted or {}).items() for rid in rids]
        if not rows and not gone:
            return
        with self.lock:
            self.db.execute("BEGIN")
            try:
                if rows:
                    self.db.executemany("INSERT INTO record (object, id, data) VALUES (?, ?, ?) "
                                        "ON CONFLICT(id) DO UPDATE SET data = excluded.data", rows)
                for obj, rid in gone:
                    rec = self.deleted[obj][rid]
                    self.db.execute("DELETE FROM record WHERE id = ?", (rid,))
                    self.db.execute("INSERT OR REPLACE INTO deleted (object, id, data, deleted_at) VALUES (?, ?, ?, ?)",
                                    (obj, rid, json.dumps({k: v for k, v in rec.items() if k != "_deleted_at"},
                                                          default=str), rec["_deleted_at"]))
                self.set_meta("counter", str(self.counter))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def mark_deleted(self, obj: str, rid: str, **extra: Any) -> dict[str, Any] | None:
        """Move a record to the recycle bin in memory (persist with save_many(deleted=…))."""
        rec = self.records.get(obj, {}).pop(rid, None)
        if rec is None:
            return None
        now = sf_now()
        rec = {**rec, **extra, "IsDeleted": True, "SystemModstamp": now, "_deleted_at": now}
        self.deleted.setdefault(obj, {})[rid] = rec
        return rec

    def delete(self, obj: str, rids: Iterable[str]) -> None:
        done = [rid for rid in rids if self.mark_deleted(obj, rid) is not None]
        self.save_many({}, {obj: done})

    def reset(self) -> None:
        with self.lock:
            self.db.executescript("DELETE FROM record; DELETE FROM deleted; DELETE FROM meta;")
            self.records.clear()
            self.deleted.clear()
            self.counter = 0

    def close(self) -> None:
        with self.lock:
            self.db.close()
