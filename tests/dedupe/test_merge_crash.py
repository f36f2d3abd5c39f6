"""A killed auto-merge leaves whole merges or none, and a rerun finishes the job (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from leadbridge.dedupe.find import auto_merge
from leadbridge.model import Change, SourceKind
from leadbridge.store import dedupe_state
from leadbridge.workspace import Workspace

MERGER = """
import sys
from leadbridge.dedupe.find import auto_merge
from leadbridge.workspace import Workspace
ws = Workspace.open(sys.argv[1])
print("ready", flush=True)
auto_merge(ws)
print("done", flush=True)
"""
PAIRS = 300


def seed(ws: Workspace) -> None:
    """PAIRS people twice (gmail dots apart), each first record in a list."""
    rows = []
    for i in range(PAIRS):
        rows.append(Change({"first_name": f"Ann{i:03d}", "last_name": f"Lee{i:03d}", "email": f"ann.lee{i}@gmail.com",
                            "company": f"Initech {i}"}))
        rows.append(Change({"first_name": f"Ann{i:03d}", "last_name": f"Lee{i:03d}", "email": f"annlee{i}@gmail.com",
                            "company": f"Initech {i}"}))
    ids = ws.write(rows, SourceKind.LIST_IMPORT).ids
    camp = ws.write([Change({"name": "Expo", "is_list": True})], SourceKind.UI, "campaign").ids[0]
    ws.write([Change({"campaign_id": camp, "person_id": pid}) for pid in ids[1::2]], SourceKind.LIST_IMPORT,
             "campaign_member")


def consistent(ws: Workspace) -> int:
    """Every merged-away person has its merge event and no membership left; returns the merges."""
    events = [m for m in dedupe_state.merges(ws.db, limit=10_000) if not m["undone_at"]]
    losers = {l: m["winner_id"] for m in events for l in m["loser_ids"]}
    people = ws.db.object_table("person")
    members = ws.db.object_table("campaign_member")
    with ws.db.engine.connect() as conn:
        merged = dict(conn.execute(sa.select(people.c.id, people.c.merged_into_id)
                                   .where(people.c.merged_into_id.is_not(None))).all())
        on_losers = conn.execute(sa.select(sa.func.count()).where(members.c.person_id.in_(list(merged) or [0]))
                                 ).scalar_one()
    assert merged == losers and on_losers == 0
    assert ws.count("campaign_member") == PAIRS
    return len(events)


def test_kill_9_during_auto_merge(workspace: Workspace):
    seed(workspace)
    rnd = random.Random(7)
    done = 0
    for attempt in range(3):
        target = done + rnd.randrange(10, 60)  # kill once this many merges are committed: mid-run
        proc = subprocess.Popen([sys.executable, "-c", MERGER, str(workspace.root)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        while len(dedupe_state.merges(workspace.db, limit=10_000)) < target and proc.poll() is None:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        done = consistent(workspace)
        assert target <= done < PAIRS, f"attempt {attempt}: {done} merges"
    auto_merge(workspace)  # the rerun merges what is left, never a pair twice
    assert consistent(workspace) == PAIRS and workspace.count() == PAIRS
