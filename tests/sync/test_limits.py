"""Error classes against the sandbox: the whole queue backs off on REQUEST_LIMIT_EXCEEDED, the daily
API budget (crm.daily_api_budget) stops the sync before it is exceeded, transient errors retry per
record with exponential backoff and jitter."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from leadbridge.model import Change, SourceKind
from leadbridge.store import outbox, sync_state
from leadbridge.sync.engine import connect, resume, run_cycle
from leadbridge.sync.status import sync_status
from leadbridge.workspace import Workspace


def people(ws: Workspace, n: int) -> list[int]:
    return ws.write([Change({"email": f"q{i}@example.com", "last_name": f"Q{i}", "company": "Acme"})
                     for i in range(n)], SourceKind.LIST_IMPORT).ids


def rows(ws: Workspace) -> list[dict]:
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t).order_by(t.c.id)).mappings()]


def test_request_limit_exceeded_makes_the_whole_queue_wait(connected):
    ws, srv, crm = connected
    ws.config.sync.bulk_threshold = 10_000
    people(ws, 600)  # three collections
    srv.faults.fail_next("ratelimit", path="/composite/sobjects")
    res = run_cycle(ws, crm, do_pull=False)
    assert res.pushed == 0 and res.paused.startswith("waiting: CRM API limit reached")
    assert srv.org.store.table("Lead") == {}
    got = rows(ws)
    assert {r["state"] for r in got} == {"pending"}
    assert sum(r["attempts"] for r in got) == 200  # only the refused call's records used an attempt
    [alert] = sync_state.alerts(ws.db)
    assert alert["kind"] == "api_limit" and "REQUEST_LIMIT_EXCEEDED" in alert["message"]
    status = sync_status(ws)
    assert status["status"] != "critical" and "until" in status["paused"]
    used = srv.org.api_used
    assert run_cycle(ws, crm).paused and srv.org.api_used == used  # waits: not one call
    resume(ws)
    with ws.db.atomic() as conn:
        conn.execute(ws.db.table("outbox").update().values(next_attempt_at=None))
    assert run_cycle(ws, crm, do_pull=False).pushed == 600


def test_daily_api_budget_stops_the_sync_before_it_is_exceeded(connected):
    ws, srv, crm = connected
    ws.config.sync.bulk_threshold = 10_000
    ws.config.crm.daily_api_budget = 3
    ids = people(ws, 1000)  # five collections: more than the budget allows
    used = srv.org.api_used
    res = run_cycle(ws, crm, do_pull=False)
    assert res.api_calls == 3 and srv.org.api_used - used == 3  # the budget, not one call more
    assert res.pushed == 600 and "daily API budget of 3 calls used up" in res.paused
    pending = [r for r in rows(ws) if r["state"] == "pending"]
    assert len(pending) == 400 and {r["attempts"] for r in pending} == {0}  # never sent: no attempt used
    status = sync_status(ws)
    assert (status["api_calls_today"], status["api_budget"], status["api_budget_left"]) == (3, 3, 0)
    assert "daily API budget" in status["paused"]
    midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert sync_state.get_state(ws.db, "backoff_until") == midnight.isoformat()
    assert run_cycle(ws, crm).paused and srv.org.api_used - used == 3  # still waiting, no call
    ws.config.crm.daily_api_budget = 100  # raised by the admin
    resume(ws)
    res = run_cycle(ws, crm, do_pull=False)
    assert res.pushed == 400 and len(srv.org.store.table("Lead")) == 1000
    assert {l["Leadbridge_Id__c"] for l in srv.org.store.table("Lead").values()} == {str(i) for i in ids}


def test_transient_errors_back_off_per_record_exponentially_with_jitter(connected):
    ws, srv, crm = connected
    people(ws, 30)
    cfg = ws.config.sync
    cfg.backoff_seconds, cfg.backoff_cap_seconds = 10, 1000
    delays = []
    for attempt in (1, 2, 3):
        srv.faults.fail_next("unavailable", path="/composite/sobjects")
        now = datetime.now(timezone.utc)
        run_cycle(ws, crm, do_pull=False)
        got = rows(ws)
        assert {r["attempts"] for r in got} == {attempt} and {r["state"] for r in got} == {"pending"}
        waits = [(r["next_attempt_at"].replace(tzinfo=timezone.utc) if r["next_attempt_at"].tzinfo is None
                  else r["next_attempt_at"]) - now for r in got]
        base = 10 * 2 ** (attempt - 1)
        assert all(timedelta(seconds=base) <= w <= timedelta(seconds=base * 1.5 + 5) for w in waits), waits
        delays.append(waits)
        with ws.db.atomic() as conn:
            conn.execute(ws.db.table("outbox").update().values(next_attempt_at=None))
    assert len({w.total_seconds() for w in delays[0]}) > 1  # jitter drawn per record
    assert run_cycle(ws, crm, do_pull=False).pushed == 30


def test_a_limit_on_the_first_call_sends_back_every_record_of_the_later_calls(connected):
    ws, srv, crm = connected
    ids = people(ws, 5)
    run_cycle(ws, crm, do_pull=False)  # five Leads: their next push is an update by Id
    ws.write([Change({"title": "CFO"}, id=pid) for pid in ids], SourceKind.UI)
    ws.write([Change({"email": f"new{i}@example.com", "last_name": "N", "company": "C"}) for i in range(5)],
             SourceKind.UI)
    srv.faults.fail_next("ratelimit", path="/composite/sobjects")  # the first call: the new records' upsert
    res = run_cycle(ws, crm, do_pull=False)
    assert res.pushed == 0 and res.paused.startswith("waiting")
    waiting = [r for r in rows(ws) if r["state"] != "done"]
    assert len(waiting) == 10 and {r["state"] for r in waiting} == {"pending"}  # none left in flight
    resume(ws)
    with ws.db.atomic() as conn:
        conn.execute(ws.db.table("outbox").update().values(next_attempt_at=None))
    assert run_cycle(ws, crm, do_pull=False).pushed == 10
    assert {l.get("Title") for l in srv.org.store.table("Lead").values() if l["LastName"] != "N"} == {"CFO"}
