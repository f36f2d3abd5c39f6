"""`sync status`: per-object backlog, 5-day trend, hourly throughput, per-cycle counts, API use, status."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from leadbridge.model import Change, SourceKind
from leadbridge.store import sync_state
from leadbridge.sync.engine import connect, run_cycle
from leadbridge.sync.status import backlog_trend, sync_status, throughput


def cycle(at: datetime, obj: str = "all", backlog: int = 0, pushed: int = 0, pulled: int = 0, **kw) -> dict:
    return {"started_at": at, "finished_at": at + timedelta(seconds=5), "object": obj, "pushed": pushed,
            "pulled": pulled, "failed": kw.get("failed", 0), "skipped": kw.get("skipped", 0),
            "api_calls": kw.get("api_calls", 0), "backlog": backlog}


NOW = datetime(2026, 12, 1, 21, 30, tzinfo=timezone.utc)


def test_trend_is_the_backlog_of_each_six_hours_over_five_days_carried_over_gaps():
    cycles = [cycle(NOW - timedelta(days=4, hours=20), backlog=10), cycle(NOW - timedelta(days=4, hours=19), backlog=12),
              cycle(NOW - timedelta(days=2), backlog=300), cycle(NOW - timedelta(minutes=5), backlog=40)]
    t = backlog_trend(cycles, NOW)
    assert t["values"][0] == 12 and t["values"][-1] == 40 and max(t["values"]) == 300
    assert len(t["values"]) == len(t["days"]) == len(t["sparkline"]) == 20 - (t["values"] and 0)
    assert t["values"][1] == 12  # a bucket without cycles keeps the previous value
    assert t["sparkline"][0] == "▁" and "█" in t["sparkline"]
    assert backlog_trend([], NOW)["sparkline"] == ""


def test_throughput_counts_idle_hours_since_the_first_cycle_of_the_day():
    cycles = [cycle(NOW - timedelta(hours=3, minutes=10), pushed=100, pulled=20),
              cycle(NOW - timedelta(hours=3, minutes=5), pushed=30),
              cycle(NOW - timedelta(minutes=20), pushed=10),
              cycle(NOW - timedelta(hours=30), pushed=999)]  # older than 24 h: not counted
    t = throughput(sorted(cycles, key=lambda c: c["started_at"]), NOW)
    assert t["hours"] == [150, 0, 0, 10] and (t["max"], t["min"], t["avg"]) == (150, 0, 40.0)


def test_status_thresholds_per_object_and_overall(connected):
    ws, srv, crm = connected
    ws.config.sync.critical_backlog, ws.config.sync.increasing_cycles = 100, 3
    rows = []
    now = datetime.now(timezone.utc)
    start = max(now - timedelta(minutes=10), now.replace(hour=0, minute=0, second=0, microsecond=0))
    for i, b in enumerate((10, 20, 30, 40)):  # grew in each of the last 3 cycles: increasing
        at = start + (now - start) * i / 4  # all today, so today's API calls count them even just after midnight
        rows += [cycle(at, backlog=b, pushed=5, api_calls=2), cycle(at, "person", backlog=b, pushed=5),
                 cycle(at, "company", backlog=1)]
    sync_state.add_cycles(ws.db, rows)
    s = sync_status(ws)
    assert s["status"] == "increasing" and "grew in each of the last 3 cycles (10 → 40)" in s["status_reason"]
    assert s["objects"]["person"]["status"] == "increasing" and s["objects"]["company"]["status"] == "normal"
    assert s["last_cycle"]["backlog"] == 40 and [c["backlog"] for c in s["cycles_recent"]] == [10, 20, 30, 40]
    assert s["api_calls_today"] == 8
    sync_state.add_cycles(ws.db, [cycle(datetime.now(timezone.utc), backlog=5)])
    assert sync_status(ws)["status"] == "normal"  # the backlog fell: no longer increasing
    ws.write([Change({"email": f"s{i}@example.com", "last_name": "S", "company": "C"}) for i in range(101)],
             SourceKind.LIST_IMPORT)
    s = sync_status(ws)
    assert s["status"] == "critical" and s["objects"]["person"]["status"] == "critical"
    assert s["status_reason"] == "backlog 101 > sync.critical_backlog 100"


def test_a_real_cycle_is_recorded_per_object_and_shown_by_the_cli(connected, capsys):
    from leadbridge.cli.main import main
    ws, srv, crm = connected
    ws.config.sync.claim_size = 4
    company = ws.write([Change({"name": "Acme GmbH"})], SourceKind.UI, obj="company").ids[0]
    ws.write([Change({"email": f"c{i}@example.com", "last_name": "C", "company": "Acme", "company_id": company})
              for i in range(6)] + [Change({"email": "t@example.com", "last_name": "T", "company": "X",
                                            "is_test": True})], SourceKind.LIST_IMPORT)
    res = run_cycle(ws, connect(ws))
    s = sync_status(ws)
    person, comp = s["objects"]["person"], s["objects"]["company"]
    assert (comp["last_cycle"]["pushed"], comp["backlog"]) == (1, 0)
    assert person["last_cycle"]["pushed"] + person["last_cycle"]["skipped"] == 4 and person["backlog"] == 3
    assert s["last_cycle"]["api_calls"] == res.api_calls > 0 and s["api_calls_today"] == res.api_calls
    assert s["crm_api_usage"]["used"] >= res.api_calls  # the org's own count, from Sforce-Limit-Info
    assert main(["sync", "status", "-w", str(ws.root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["objects"]["person"]["backlog"] == 3
    assert main(["sync", "status", "-w", str(ws.root)]) == 0
    out = capsys.readouterr().out
    assert "sync: normal" in out and "person" in out and "company" in out and "API calls today" in out
