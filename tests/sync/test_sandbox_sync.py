"""The sync engine and the Salesforce connector against the sandbox over real HTTPS."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leadbridge.model import Change, SourceKind
from leadbridge.sandbox import SandboxServer
from leadbridge.store import outbox, sync_state
from leadbridge.sync.connection import connect_sandbox
from leadbridge.sync.engine import connect, run_cycle
from leadbridge.workspace import Workspace


def leads(srv: SandboxServer) -> list[dict]:
    return list(srv.org.store.table("Lead").values())


@pytest.fixture
def connected(workspace: Workspace, tmp_path: Path):
    with SandboxServer(tmp_path / "sandbox") as srv:
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(workspace, tmp_path / "sandbox.env")
        yield workspace, srv


def people(ws: Workspace, n: int, start: int = 0) -> list[int]:
    res = ws.write([Change({"email": f"p{i}@example.com", "first_name": f"P{i}", "last_name": f"L{i}",
                            "company": f"Co{i % 13}", "country": "Germany"}) for i in range(start, start + n)],
                   SourceKind.LIST_IMPORT)
    return [i.id for i in res.items]


def test_connect_writes_env_references_not_secrets(connected):
    ws, srv = connected
    text = (ws.root / "leadbridge.yaml").read_text()
    assert "${SANDBOX_PASSWORD}" in text and f"password: {srv.password}" not in text
    assert text.startswith("# yaml-language-server")  # the rest of the file (and its comments) kept


def test_push_pull_round_trip_with_real_client(connected):
    ws, srv = connected
    ids = people(ws, 30)
    crm = connect(ws)
    res = run_cycle(ws, crm)
    assert res.pushed == 30 and res.failed == 0 and len(leads(srv)) == 30
    lead = next(l for l in leads(srv) if l["Leadbridge_Id__c"] == str(ids[0]))
    assert (lead["Email"], lead["CountryCode"]) == ("p0@example.com", "DE")
    srv.org.commit("Lead", [srv.org.prepare_update("Lead", lead["Id"], {"Title": "Head of Ops",
                                                                       "Status": "Working - Contacted"})])
    res = run_cycle(ws, crm)
    assert ws.get(ids[0])["title"] == "Head of Ops" and ws.get(ids[0])["lead_status"] == "Working - Contacted"
    assert outbox.backlog(ws.db, "person").get("pending", 0) == 0  # the pull echoed nothing back


def test_failures_on_purpose_are_fixed_and_resynced(connected):
    ws, srv = connected
    usa = ws.write([Change({"email": "usa@example.com", "last_name": "U", "company": "C", "country": "USA"})],
                   SourceKind.FORM).items[0].id
    long_title = ws.write([Change({"email": "lt@example.com", "last_name": "T", "company": "C", "title": "x" * 200})],
                          SourceKind.FORM).items[0].id
    no_company = ws.write([Change({"email": "nc@example.com", "last_name": "N"})], SourceKind.FORM).items[0].id
    narnia = ws.write([Change({"email": "na@example.com", "last_name": "N", "company": "C", "country": "Narnia"})],
                      SourceKind.FORM).items[0].id
    crm = connect(ws)
    res = run_cycle(ws, crm)
    errors = {e["record_id"]: e for e in sync_state.open_errors(ws.db)}
    assert (res.pushed, res.failed, res.skipped) == (1, 2, 1)  # USA normalized; Narnia flagged, never sent
    assert errors[long_title]["code"] == "STRING_TOO_LONG" and errors[long_title]["fields"] == ["Title"]
    assert errors[no_company]["code"] == "REQUIRED_FIELD_MISSING" and "Company" in errors[no_company]["fix"]
    assert usa not in errors and narnia not in errors
    ws.write([Change({"title": "CTO"}, id=long_title), Change({"company": "Fixed"}, id=no_company),
              Change({"country": "Norway"}, id=narnia)], SourceKind.UI)
    res = run_cycle(ws, crm)
    assert res.pushed == 3 and sync_state.open_errors(ws.db) == [] and len(leads(srv)) == 4


def test_lead_converted_in_the_crm_mid_sync(connected):
    ws, srv = connected
    pid = people(ws, 1)[0]
    crm = connect(ws)
    run_cycle(ws, crm)
    lead_id = ws.crm_links(pid)[0]["crm_id"]
    contact = srv.org.convert_lead(lead_id)["contactId"]
    ws.write([Change({"title": "Buyer"}, id=pid)], SourceKind.UI)  # pushed to the Lead → refused → re-linked
    run_cycle(ws, crm)
    run_cycle(ws, crm)
    assert ws.count() == 1
    assert {(l["crm_object"], l["active"]) for l in ws.crm_links(pid)} == {("Lead", False), ("Contact", True)}
    assert srv.org.store.get("Contact", contact)["Title"] == "Buyer"


@pytest.mark.slow  # 30-140 s each on a loaded 2-core machine; CI runs it (make test does not exclude slow)
@pytest.mark.parametrize("api", ["collections", "bulk"])
def test_faults_on_everyone_lands_exactly_once(workspace: Workspace, tmp_path: Path, api: str):
    with SandboxServer(tmp_path / "sb", faults="lock=0.05,unavailable=0.05,drop=0.02", seed=3) as srv:
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(workspace, tmp_path / "sandbox.env")
        ids = people(workspace, 10_000)
        cfg = workspace.config.sync  # connect_sandbox re-read leadbridge.yaml
        cfg.bulk_threshold = 2000 if api == "bulk" else 1_000_000
        cfg.backoff_seconds, cfg.backoff_cap_seconds = 0.01, 0.05
        crm = connect(workspace)
        for _ in range(60):
            run_cycle(workspace, crm, do_pull=False)
            if outbox.backlog(workspace.db, "person").get("pending", 0) == 0:
                break
            time.sleep(0.05)
        got = [l["Leadbridge_Id__c"] for l in leads(srv)]
        state = (outbox.backlog(workspace.db, "person"), sync_state.open_errors(workspace.db)[:3],
                 sync_state.alerts(workspace.db)[:3])
        assert len(got) == len(set(got)) == 10_000, state  # exactly once
        assert set(got) == {str(i) for i in ids}
        by_ext = {l["Leadbridge_Id__c"]: l for l in leads(srv)}
        wrong = [(i, n) for n, i in enumerate(ids)
                 if (by_ext[str(i)]["Email"], by_ext[str(i)]["Company"], by_ext[str(i)]["LastName"],
                     by_ext[str(i)]["CountryCode"]) != (f"p{n}@example.com", f"Co{n % 13}", f"L{n}", "DE")]
        assert wrong == []  # every record with its own values
        assert {l["crm_id"] for pid in ids[:50] for l in workspace.crm_links(pid)} == \
            {by_ext[str(pid)]["Id"] for pid in ids[:50]}  # linked to the one CRM record each
        assert outbox.backlog(workspace.db, "person") == {"done": 10_000}


WORKER = """
import sys
from leadbridge.sync.engine import connect, run_cycle
from leadbridge.workspace import Workspace
ws = Workspace.open(sys.argv[1])
ws.config.sync.claim_size = 300
ws.config.sync.lease_seconds = 1
crm = connect(ws)
while True:
    run_cycle(ws, crm, do_pull=False)
