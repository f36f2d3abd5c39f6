"""API request limits, the updated/deleted windows, and state that survives a restart."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.server import reset
from sandbox_clients import client_for, raw_client


def test_the_daily_limit_is_enforced_counted_and_reset(make_sandbox):
    srv = make_sandbox(SandboxConfig(daily_api_requests=3))
    with raw_client(srv) as c:
        codes = [c.get("/limits").status_code for _ in range(5)]
        assert codes == [200, 200, 200, 403, 403]
        r = c.get("/limits")
        assert r.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        assert r.headers["Sforce-Limit-Info"] == "api-usage=6/3"
        srv.org.api_day = "2000-01-01"  # a new UTC day begins
        assert c.get("/limits").json()["DailyApiRequests"] == {"Max": 3, "Remaining": 2}


def test_the_counter_survives_a_restart_exactly(tmp_path):
    with SandboxServer(tmp_path) as srv, raw_client(srv) as c:
        for _ in range(7):
            c.get("/limits")
    with SandboxServer(tmp_path) as srv, raw_client(srv) as c:
        assert c.get("/limits").headers["Sforce-Limit-Info"] == "api-usage=8/1000000"


def test_records_survive_a_restart_and_reset_empties_them(tmp_path):
    with SandboxServer(tmp_path) as srv, raw_client(srv) as c:
        rid = c.post("/sobjects/Lead", json={"LastName": "Keep", "Company": "Me"}).json()["id"]
    with SandboxServer(tmp_path) as srv, raw_client(srv) as c:
        assert c.get(f"/sobjects/Lead/{rid}").json()["LastName"] == "Keep"
    reset(tmp_path)
    with SandboxServer(tmp_path) as srv, raw_client(srv) as c:
        assert c.get(f"/sobjects/Lead/{rid}").status_code == 404


def test_updated_and_deleted_windows(sf, sandbox):
    start = datetime.now(timezone.utc) - timedelta(minutes=1)
    rid = sf.Lead.create({"LastName": "Win", "Company": "W"})["id"]
    sf.Lead.delete(rid)
    end = datetime.now(timezone.utc) + timedelta(minutes=1)
    deleted = sf.Lead.deleted(start, end)
    assert rid in [d["id"] for d in deleted["deletedRecords"]]
    assert deleted["latestDateCovered"] <= datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:00.000+0000")
    assert deleted["latestDateCovered"].endswith(":00.000+0000")  # minute granularity
    other = sf.Lead.create({"LastName": "Win2", "Company": "W"})["id"]
    assert other in sf.Lead.updated(start, end)["ids"]
    old = sandbox.org.store.deleted["Lead"][rid]
    old["_deleted_at"] = (datetime.now(timezone.utc) - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    assert rid not in [d["id"] for d in sf.Lead.deleted(start - timedelta(days=25), end)["deletedRecords"]]


def test_window_arguments_are_checked(sf):
    now = datetime.now(timezone.utc)
    for start, end, words in ((now, now - timedelta(hours=1), "can not be earlier"),
                              (now - timedelta(days=31), now, "more than 30 days"),
                              (now.replace(tzinfo=None), now, "time zone")):
        with pytest.raises(SalesforceMalformedRequest) as exc:
            sf.Lead.updated(start, end)
        assert exc.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE" and words in \
            exc.value.content[0]["message"]
    assert sf.limits()["DailyApiRequests"]["Max"] >= 1 and sf.api_usage  # parsed from Sforce-Limit-Info


def test_limits_resource_counts_down(make_sandbox):
    srv = make_sandbox(SandboxConfig(daily_api_requests=100))
    sf = client_for(srv)
    first = sf.limits()["DailyApiRequests"]["Remaining"]
    assert sf.limits()["DailyApiRequests"]["Remaining"] == first - 1
