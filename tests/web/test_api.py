"""The REST API: the same data as the CLI's --json, with clear errors, over real HTTP."""

from __future__ import annotations

import csv
import io

import httpx

from leadbridge.model import Change, SourceKind
from leadbridge.store import sync_state
from leadbridge.sync.engine import connect, run_cycle


def add_people(ws, n: int) -> list[int]:
    res = ws.write([Change({"email": f"p{i}@example.com", "first_name": f"P{i}", "last_name": "Lee",
                            "company": "Acme", "country": "Germany" if i % 2 else "USA"}) for i in range(n)],
                   SourceKind.LIST_IMPORT)
    return [i.id for i in res.items]


def test_people_pages_filters_and_errors(web):
    ws, client = web
    ids = add_people(ws, 7)
    page = client.get("/api/people", params={"where": "country = 'United States'", "limit": 2}).json()
    assert page["total"] == 4 and len(page["rows"]) == 2 and {r["country"] for r in page["rows"]} == {"United States"}
    rest = client.get("/api/people", params={"where": "country = 'United States'", "limit": 2, "offset": 2}).json()
    assert {r["id"] for r in page["rows"]}.isdisjoint(r["id"] for r in rest["rows"])
    bad = client.get("/api/people", params={"where": "shoe_size > 3"})
    assert bad.status_code == 400 and "shoe_size" in bad.json()["error"] and bad.json()["hint"]
    missing = client.get("/api/people/999999")
    assert missing.status_code == 404 and "999999" in missing.json()["error"]
    one = client.get(f"/api/people/{ids[0]}").json()
    assert one["record"]["email"] == "p0@example.com" and one["crm_links"] == []
    ws.write([Change({"title": "CTO"}, id=ids[0])], SourceKind.UI)
    history = client.get(f"/api/people/{ids[0]}/history").json()
    assert [(h["field"], h["old"], h["new"], h["source"]) for h in history if h["field"] == "title"] == \
        [("title", None, "CTO", "ui")]
    health = client.get("/api/health").json()
    assert health["ok"] and health["people"] == 7


def test_sync_errors_resync_and_status_over_the_api(synced_web):
    ws, crm, srv = synced_web
    ok = add_people(ws, 3)
    bad = ws.write([Change({"email": "lt@example.com", "last_name": "T", "company": "C", "title": "x" * 200}),
                    Change({"email": "=cmd@example.com", "last_name": "=HYPERLINK(\"x\")"})],
                   SourceKind.FORM).items
    connector = connect(ws)
    run_cycle(ws, connector)
    with httpx.Client(base_url=srv.url, timeout=30) as client:
        errors = client.get("/api/sync/errors").json()
        assert {e["code"] for e in errors} == {"STRING_TOO_LONG", "REQUIRED_FIELD_MISSING"}
        assert all(e["fix"] for e in errors)
        by_code = client.get("/api/sync/errors", params={"group_by": "code"}).json()
        assert sorted((g["code"], g["count"]) for g in by_code) == [("REQUIRED_FIELD_MISSING", 1), ("STRING_TOO_LONG", 1)]
        only = client.get("/api/sync/errors", params={"code": "STRING_TOO_LONG"}).json()
        assert [e["record_id"] for e in only] == [bad[0].id]
        assert client.get("/api/sync/errors", params={"group_by": "colour"}).status_code == 400

        exported = client.get("/api/sync/errors.csv")
        assert exported.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
        assert len(rows) == 2 and not any(v.startswith("=") for r in rows for v in r.values())

        status = client.get("/api/sync/status").json()
        assert status["open_errors"] == 2 and status["status"] in ("normal", "increasing", "critical")
        assert status["last_cycle"]["pushed"] == 3 and status["last_cycle"]["failed"] == 2
        assert sum(status["throughput_per_hour"]["hours"]) >= 3
        assert len(status["throughput_per_hour"]["hour_labels"]) == len(status["throughput_per_hour"]["hours"])

        log = client.get(f"/api/people/{ok[0]}/sync-log").json()
        assert log and log[-1]["direction"] == "push" and log[-1]["crm_id"]

        ws.write([Change({"title": "CTO"}, id=bad[0].id), Change({"company": "Fixed Ltd"}, id=bad[1].id)],
                 SourceKind.UI)
        assert client.post("/api/sync/resync", json={"failed": True}).json()["queued"] == 2
        run_cycle(ws, connector)
        assert client.get("/api/sync/errors").json() == [] and sync_state.open_errors(ws.db) == []
        assert client.get("/api/sync/status").json()["open_errors"] == 0


def test_reports_and_audit_endpoints(web):
    ws, client = web
    add_people(ws, 4)
    r = client.get("/api/reports").json()
    assert r["sources"]["people"] == 4 and r["campaigns"]["campaigns"] == [] and r["sync_errors"] == []
    assert client.get("/api/reports", params={"by": "shoe_size"}).status_code == 400
    page = client.get("/reports")
    assert page.status_code == 200 and "Campaign influence" in page.text
    assert client.get("/api/audit").json()["people"] == 4
