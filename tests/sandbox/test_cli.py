"""`leadbridge sandbox` as a user runs it: the env file, printed settings, flags, the bind address, reset."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import yaml

from leadbridge.cli.main import main
from leadbridge.crm.salesforce.session import http_session


def start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, dict[str, str], Path]:
    env_file = tmp_path / "sandbox.env"
    proc = subprocess.Popen([sys.executable, "-m", "leadbridge.sandbox", "--port", "0", "--env-file", str(env_file),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not env_file.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert env_file.exists(), proc.stderr.read() if proc.poll() is not None else "no env file"
    out = subprocess.run(["bash", "-c", f'set -a; . "{env_file}"; env | grep ^SANDBOX_'], capture_output=True,
                         text=True, check=True).stdout
    return proc, dict(line.split("=", 1) for line in out.splitlines()), env_file


def stop(proc: subprocess.Popen) -> str:
    os.kill(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    return out


def test_the_env_file_sources_in_a_shell_and_the_server_is_local_only(tmp_path):
    data = tmp_path / "my sandbox data"  # a path with a space
    config = tmp_path / "sandbox.yaml"
    config.write_text(yaml.safe_dump({"password": "s3cret pass", "faults": "unavailable@/limits=1.0"}))
    proc, env, _ = start(tmp_path, "--data", str(data), "--config", str(config), "--seed", "4")
    try:
        assert set(env) == {"SANDBOX_INSTANCE_URL", "SANDBOX_CA_BUNDLE", "SANDBOX_USERNAME", "SANDBOX_PASSWORD",
                            "SANDBOX_CLIENT_ID", "SANDBOX_CLIENT_SECRET"}
        assert env["SANDBOX_CA_BUNDLE"] == str(data.resolve() / "tls" / "ca.pem") and Path(env["SANDBOX_CA_BUNDLE"]).is_file()
        assert env["SANDBOX_PASSWORD"] == "s3cret pass"
        listening = [c for c in psutil.Process(proc.pid).net_connections(kind="inet") if c.status == "LISTEN"]
        assert listening and {c.laddr.ip for c in listening} == {"127.0.0.1"}
        s = http_session(env["SANDBOX_CA_BUNDLE"])
        tok = s.post(f"{env['SANDBOX_INSTANCE_URL']}/services/oauth2/token", data={
            "grant_type": "password", "client_id": env["SANDBOX_CLIENT_ID"], "username": env["SANDBOX_USERNAME"],
            "client_secret": env["SANDBOX_CLIENT_SECRET"], "password": env["SANDBOX_PASSWORD"]}).json()
        headers = {"Authorization": f"Bearer {tok['access_token']}"}
        assert s.get(f"{env['SANDBOX_INSTANCE_URL']}/services/data/v59.0/limits", headers=headers).status_code == 503
        assert s.get(f"{env['SANDBOX_INSTANCE_URL']}/services/data/v59.0/sobjects", headers=headers).ok
    finally:
        out = stop(proc)
    ca_line = f"SANDBOX_CA_BUNDLE='{data.resolve() / 'tls' / 'ca.pem'}'"
    assert ca_line in out.splitlines()  # printed whole, quoted, never wrapped


def test_plain_http_and_command_line_faults(tmp_path):
    proc, env, _ = start(tmp_path, "--data", str(tmp_path / "d"), "--http", "--faults", "ratelimit@/limits=1.0")
    try:
        assert env["SANDBOX_INSTANCE_URL"].startswith("http://127.0.0.1:") and env["SANDBOX_CA_BUNDLE"] == ""
        s = http_session(None)
        tok = s.post(f"{env['SANDBOX_INSTANCE_URL']}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": "sandbox", "client_secret": "sandbox"}).json()
        r = s.get(f"{env['SANDBOX_INSTANCE_URL']}/services/data/v59.0/limits",
                  headers={"Authorization": f"Bearer {tok['access_token']}"})
        assert (r.status_code, r.json()[0]["errorCode"]) == (403, "REQUEST_LIMIT_EXCEEDED")
    finally:
        stop(proc)


def test_bad_faults_and_reset_give_one_line_errors(tmp_path, capsys):
    r = subprocess.run([sys.executable, "-m", "leadbridge.sandbox", "--port", "0", "--data", str(tmp_path / "d"),
                        "--faults", "meltdown=1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "bad fault 'meltdown=1'" in r.stderr and "Traceback" not in r.stderr
    assert main(["sandbox", "reset", "--data", str(tmp_path / "missing"), "--yes"]) == 1
    assert "no sandbox data in" in capsys.readouterr().err
    (tmp_path / "d").mkdir(exist_ok=True)
    (tmp_path / "d" / "sandbox.db").write_text("")
    assert main(["sandbox", "reset", "--data", str(tmp_path / "d"), "--yes"]) == 0
    assert not (tmp_path / "d" / "sandbox.db").exists()


def test_a_sandbox_process_serves_a_workspace_and_stops(tmp_path):
    """SandboxProcess: the sandbox in its own process (benchmarks), reached and read over its API only."""
    from leadbridge.model import Change, SourceKind
    from leadbridge.sandbox import SandboxProcess
    from leadbridge.sync.connection import connect_sandbox
    from leadbridge.sync.engine import connect, run_cycle
    from leadbridge.workspace import Workspace
    ws = Workspace.init(tmp_path / "ws")
    with SandboxProcess(tmp_path / "sb data") as srv:
        pid = srv.pid
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(ws, tmp_path / "sandbox.env")
        ids = ws.write([Change({"email": f"sp{i}@example.com", "last_name": f"L{i}", "company": "C"})
                        for i in range(3)], SourceKind.UI).ids
        crm = connect(ws)
        assert run_cycle(ws, crm, do_pull=False).pushed == 3
        assert crm.sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 3
        assert {r.values["Email"] for r in crm.lookup("Lead", "Leadbridge_Id__c", [str(i) for i in ids], ["Email"])} \
            == {"sp0@example.com", "sp1@example.com", "sp2@example.com"}
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    ws.close()