"""


def test_kill_9_of_the_sync_process_loses_nothing_and_duplicates_nothing(connected):
    ws, srv = connected
    rnd = random.Random(5)
    ids = people(ws, 3000)
    companies = ws.write([Change({"name": f"Company {i:02d}"}) for i in range(40)], SourceKind.UI, obj="company").ids
    ws.write([Change({"company_id": companies[i % 40]}, id=pid) for i, pid in enumerate(ids[:400])], SourceKind.UI)
    campaigns = ws.write([Change({"name": f"Campaign {i}", "type": "Webinar"}) for i in range(4)], SourceKind.UI,
                         obj="campaign").ids
    ws.write([Change({"campaign_id": campaigns[i % 4], "person_id": pid, "status": "Sent"})
              for i, pid in enumerate(ids[:800])], SourceKind.UI, obj="campaign_member")
    for round_ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", WORKER, str(ws.root)], stderr=subprocess.DEVNULL)
        time.sleep(0.8 + rnd.random() * 1.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if round_ % 5 == 0:  # changes keep arriving between crashes
            ws.write([Change({"title": f"round {round_}"}, id=ids[round_])], SourceKind.UI)
    ws.config.sync.lease_seconds = 1
    time.sleep(1.1)
    crm = connect(ws)
    for _ in range(40):
        if run_cycle(ws, crm, do_pull=False).backlog == 0:
            break
    got = [l["Leadbridge_Id__c"] for l in leads(srv)]
    assert len(got) == len(set(got)) == 3000
    by_ext = {l["Leadbridge_Id__c"]: l for l in leads(srv)}
    assert [by_ext[str(ids[r])].get("Title") for r in (0, 5, 10, 15)] == [f"round {r}" for r in (0, 5, 10, 15)]
    assert outbox.backlog(ws.db, "person").get("pending", 0) == 0 and not outbox.backlog(ws.db, "person").get("dead")
    for obj, n in (("Account", 40), ("Campaign", 4), ("CampaignMember", 800)):
        ext = [r["Leadbridge_Id__c"] for r in srv.org.store.table(obj).values()]
        assert len(ext) == len(set(ext)) == n, obj  # every related record exactly once
    pairs = {(m["CampaignId"], m["LeadId"]) for m in srv.org.store.table("CampaignMember").values()}
    assert len(pairs) == 800
