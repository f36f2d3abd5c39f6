"""A parallel import (worker processes writing side by side) ends exactly where a serial one does."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from leadbridge.errors import ImportFileError
from leadbridge.importing import ImportOptions, run_import
from leadbridge.importing.parallel import auto_workers
from leadbridge.importing.sources import ListFile
from leadbridge.workspace import Workspace

HEADER = ["First Name", "Last Name", "E-mail", "Company", "Country", "Phone", "Notes"]
COUNTRIES = ["USA", "Deutschland", "美国", "France", "United Kingdom"]


def _rows(n: int) -> list[list[str]]:
    rows = [[f"First{i}", f"Last{i}", f"p{i}@example.com", f"Co {i % 7} GmbH", COUNTRIES[i % 5],
             f"+1 415 555 {i % 10000:04d}", f"note {i}"] for i in range(n)]
    for i in range(0, n, 97):  # a duplicate of an earlier row, far away in the file: the later values win
        rows.append(["", f"Later{i}", f"P{i}@Example.com ", "", "", "", f"later {i}"])
    for i in range(0, n, 131):  # rows that cannot be imported, spread over the file
        rows.insert(i, ["No", "Email", "", "X", "", "", "no key"])
        rows.insert(i + 1, ["too", "many", f"r{i}@example.com", "", "", "", "", "extra cell"])
    return rows


def _write(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([HEADER, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _state(ws: Workspace) -> dict:
    # comments (an append field) are left out: duplicate rows in one batch collapse to the later value, in two
    # batches the later one is appended, and a worker's batches hold other rows than a serial import's
    people = {p["email"]: {k: p[k] for k in ("first_name", "last_name", "company", "country", "phone",
                                              "person_source", "territory", "time_zone")}
              for p in ws.list(limit=None)}
    return {"people": people, "members": len(ws.list("campaign_member", limit=None))}


def _import(ws: Workspace, f: Path, workers: int, tmp: Path, **kw):
    return run_import(ws, f, ImportOptions(list_name="Expo", workers=workers, rejects=tmp / f"rej-{workers}.csv", **kw))


def test_two_workers_store_and_account_exactly_what_one_does(db_url, tmp_path):
    f = _write(tmp_path / "list.csv", _rows(1500))
    results = {}
    for workers in (1, 2):
        ws = Workspace.init(tmp_path / f"ws{workers}", database_url=db_url if workers == 2 else None)
        ws.config.write.batch_size = 100  # several batches per worker, duplicates across batches
        rep = _import(ws, f, workers, tmp_path)
        assert rep.balanced and rep.workers == workers
        assert ws.pipeline.conflicts == 0
        results[workers] = (rep, _state(ws), (tmp_path / f"rej-{workers}.csv").read_text(encoding="utf-8"))
        again = _import(ws, f, workers, tmp_path)
        # the same file again: nothing new (a person whose duplicate rows fall in two batches is set to the
        # earlier row's values and back again, in both modes)
        assert again.created == 0 and again.balanced and _state(ws) == results[workers][1]
        ws.close()
    (one, state1, rejects1), (two, state2, rejects2) = results[1], results[2]
    counts = ("rows_read", "created", "updated", "unchanged", "collapsed", "rejected", "members")
    assert [getattr(two, c) for c in counts] == [getattr(one, c) for c in counts]
    assert two.reject_reasons == one.reject_reasons and one.rejected == 2 * len(range(0, 1500, 131))
    assert state2 == state1
    assert state2["people"]["P97@example.com"]["last_name"] == "Later97"  # the later row won (its e-mail too)
    assert rejects2 == rejects1  # the rejects file in file order, whoever wrote the rows
    numbers = [int(r["leadbridge_row"]) for r in csv.DictReader(io.StringIO(rejects2))]
    assert numbers == sorted(numbers)


def test_each_person_is_created_once_with_its_history_and_outbox(workspace, tmp_path):
    workspace.config.write.batch_size = 150
    f = _write(tmp_path / "list.csv", _rows(900))
    rep = _import(workspace, f, 2, tmp_path)
    assert rep.created == 900 and rep.workers == 2
    p = workspace.list(where="email = 'p5@example.com'")[0]
    history = workspace.history(p["id"])
    assert [h["field"] for h in history].count("email") == 1
    assert {h["source"] for h in history} == {"list_import"}
    from leadbridge.store import outbox
    assert outbox.backlog(workspace.db, "person") == {"pending": 900}
    assert outbox.backlog(workspace.db, "campaign_member") == {"pending": 900}  # each list membership too


WRITER = """
import sys
from pathlib import Path
from leadbridge.importing import ImportOptions, run_import
from leadbridge.workspace import Workspace
ws = Workspace.open(sys.argv[1])
ws.config.write.batch_size = 50
run_import(ws, Path(sys.argv[2]), ImportOptions(list_name="L", workers=2),
           progress=lambda done, n: print(done, flush=True))
"""


def test_killed_parallel_import_resumes_with_its_workers(workspace, tmp_path):
    f = _write(tmp_path / "big.csv", _rows(4000))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(workspace.root), str(f)], stdout=subprocess.PIPE,
                            text=True, cwd=tmp_path)
    for _ in range(6):
        assert proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)  # the coordinator: its workers stop before their next batch
    proc.wait()
    before = workspace.count()
    assert 0 < before < 4000
    with pytest.raises(ImportFileError, match="was interrupted"):
        run_import(workspace, f, ImportOptions(list_name="L"))
    rep = run_import(workspace, f, ImportOptions(list_name="L", resume=True, rejects=tmp_path / "r.csv"))
    assert rep.workers == 2 and rep.resumed_batches >= 3 and rep.balanced  # the run's own plan, not this file size's
    assert rep.rows_read == len(_rows(4000)) and workspace.count() == 4000
    assert rep.created + rep.updated + rep.unchanged + rep.collapsed == rep.rows_read - rep.rejected
    p = workspace.list(where="email = 'p1@example.com'")[0]
    assert [h["field"] for h in workspace.history(p["id"])].count("first_name") == 1  # applied once
    assert len(workspace.list("campaign_member", limit=None)) == 4000


def test_a_worker_that_cannot_start_stops_the_import_with_its_error(workspace, tmp_path):
    f = _write(tmp_path / "list.csv", _rows(300))
    workspace.db.url = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # what the workers will be told
    with pytest.raises(Exception, match="import worker|cannot reach|connect"):
        _import(workspace, f, 2, tmp_path)


def test_workers_only_for_a_large_csv_and_the_default_stages(workspace, tmp_path):
    f = _write(tmp_path / "small.csv", _rows(50))
    lf = ListFile(f)
    assert auto_workers(workspace, lf, ImportOptions()) == 1  # small: one process
    assert auto_workers(workspace, lf, ImportOptions(workers=3)) == 3
    assert auto_workers(workspace, lf, ImportOptions(workers=3, dry_run=True)) == 1
    lf.info.size = 10**9
    assert auto_workers(workspace, lf, ImportOptions()) == min(8, os.cpu_count() or 1)

    class Custom:
        name = "custom"

        def __call__(self, items, ctx):
            pass
    workspace.stages.append(Custom())  # workers could not run it: one process
    assert auto_workers(workspace, lf, ImportOptions(workers=3)) == 1


def test_cli_workers_option(workspace, tmp_path, capsys, monkeypatch):
    from leadbridge.cli.main import main
    f = _write(tmp_path / "list.csv", _rows(200))
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(f), "-w", str(workspace.root), "--workers", "2", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["workers"] == 2 and rep["created"] == 200 and rep["balanced"]
