"""The CLI as a user runs it: init, fields, people, --json, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ws_with_people(workspace: Workspace) -> Workspace:
    workspace.write([
        Change({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "country": "US",
                "lead_score": 70}),
        Change({"first_name": "Bo", "last_name": "Li", "email": "bo@example.com", "lead_score": 20}),
        Change({"first_name": "Cy", "last_name": "Ng", "email": "", "country": "DE", "lead_score": 90}),
    ], SourceKind.LIST_IMPORT)
    return workspace


def test_init_creates_config_schema_and_database(tmp_path: Path, capsys):
    code, out, _ = run(capsys, "init", str(tmp_path / "new"))
    assert code == 0 and "created" in out
    assert (tmp_path / "new" / "leadbridge.yaml").read_text().startswith("# yaml-language-server")
    assert json.loads((tmp_path / "new" / "leadbridge.schema.json").read_text())["title"] == "leadbridge.yaml"
    assert (tmp_path / "new" / "leadbridge.db").exists()
    code, _, err = run(capsys, "init", str(tmp_path / "new"))
    assert code == 1 and "already exists" in err and "--force" in err


def test_people_list_where_json(ws_with_people: Workspace, capsys):
    w = str(ws_with_people.root)
    code, out, _ = run(capsys, "people", "list", "-w", w, "--where", "email is not empty and lead_score > 50",
                       "--json")
    assert code == 0
    assert [p["email"] for p in json.loads(out)] == ["ann@example.com"]
    code, out, _ = run(capsys, "people", "list", "-w", w, "--where", "country is empty", "--json")
    assert [p["first_name"] for p in json.loads(out)] == ["Bo"]
    code, out, _ = run(capsys, "people", "list", "-w", w, "--where", "updated_at < -30d", "--count", "--json")
    assert json.loads(out) == {"count": 0}
    code, out, _ = run(capsys, "people", "list", "-w", w)
    assert code == 0 and "3 of 3 people" in out and "Ann" in out and "Cy" in out  # a table, any terminal width


def test_bad_filter_is_one_line_with_a_hint(ws_with_people: Workspace, capsys):
    code, out, err = run(capsys, "people", "list", "-w", str(ws_with_people.root), "--where", "countyr is empty")
    assert code == 1 and "unknown field 'countyr'" in err and "next:" in err and "Traceback" not in err + out
    code, _, err = run(capsys, "people", "list", "-w", str(ws_with_people.root), "--where", "lead_score >")
    assert code == 1 and "expected a value" in err


def test_edit_show_history(ws_with_people: Workspace, capsys):
    w = str(ws_with_people.root)
    pid = ws_with_people.list(where="email = 'ann@example.com'")[0]["id"]
    code, out, _ = run(capsys, "people", "edit", "-w", w, str(pid), "title=CTO", "lead_score=75")
    assert code == 0 and "title" in out and "CTO" in out
    code, out, _ = run(capsys, "people", "show", "-w", w, str(pid), "--json")
    assert json.loads(out)["title"] == "CTO"
    code, out, _ = run(capsys, "people", "history", "-w", w, str(pid), "--json", "--field", "title")
    assert [(h["source"], h["old"], h["new"]) for h in json.loads(out)] == [("ui", None, "CTO")]
    code, _, err = run(capsys, "people", "edit", "-w", w, str(pid), "lead_score=lots")
    assert code == 1 and "'lots' is not a valid integer" in err
    code, _, err = run(capsys, "people", "show", "-w", w, "9999")
    assert code == 1 and "no person with id 9999" in err


def test_edit_dry_run_changes_nothing(ws_with_people: Workspace, capsys):
    pid = ws_with_people.list(where="email = 'bo@example.com'")[0]["id"]
    code, out, _ = run(capsys, "people", "edit", "-w", str(ws_with_people.root), str(pid), "title=CEO",
                       "--dry-run", "--json")
    assert code == 0 and json.loads(out)["changed"]["title"] == {"old": None, "new": "CEO"}
    assert ws_with_people.get(pid)["title"] is None
    # the dry run goes through the write path: it shows the normalized value the write would store
    code, out, _ = run(capsys, "people", "edit", "-w", str(ws_with_people.root), str(pid), "country=Deutschland",
                       "--dry-run", "--json")
    assert json.loads(out)["changed"]["country"]["new"] == "Germany"
    assert ws_with_people.get(pid)["country"] is None
    assert [h for h in ws_with_people.history(pid) if h["field"] in ("title", "country")] == []


def test_add_a_person_and_edit_a_missing_one(ws_with_people: Workspace, capsys):
    w = str(ws_with_people.root)
    code, out, _ = run(capsys, "people", "add", "-w", w, "email=dee@example.com", "first_name=Dee",
                       "country=États-Unis", "--json")
    res = json.loads(out)
    assert code == 0 and res["outcome"] == "created" and res["changed"]["country"]["new"] == "United States"
    assert ws_with_people.get(res["id"])["first_name"] == "Dee"
    code, out, _ = run(capsys, "people", "add", "-w", w, "email=DEE@example.com", "title=COO", "--json")
    assert json.loads(out)["id"] == res["id"] and json.loads(out)["outcome"] == "updated"  # same email: same person
    code, _, err = run(capsys, "people", "edit", "-w", w, "9999", "title=CTO")
    assert code == 1 and "no person with id 9999" in err and "people list" in err


def test_picklist_values_are_enforced(ws_with_people: Workspace, capsys):
    w = str(ws_with_people.root)
    run(capsys, "fields", "add", "-w", w, "interest", "--type", "picklist", "--values", "Analytics,Platform")
    run(capsys, "fields", "add", "-w", w, "products", "--type", "multipicklist", "--values", "A,B,C")
    pid = ws_with_people.list(where="email = 'bo@example.com'")[0]["id"]
    code, _, err = run(capsys, "people", "edit", "-w", w, str(pid), "interest=Hardware")
    assert code == 1 and "'interest'" in err and "'Hardware'" in err and "Analytics, Platform" in err
    code, _, _ = run(capsys, "people", "edit", "-w", w, str(pid), "interest=platform", "products=c; a;C")
    ws = Workspace.open(ws_with_people.root)
    assert code == 0 and ws.get(pid)["interest"] == "Platform" and ws.get(pid)["products"] == "C;A"
    code, _, err = run(capsys, "people", "edit", "-w", w, str(pid), "products=A;Z")
    assert code == 1 and "'products'" in err
    ws.close()


def test_fields_add_and_list(workspace: Workspace, capsys):
    w = str(workspace.root)
    code, out, _ = run(capsys, "fields", "add", "-w", w, "product_interest", "--type", "picklist",
                       "--values", "a,b,c")
    assert code == 0
    code, out, _ = run(capsys, "fields", "list", "-w", w, "--custom", "--json")
    assert json.loads(out) == [{"name": "product_interest", "type": "picklist", "label": "Product interest",
                                "length": None, "values": ["a", "b", "c"], "custom": True, "indexed": True,
                                "references": None}]
    code, _, err = run(capsys, "fields", "add", "-w", w, "x", "--type", "colour")
    assert code == 1 and "unknown field type 'colour'" in err and "picklist" in err
    code, _, err = run(capsys, "fields", "add", "-w", w, "product_interest", "--type", "string")
    assert code == 1 and "already exists" in err


def test_no_workspace_says_what_to_do(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEADBRIDGE_WORKSPACE", raising=False)
    code, _, err = run(capsys, "people", "list")
    assert code == 1 and "leadbridge init" in err


def test_the_installed_command_runs(tmp_path: Path):
    exe = Path(sys.executable).parent / "leadbridge"
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "people" in proc.stdout


def test_every_command_has_help(capsys):
    for group in (["people"], ["people", "add"], ["fields"], ["db"], ["config"]):
        code, out, _ = run(capsys, *group, "--help")
        assert code == 0 and "Usage" in out
