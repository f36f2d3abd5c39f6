"""Sandbox records: held in memory, written through to SQLite (WAL) under the data folder."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

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
        self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, value))

    def new_id(self, prefix: str) -> str:
        """An 18-character id with the object's key prefix (unique within this sandbox)."""
        self.counter += 1
        return f"{prefix}{self.counter:012d}AAA"[:18]

    def table(self, obj: str) -> dict[str, dict[str, Any]]:
        return self.records.setdefault(obj, {})

    def get(self, obj: str, rid: str) -> dict[str, Any] | None:
        return self.records.get(obj, {}).get(rid)

    def save(self, obj: str, recs: Iterable[dict[str, Any]]) -> None:
        """Persist records (already changed in memory) in one transaction."""
        rows = [(obj, r["Id"], json.dumps(r, default=str)) for r in recs]
        if not rows:
            return
        with self.lock:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT INTO record (object, id, data) VALUES (?, ?, ?) "
                                "ON CONFLICT(id) DO UPDATE SET data = excluded.data", rows)
            self.set_meta("counter", str(self.counter))
            self.db.execute("COMMIT")

    def delete(self, obj: str, rids: Iterable[str]) -> None:
        now = sf_now()
        with self.lock:
            self.db.execute("BEGIN")
            for rid in rids:
                rec = self.records.get(obj, {}).pop(rid, None)
                if rec is None:
                    continue
                rec = {**rec, "IsDeleted": True, "SystemModstamp": now}
                self.deleted.setdefault(obj, {})[rid] = {**rec, "_deleted_at": now}
                self.db.execute("DELETE FROM record WHERE id = ?", (rid,))
                self.db.execute("INSERT OR REPLACE INTO deleted (object, id, data, deleted_at) VALUES (?, ?, ?, ?)",
                                (obj, rid, json.dumps(rec, default=str), now))
            self.db.execute("COMMIT")

    def reset(self) -> None:
        with self.lock:
            self.db.executescript("DELETE FROM record; DELETE FROM deleted; DELETE FROM meta;")
            self.records.clear()
            self.deleted.clear()
            self.counter = 0

    def close(self) -> None:
        self.db.close()
