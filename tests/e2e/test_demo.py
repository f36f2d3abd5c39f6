"""`leadbridge demo`, the README's first command: the whole flow runs and leaves a workspace that shows it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from leadbridge.store import sync_state
from leadbridge.workspace import Workspace


@pytest.mark.slow
def test_demo_runs_the_whole_flow(tmp_path):
    root = tmp_path / "demo"
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("LEADBRIDGE_DATABASE_URL", None)  # the embedded SQLite default, as on a fresh machine
    proc = subprocess.run([sys.executable, "-m", "leadbridge.cli.main", "demo", "--dir", str(root)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for step in ("1. import", "2. data standards", "3. edits", "4. duplicates", "5. routing", "6. sync",
                 "7. the audit report"):
        assert step in out, step
    assert "Traceback" not in out + proc.stderr
    assert "REQUIRED_FIELD_MISSING" in out and "STRING_TOO_LONG" in out  # the failures on purpose are shown
    with Workspace.open(root) as ws:
        assert ws.db.url.startswith("sqlite")
        assert ws.count("person") >= 290
        assert sync_state.open_errors(ws.db) == []  # ...and fixed and resynced
        assert ws.count("person", "person_source is empty") == 0
    html = (root / "audit.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Data audit" in html
    assert (root / "rejects.csv").exists()
