"""`standards apply` runs through the one write path with a run id; `standards revert RUN` undoes one run."""

from __future__ import annotations

import json

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.standards.apply import apply_standards, list_runs, revert_run
from leadbridge.workspace import Workspace


def messy(ws: Workspace) -> list[int]:
    ws.config.standards.enabled = False
    ids = ws.write([Change({"email": "a@example.org", "country": "deutschland", "last_name": "SMITH",
                            "phone": "030 1234567"}),
                    Change({"email": "b@example.org", "country": "USA", "state": "Calif.", "last_name": "lee",
                            "industry": "tech"}),
                    Change({"email": "c@example.org", "country": "Narnia", "last_name": "Ok"})], SourceKind.API).ids
    ws.write([Change({"name": "ACME GMBH", "country": "Deutschland"})], SourceKind.API, obj="company")
    ws.config.standards.enabled = True
    return ids


def test_apply_then_revert_keeps_later_edits(workspace: Workspace):
    a, b, c = messy(workspace)
    summary = apply_standards(workspace)
    run = summary["run_id"]
    assert run.startswith("std-") and summary["checked"] == 4 and summary["changed"] == 4
    assert summary["fields"]["country"] == [{"old": "deutschland", "new": "Germany", "count": 1},
                                            {"old": "USA", "new": "United States", "count": 1}]
    assert summary["fields"]["company.name"] == [{"old": "ACME GMBH", "new": "Acme GmbH", "count": 1}]
    assert (workspace.get(a)["phone"], workspace.get(b)["state"]) == ("+49301234567", "CA")
    assert workspace.get(c)["data_invalid"] is True  # Narnia: now flagged
    assert {h["source_detail"] for h in workspace.history(a) if h["source"] == "standards"} == \
        {f"standards apply {run}"}
    workspace.write([Change({"last_name": "Smith-Jones"}, id=a)], SourceKind.UI)  # edited after the run
    dry = revert_run(workspace, run, dry_run=True)
    assert dry["restored"]["country"] == 3 and workspace.get(a)["country"] == "Germany"
    out = revert_run(workspace, run)
    assert out["kept_later_edits"] == [{"object": "person", "id": a, "field": "last_name", "value": "Smith-Jones"}]
    ra, rb, rc = (workspace.get(i) for i in (a, b, c))
    assert (ra["country"], ra["phone"], ra["last_name"]) == ("deutschland", "030 1234567", "Smith-Jones")
    assert (rb["country"], rb["state"], rb["last_name"]) == ("USA", "Calif.", "lee")
    assert rc["data_invalid"] is None  # as before the run
    assert workspace.list("company")[0]["name"] == "ACME GMBH"
    assert [r["reverted"] for r in list_runs(workspace)] == [True]


def test_apply_where_and_dry_run(workspace: Workspace):
    a, b, _ = messy(workspace)
    dry = apply_standards(workspace, "country = USA", dry_run=True, objects=("person",))
    assert dry["run_id"] is None and dry["checked"] == 1 and workspace.get(b)["country"] == "USA"
    apply_standards(workspace, "country = USA", objects=("person",))
    assert workspace.get(b)["country"] == "United States" and workspace.get(a)["country"] == "deutschland"


def test_standards_cli(workspace: Workspace, capsys, tmp_path):
    messy(workspace)
    w = str(workspace.root)
    assert main(["standards", "apply", "-w", w, "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changed"] == 4
    assert main(["standards", "apply", "-w", w]) == 0
    out = capsys.readouterr().out
    assert "changed 4 of 4 records" in out and "'deutschland' → 'Germany'" in out
    run = out.split("run id: ")[1].split()[0]
    assert main(["standards", "runs", "-w", w, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["run_id"] == run
    assert main(["standards", "revert", "-w", w, run, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["restored"]["country"] == 3  # 2 people, 1 company
    assert main(["standards", "revert", "-w", w, run]) == 1
    assert "already reverted" in capsys.readouterr().err
    assert main(["standards", "revert", "-w", w, "std-nope"]) == 1
    assert "standards runs" in capsys.readouterr().err


def test_apply_summary_lists_more_than_it_shows(workspace: Workspace, capsys):
    workspace.config.standards.enabled = False
    workspace.write([Change({"email": f"p{i}@example.org", "last_name": f"NAME{i}"}) for i in range(20)],
                    SourceKind.API)
    workspace.config.standards.enabled = True
    assert main(["standards", "apply", "-w", str(workspace.root), "--object", "person"]) == 0
    assert "last_name: … 5 more changes (5 records; --json lists all)" in capsys.readouterr().out


def test_check_cli_errors_are_one_line(capsys, tmp_path):
    assert main(["standards", "check", "--field", "country", "--file", str(tmp_path / "missing.txt")]) == 1
    assert "no file" in capsys.readouterr().err
    (tmp_path / "latin1.txt").write_bytes("España\n".encode("latin-1"))
    assert main(["standards", "check", "--field", "country", "--file", str(tmp_path / "latin1.txt")]) == 1
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "Traceback" not in err
    assert main(["standards", "check", "--field", "phone", "--country", "United States", "415-555-0132 x123",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["value"] == "+14155550132 ext. 123"
    assert main(["standards", "check", "--field", "state", "--country", "USA", "Calif.", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["code"] == "US-CA"
    assert main(["standards", "check", "--field", "state", "Calif."]) == 1
    assert "--country" in capsys.readouterr().err
