"""A killed writer leaves whole batches or nothing; concurrent writers lose no field change."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace

WRITER = """
import sys
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace
ws = Workspace.open(sys.argv[1])
ws.config.write.batch_size = 500
n = 0
print("ready", flush=True)
while True:
    ws.write([Change({"email": f"a{sys.argv[2]}-p{n + i}@example.com", "last_name": "K", "title": "T"}) for i in range(500)],
             SourceKind.API)
    n += 500
"""


def _counts(ws: Workspace) -> tuple[int, int, int, int]:
    with ws.db.engine.connect() as conn:
        def count(name: str) -> int:
            return conn.execute(sa.select(sa.func.count()).select_from(ws.db.table(name))).scalar_one()
        return count("person"), count("record_change"), count("outbox"), count("write_batch")


def test_kill_9_mid_batch_leaves_whole_batches(workspace: Workspace, tmp_path: Path):
    rnd = random.Random(42)
    for attempt in range(4):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(workspace.root), str(attempt)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(0.3 + rnd.random() * 1.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        people, history, outbox, batches = _counts(workspace)
        assert people % 500 == 0, f"attempt {attempt}: a partial batch of people ({people})"
        assert people == history == outbox == batches * 500
    assert people > 0


def test_two_writers_on_one_person_lose_no_field_change(workspace: Workspace):
    pid = workspace.write([Change({"email": "shared@example.com"})], SourceKind.API).items[0].id
    errors: list[BaseException] = []

    def writer(field: str) -> None:
        try:
            ws = Workspace.open(workspace.root, database_url=workspace.db.url)
            for i in range(40):
                ws.write([Change({field: f"{field}-{i}"}, id=pid)], SourceKind.API)
            ws.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f,)) for f in ("title", "city")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    rec = workspace.get(pid)
    assert (rec["title"], rec["city"]) == ("title-39", "city-39")
    fields = [h["field"] for h in workspace.history(pid)]
    assert fields.count("title") == 40 and fields.count("city") == 40
