"""The sync commands as a user runs them, against a sandbox over HTTPS."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.sandbox import SandboxServer
from leadbridge.workspace import Workspace


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sandbox_env(tmp_path: Path):
    with SandboxServer(tmp_path / "sandbox") as srv:
        srv.write_env(tmp_path / "sandbox.env")
        yield srv, tmp_path / "sandbox.env"


def test_sync_commands_end_to_end(workspace: Workspace, sandbox_env, capsys, tmp_path):
    srv, env = sandbox_env
    w = str(workspace.root)
    workspace.write([Change({"email": "ok@example.com", "last_name": "Ok", "company": "Acme", "country": "France"}),
                     Change({"email": "bad@example.com", "last_name": "Bad", "company": "Acme", "title": "T" * 200}),
                     Change({"email": "na@example.com", "last_name": "Na", "company": "Acme", "country": "Narnia"})],
                    SourceKind.LIST_IMPORT)
    assert run(capsys, "crm", "connect", "-w", w, "--env-file", str(env))[0] == 0
    code, out, _ = run(capsys, "crm", "doctor", "-w", w, "--json")
    checks = {c["check"]: c for c in json.loads(out)}
    assert checks["login"]["ok"] and checks["api version"]["ok"] and checks["api limit"]["ok"]
    code, out, _ = run(capsys, "mapping", "check", "-w", w, "--json")
    problems = json.loads(out)
    country = [p for p in problems if p["field"] == "Country"]
    assert country and country[0]["values"] == {"Narnia": 1} and "standards" in country[0]["fix"]
    code, out, _ = run(capsys, "sync", "run", "-w", w, "--dry-run", "--json")
    assert code == 0 and len(json.loads(out)["dry_run"]) == 2 and not srv.org.store.table("Lead")  # Narnia filtered
    code, out, _ = run(capsys, "sync", "run", "-w", w, "--once", "--json")
    cycle = json.loads(out)
    assert (cycle["pushed"], cycle["failed"], cycle["skipped"]) == (1, 1, 1)  # Narnia: flagged, not sent
    code, out, _ = run(capsys, "sync", "errors", "-w", w, "--group-by", "code", "--json")
    assert json.loads(out)[0]["code"] == "STRING_TOO_LONG" and json.loads(out)[0]["count"] == 1
    assert run(capsys, "sync", "errors", "-w", w, "--export", str(tmp_path / "errors.csv"))[0] == 0
    rows = list(csv.DictReader((tmp_path / "errors.csv").open(encoding="utf-8-sig")))
    assert rows[0]["code"] == "STRING_TOO_LONG" and rows[0]["fix"]
    code, out, _ = run(capsys, "sync", "status", "-w", w, "--json")
    status = json.loads(out)
    assert status["status"] == "normal" and status["open_errors"] == 1 and status["last_cycle"]["pushed"] == 1
    bad = workspace.list(where="email = 'bad@example.com'")[0]["id"]
    code, out, _ = run(capsys, "sync", "log", "-w", w, str(bad), "--json")
    assert json.loads(out)[0]["error_code"] == "STRING_TOO_LONG"
    workspace.write([Change({"title": "CFO"}, id=bad)], SourceKind.UI)
    assert json.loads(run(capsys, "sync", "run", "-w", w, "--once", "--json")[1])["pushed"] == 1
    code, out, _ = run(capsys, "sync", "resync", "-w", w, "--where", "email = 'ok@example.com'", "--json")
    assert json.loads(out) == {"queued": 1}
    assert json.loads(run(capsys, "sync", "run", "-w", w, "--once", "--json")[1])["pushed"] == 1


def test_connect_with_a_bad_env_file_says_what_to_do(workspace: Workspace, tmp_path, capsys):
    (tmp_path / "empty.env").write_text("")
    code, _, err = run(capsys, "crm", "connect", "-w", str(workspace.root), "--env-file", str(tmp_path / "empty.env"))
    assert code == 1 and "SANDBOX_INSTANCE_URL" in err and "--env-file" in err


def test_refused_login_names_the_likely_cause(workspace: Workspace, sandbox_env, capsys, tmp_path):
    srv, env = sandbox_env
    text = env.read_text().replace(f"SANDBOX_PASSWORD={srv.password}", "SANDBOX_PASSWORD=wrong")
    (tmp_path / "wrong.env").write_text(text)
    code, _, err = run(capsys, "crm", "connect", "-w", str(workspace.root), "--env-file", str(tmp_path / "wrong.env"))
    assert code == 1 and "login refused" in err and "security token" in err
