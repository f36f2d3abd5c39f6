"""Stored-once texts: a string that many rows repeat (a note in field history, an outbox entry's field
list) is kept once in `stored_text` and referred to by a number, its 63-bit hash.

The number is known without the database (`text_id`), so a batch prepared outside the write lock can
build its rows with it; the texts are added under the lock (`save`), never changed, never removed.
A field-history entry whose note is a number, or an outbox entry whose fields are a number, is read
back through `load`.
"""

from __future__ import annotations

from hashlib import blake2b
from typing import Iterable

import sqlalchemy as sa

from leadbridge.store.database import Database
from leadbridge.store.rows import chunks, param_mark


def text_id(text: str) -> int:
    """The number that stands for `text` (the first 63 bits of its BLAKE2b hash)."""
    return int.from_bytes(blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big") >> 1


def save(conn: sa.Connection, db: Database, texts: dict[int, str]) -> None:
    """Store these texts (id → text); ones already stored are left as they are."""
    if not texts:
        return
    mark = param_mark(conn)
    conn.exec_driver_sql(f"INSERT INTO stored_text (id, text) VALUES ({mark}, {mark}) ON CONFLICT (id) DO NOTHING",
                         list(texts.items()))


def load(conn: sa.Connection, db: Database, ids: Iterable[int]) -> dict[int, str]:
    """The texts of these numbers."""
    wanted = sorted(set(ids))
    t = db.table("stored_text")
    out: dict[int, str] = {}
    for part in chunks(wanted):
        out.update(conn.execute(sa.select(t.c.id, t.c.text).where(t.c.id.in_(part))).all())
    return out
