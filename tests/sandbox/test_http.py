"""Error shapes and status codes with a raw HTTP client; seeded faults; persistence; the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from leadbridge.sandbox import SandboxServer
from leadbridge.sandbox.faults import Faults


def client(srv: SandboxServer) -> httpx.Client:
    tok = httpx.post(f"{srv.instance_url}/services/oauth2/token", verify=srv.ca_bundle, data={
        "grant_type": "client_credentials", "client_id": srv.client_id, "client_secret": srv.client_secret}).json()
    return httpx.Client(base_url=f"{srv.instance_url}/services/data/v59.0", verify=srv.ca_bundle,
                        headers={"Authorization": f"Bearer {tok['access_token']}"})


def test_error_shapes_and_status_codes(sandbox):
    c = client(sandbox)
    r = c.post("/sobjects/Lead", json={"FirstName": "x"})
    assert r.status_code == 400 and r.json() == [{"message": "Required fields are missing: [LastName, Company]",
                                                  "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName", "Company"]}]
    r = c.get("/sobjects/Lead/00Q000000000000XXX")
    assert r.status_code == 404 and r.json()[0]["errorCode"] == "NOT_FOUND"
    r = c.get("/query", params={"q": "SELECT Id FROM Nope"})
    assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALID_TYPE"
    r = c.patch("/composite/sobjects", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Lead"}, "Id": "00Q000000000000XXX", "Title": "x"}]})
    assert r.status_code == 200 and r.json()[0]["success"] is False and "statusCode" in r.json()[0]["errors"][0]
    assert "api-usage=" in r.headers["Sforce-Limit-Info"]
    r = httpx.get(f"{sandbox.instance_url}/services/data/v59.0/limits", verify=sandbox.ca_bundle,
                  headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json() == [{"message": "Session expired or invalid",
                                                  "errorCode": "INVALID_SESSION_ID"}]
    versions = httpx.get(f"{sandbox.instance_url}/services/data/", verify=sandbox.ca_bundle).json()
    assert {"version": "59.0", "url": "/services/data/v59.0"}.items() <= versions[7].items()


def test_api_limit_is_enforced(tmp_path):
    from leadbridge.sandbox import SandboxConfig
    with SandboxServer(tmp_path, config=SandboxConfig(daily_api_requests=3)) as srv:
        c = client(srv)
        codes = [c.get("/limits").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [403, 403]
        assert c.get("/limits").json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_faults_are_reproducible_from_a_seed():
    spec = "lock=0.1,unavailable=0.1,drop=0.05,ratelimit=burst"
    a, b, c = Faults(spec, 7), Faults(spec, 7), Faults(spec, 8)
    seq_a = [a.next() for _ in range(500)]
    assert seq_a == [b.next() for _ in range(500)]
    assert seq_a != [c.next() for _ in range(500)]
    assert sum(f["unavailable"] for f in seq_a) > 20 and sum(f["ratelimit"] for f in seq_a) == 10


def test_injected_faults_reach_the_client(tmp_path):
    with SandboxServer(tmp_path, faults="unavailable=1.0", seed=1) as srv:
        r = client(srv).get("/limits")
        assert r.status_code == 503 and r.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    with SandboxServer(tmp_path / "d", faults="drop=1.0", seed=1) as srv:
        c = client(srv)
        with pytest.raises(httpx.TransportError):
            c.post("/sobjects/Lead", json={"LastName": "Dropped", "Company": "X"})
        assert len(srv.org.store.table("Lead")) == 1  # applied, then the connection dropped


def test_state_persists_across_restart_and_reset_empties_it(tmp_path):
    with SandboxServer(tmp_path) as srv:
        rid = client(srv).post("/sobjects/Lead", json={"LastName": "Keep", "Company": "Me"}).json()["id"]
    with SandboxServer(tmp_path) as srv:
        assert client(srv).get(f"/sobjects/Lead/{rid}").json()["LastName"] == "Keep"
    from leadbridge.sandbox.server import reset
    reset(tmp_path)
    with SandboxServer(tmp_path) as srv:
        assert client(srv).get(f"/sobjects/Lead/{rid}").status_code == 404


def test_cli_writes_the_env_file_once_ready(tmp_path):
    env_file = tmp_path / "sandbox.env"
    proc = subprocess.Popen([sys.executable, "-m", "leadbridge.sandbox", "--port", "0", "--data", str(tmp_path / "d"),
                             "--env-file", str(env_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while not env_file.exists() and time.time() < deadline:
            time.sleep(0.1)
        env = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
        assert set(env) == {"SANDBOX_INSTANCE_URL", "SANDBOX_CA_BUNDLE", "SANDBOX_USERNAME", "SANDBOX_PASSWORD",
                            "SANDBOX_CLIENT_ID", "SANDBOX_CLIENT_SECRET"}
        r = httpx.post(f"{env['SANDBOX_INSTANCE_URL']}/services/oauth2/token", verify=env["SANDBOX_CA_BUNDLE"],
                       data={"grant_type": "password", "client_id": env["SANDBOX_CLIENT_ID"],
                             "client_secret": env["SANDBOX_CLIENT_SECRET"], "username": env["SANDBOX_USERNAME"],
                             "password": env["SANDBOX_PASSWORD"]})
        assert r.status_code == 200
    finally:
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=10)
