"""Import runs: one row per import of a file, so an interrupted import can be resumed."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from leadbridge.store.database import Database
from leadbridge.store.records import row_dict


def start(db: Database, file_name: str, sha: str, list_name: str | None) -> int:
    t = db.table("import_run")
    with db.atomic() as conn:
        return conn.execute(t.insert().values(
            file_name=file_name, file_sha256=sha, list_name=list_name, status="running",
            started_at=datetime.now(timezone.utc)).returning(t.c.id)).scalar_one()


def unfinished(db: Database, sha: str) -> dict[str, Any] | None:
    """The latest import of this file content that did not finish."""
    t = db.table("import_run")
    with db.engine.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.file_sha256 == sha, t.c.status != "done")
                           .order_by(t.c.id.desc()).limit(1)).mappings().first()
    return row_dict(row) if row else None


def finish(db: Database, run_id: int, status: str, report: dict[str, Any]) -> None:
    t = db.table("import_run")
    with db.atomic() as conn:
        conn.execute(t.update().where(t.c.id == run_id).values(
            status=status, finished_at=datetime.now(timezone.utc), report=json.dumps(report, default=str)))


def batch_plan_used(db: Database, run_id: int) -> tuple[int, int] | None:
    """(batch size, workers) an earlier attempt of this run committed its batches with (checkpoints
    `import:<run>:size<n>[:w<i>of<count>]:<batch>`), so a resumed run cuts the file into the same batches."""
    t = db.table("write_batch")
    with db.engine.connect() as conn:
        key = conn.execute(sa.select(t.c.checkpoint).where(t.c.checkpoint.like(f"import:{run_id}:size%"))
                           .limit(1)).scalar()
    if not key:
        return None
    parts = key.split(":")
    try:
        workers = int(parts[3].split("of")[1]) if len(parts) == 5 and parts[3].startswith("w") else 1
        return int(parts[2][4:]), workers
    except (IndexError, ValueError):
        return None
