"""Duplicates that both exist in the CRM: reported for sales ops, or merged there through the connector."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from leadbridge.dedupe.merge import merge
from leadbridge.model import Change, SourceKind
from leadbridge.sandbox import SandboxServer
from leadbridge.store import dedupe_state
from leadbridge.sync.connection import connect_sandbox
from leadbridge.sync.engine import connect, run_cycle
from leadbridge.workspace import Workspace


@pytest.fixture
def synced(workspace: Workspace, tmp_path: Path):
    with SandboxServer(tmp_path / "sandbox") as srv:
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(workspace, tmp_path / "sandbox.env")
        ws = workspace
        ids = ws.write([
            Change({"first_name": "Maria", "last_name": "Garcia", "email": "maria.garcia@initech.com",
                    "company": "Initech", "country": "Spain"}),
            Change({"first_name": "María", "last_name": "García", "email": "mgarcia@initech.com",
                    "company": "Initech S.A.", "country": "Spain", "title": "CFO"}),
        ], SourceKind.LIST_IMPORT).ids
        crm = connect(ws)
        assert run_cycle(ws, crm).pushed == 2
        yield ws, srv, crm, ids


def lead_ids(ws: Workspace, person: int) -> set[str]:
    return {link["crm_id"] for link in ws.crm_links(person) if link["active"] and link["crm_object"] == "Lead"}


def test_report_lists_both_crm_records_and_pulls_land_on_the_winner(synced):
    ws, srv, crm, (a, b) = synced
    loser_lead = next(iter(lead_ids(ws, b)))
    outcome = merge(ws, [a, b])
    assert outcome.crm_action.startswith("report: CRM Lead") and loser_lead in outcome.crm_action
    assert dedupe_state.merges(ws.db)[0]["crm_action"] == outcome.crm_action
    assert len(srv.org.store.table("Lead")) == 2                      # nothing merged in the CRM
    assert lead_ids(ws, a) == {l["Id"] for l in srv.org.store.table("Lead").values()}
    run_cycle(ws, crm)  # the winner's surviving values go to its Lead
    time.sleep(1.1)  # SystemModstamp has whole seconds: the CRM edit must be later than the merge (latest_wins)
    srv.org.commit("Lead", [srv.org.prepare_update("Lead", loser_lead, {"Title": "Finance Director"})])
    before = ws.count()
    run_cycle(ws, crm)
    assert ws.count() == before and ws.get(a)["title"] == "Finance Director"  # the duplicate did not come back


def test_merge_in_the_crm_through_the_connector(synced):
    ws, srv, crm, (a, b) = synced
    ws.config.dedupe.crm_action = "merge"
    winner_lead, loser_lead = next(iter(lead_ids(ws, a))), next(iter(lead_ids(ws, b)))
    outcome = merge(ws, [a, b])
    assert outcome.crm_action.startswith("merged in the CRM")
    assert set(srv.org.store.table("Lead")) == {winner_lead}
    assert lead_ids(ws, a) == {winner_lead}                            # the merged-away Lead's link is inactive
    assert run_cycle(ws, crm).failed == 0
