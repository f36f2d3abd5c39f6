"""Alerts against the sandbox over real HTTPS: a critical backlog, an error-rate spike, and configuration
errors (a mapped field the CRM lacks, credentials that stopped working) that pause the sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadbridge.model import Change, SourceKind
from leadbridge.sandbox import SandboxServer
from leadbridge.store import outbox, sync_state
from leadbridge.sync.connection import connect_sandbox
from leadbridge.sync.engine import connect, resume, run_cycle
from leadbridge.sync.status import sync_status
from leadbridge.workspace import Workspace


@pytest.fixture
def connected(workspace: Workspace, tmp_path: Path):
    with SandboxServer(tmp_path / "sandbox") as srv:
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(workspace, tmp_path / "sandbox.env")
        yield workspace, srv


def people(ws: Workspace, n: int, start: int = 0, **values) -> list[int]:
    res = ws.write([Change({"email": f"p{i}@example.com", "last_name": f"L{i}", "company": "Acme", **values})
                    for i in range(start, start + n)], SourceKind.LIST_IMPORT)
    return res.ids


def kinds(ws: Workspace) -> list[str]:
    return [a["kind"] for a in sync_state.alerts(ws.db)]


def test_critical_backlog_is_alerted_and_recorded(connected):
    ws, srv = connected
    ws.config.sync.critical_backlog, ws.config.sync.claim_size = 10, 5
    people(ws, 20)
    crm = connect(ws)
    res = run_cycle(ws, crm)
    assert (res.pushed, res.backlog) == (5, 15)
    alert = sync_state.alerts(ws.db)[0]
    assert (alert["kind"], alert["severity"]) == ("backlog_critical", "critical")
    assert alert["message"] == "sync backlog 15 is above 10"
    assert sync_status(ws)["status"] == "critical"
    ws.config.sync.claim_size = 100
    res = run_cycle(ws, crm)
    assert res.backlog == 0 and kinds(ws) == ["backlog_critical"]  # below the threshold: no new alert
    assert sync_status(ws)["status"] == "normal"


def test_error_rate_spike_is_alerted_and_recorded(connected):
    ws, srv = connected
    people(ws, 20)
    people(ws, 10, start=100, title="x" * 200)  # STRING_TOO_LONG in the CRM
    crm = connect(ws)
    res = run_cycle(ws, crm)
    assert (res.pushed, res.failed) == (20, 10)
    alert = sync_state.alerts(ws.db)[0]
    assert (alert["kind"], alert["message"]) == ("error_spike", "10 of 30 records failed in one cycle")
    assert json.loads(alert["data"]) == {"failed": 10, "attempted": 30}
    people(ws, 29, start=200)
    people(ws, 1, start=300, title="y" * 200)
    res = run_cycle(ws, crm)
    assert (res.pushed, res.failed) == (29, 1) and kinds(ws) == ["error_spike"]  # 1 in 30: no spike


@pytest.mark.parametrize("with_pull", [False, True], ids=["push-only", "full-cycle"])
def test_mapped_field_missing_in_the_crm_pauses_the_sync_and_alerts(connected, with_pull):
    ws, srv = connected
    ids = people(ws, 3, title="CTO")
    ws.config.sync.lead.fields["title"] = "Job_Title__c"  # no such field on Lead
    crm = connect(ws)
    res = run_cycle(ws, crm, do_pull=with_pull)
    assert res.paused and "INVALID_FIELD" in res.paused and res.pushed == 0
    alert = sync_state.alerts(ws.db)[0]
    assert (alert["kind"], alert["severity"]) == ("config_error", "critical") and "Job_Title__c" in alert["message"]
    assert srv.org.store.table("Lead") == {}
    assert outbox.backlog(ws.db, "person") == {"pending": 3}  # nothing lost, nothing counted as failed
    assert run_cycle(ws, crm).paused  # stays paused until someone fixes it
    ws.config.sync.lead.fields["title"] = "Title"
    resume(ws)
    res = run_cycle(ws, crm)
    assert res.pushed == 3 and {l["Title"] for l in srv.org.store.table("Lead").values()} == {"CTO"}
    assert {l["Leadbridge_Id__c"] for l in srv.org.store.table("Lead").values()} == {str(i) for i in ids}


def test_expired_credentials_pause_the_sync_and_alert(connected):
    ws, srv = connected
    people(ws, 2)
    crm = connect(ws)
    run_cycle(ws, crm)
    people(ws, 2, start=10)
    good = srv.config.password
    srv.config.password = "rotated-by-the-admin"
    srv.sessions.expire_all()  # the session dies; logging in again is refused
    res = run_cycle(ws, crm)
    assert res.paused and "login refused" in res.paused
    assert sync_state.alerts(ws.db)[0]["kind"] == "config_error"
    assert sync_status(ws)["status"] == "critical"
    assert outbox.backlog(ws.db, "person").get("pending") == 2
    srv.config.password = good
    resume(ws)
    assert run_cycle(ws, crm).pushed == 2 and len(srv.org.store.table("Lead")) == 4


def test_alerts_reach_subscribers_the_log_and_the_cli(connected, caplog, capsys):
    from leadbridge.cli.main import main
    from leadbridge.sync import alerts

    ws, srv = connected
    got: list[alerts.Alert] = []

    def broken(alert):  # a failing channel never stops the sync
        raise RuntimeError("webhook down")

    alerts.subscribe(got.append)
    alerts.subscribe(broken)
    try:
        people(ws, 2, title="CTO")
        ws.config.sync.lead.fields["title"] = "Job_Title__c"  # no such field on Lead: configuration error
        with caplog.at_level("WARNING", logger="leadbridge.sync.alerts"):
            res = run_cycle(ws, connect(ws))
    finally:
        alerts.unsubscribe(got.append)
        alerts.unsubscribe(broken)
    assert res.paused
    assert [(a.kind, a.severity) for a in got] == [("config_error", "critical")] and "Job_Title__c" in got[0].message
    assert any(r.levelname == "CRITICAL" and "config_error" in r.getMessage() for r in caplog.records)
    assert any("alert subscriber" in r.getMessage() for r in caplog.records)  # the broken one, logged
    assert main(["sync", "alerts", "-w", str(ws.root), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["kind"], row["severity"]) == ("config_error", "critical") and "Job_Title__c" in row["message"]
    assert main(["sync", "alerts", "-w", str(ws.root)]) == 0
    assert "config_error" in capsys.readouterr().out


def test_a_critical_backlog_alerts_once_per_spell(connected):
    ws, srv = connected
    ws.config.sync.critical_backlog, ws.config.sync.claim_size = 10, 5
    people(ws, 30)
    crm = connect(ws)
    for _ in range(3):
        run_cycle(ws, crm, do_pull=False)  # 25, 20, 15 left: still critical
    assert kinds(ws) == ["backlog_critical"]
    ws.config.sync.claim_size = 100
    run_cycle(ws, crm, do_pull=False)
    people(ws, 30, start=100)
    ws.config.sync.claim_size = 5
    run_cycle(ws, crm, do_pull=False)  # critical again: a new spell, a new alert
    assert kinds(ws) == ["backlog_critical", "backlog_critical"]
