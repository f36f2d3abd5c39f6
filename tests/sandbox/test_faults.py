"""Injected faults as the client sees them: targeted (`srv.faults.fail_next`) and by rate from the spec,
path-scoped, reaching every kind of write, reproducible from a seed, and switched off by `clear()`."""

from __future__ import annotations

import httpx
import pytest
import requests
from simple_salesforce.exceptions import (SalesforceExpiredSession, SalesforceGeneralError,
                                          SalesforceMalformedRequest, SalesforceRefusedRequest)

from leadbridge.crm.salesforce.session import http_session
from leadbridge.errors import SandboxError
from leadbridge.sandbox.faults import Faults, FaultPlan
from sandbox_clients import client_for, oauth_token, raw_client, trust


def lead(name: str, **kw) -> dict:
    return {"attributes": {"type": "Lead"}, "LastName": name, "Company": "Faults", **kw}


def lock_code(exc) -> str:
    return exc.value.content[0]["errorCode"]


def test_each_kind_reaches_the_client(make_sandbox):
    srv = make_sandbox()
    sf = client_for(srv)
    srv.faults.fail_next("unavailable")
    with pytest.raises(SalesforceGeneralError) as exc:
        sf.query("SELECT Id FROM Lead")
    assert (exc.value.status, exc.value.content[0]["errorCode"]) == (503, "SERVER_UNAVAILABLE")
    srv.faults.fail_next("ratelimit")
    with pytest.raises(SalesforceRefusedRequest) as exc:
        sf.query("SELECT Id FROM Lead")
    assert (exc.value.status, exc.value.content[0]["errorCode"]) == (403, "REQUEST_LIMIT_EXCEEDED")
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0  # one request each, then back to normal
    srv.faults.fail_next("drop")
    with pytest.raises(requests.exceptions.RequestException):  # cut mid-response
        sf.Lead.create({"LastName": "Dropped", "Company": "X"})
    assert sf.query("SELECT COUNT() FROM Lead WHERE LastName = 'Dropped'")["totalSize"] == 1  # applied, then cut
    srv.faults.fail_next("expire")
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Lead")
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Lead")  # the session is gone for good: log in again
    sf = client_for(srv)
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 1


def test_a_lock_reaches_every_kind_of_write(make_sandbox, tmp_path):
    srv = make_sandbox()
    sf = client_for(srv)
    rid = sf.Lead.create({"LastName": "Locked", "Company": "X", "Leadbridge_Id__c": "lk"})["id"]
    writes = [lambda: sf.Lead.create({"LastName": "N", "Company": "X"}), lambda: sf.Lead.update(rid, {"Title": "T"}),
              lambda: sf.Lead.upsert("Leadbridge_Id__c/lk", {"Title": "T"}), lambda: sf.Lead.delete(rid)]
    for write in writes:
        srv.faults.fail_next("lock")
        with pytest.raises(SalesforceMalformedRequest) as exc:
            write()
        assert lock_code(exc) == "UNABLE_TO_LOCK_ROW"
    srv.faults.fail_next("lock")
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.update(rid, {"Title": "T"})
    assert exc.value.content[0]["message"] == f"unable to obtain exclusive access to this record or 1 records: {rid}"
    assert sf.Lead.get(rid)["Title"] is None  # nothing was written
    srv.faults.fail_next("lock", path="/composite/sobjects")
    res = sf.restful("composite/sobjects", method="POST", json={"records": [lead("C1"), lead("C2")]})
    assert [r["errors"][0]["statusCode"] for r in res] == ["UNABLE_TO_LOCK_ROW"] * 2
    srv.faults.fail_next("lock", path="/jobs/ingest")
    (job,) = sf.bulk2.Lead.insert(records=[{"LastName": "B1", "Company": "X"}, {"LastName": "B2", "Company": "X"}],
                                  wait=0)
    assert job["numberRecordsFailed"] == 2
    assert "UNABLE_TO_LOCK_ROW:" in sf.bulk2.Lead.get_failed_records(job["job_id"])
    srv.faults.fail_next("lock")  # reads take no lock: the fault waits for the next write
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 1
    with pytest.raises(SalesforceMalformedRequest):
        sf.Lead.create({"LastName": "N", "Company": "X"})


def test_targets_count_and_paths(make_sandbox):
    srv = make_sandbox()
    sf = client_for(srv)
    srv.faults.fail_next("unavailable", count=2, path="/query")
    assert sf.Lead.create({"LastName": "P", "Company": "X"})["success"]  # other paths are untouched
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError):
            sf.query("SELECT Id FROM Lead")
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 1
    srv.faults.fail_next("unavailable", path="/services/oauth2/token")  # logins only when targeted by path
    r = http_session(srv.ca_bundle).post(f"{srv.instance_url}/services/oauth2/token",
                                         data={"grant_type": "client_credentials", "client_id": "sandbox", "client_secret": "sandbox"})
    assert (r.status_code, r.json()["error"]) == (503, "temporarily_unavailable")
    srv.faults.fail_next("ratelimit", path="/services/Soap/u/")
    r = http_session(srv.ca_bundle).post(f"{srv.instance_url}/services/Soap/u/59.0", data="<x/>")
    assert r.status_code == 500 and "<sf:exceptionCode>REQUEST_LIMIT_EXCEEDED</sf:exceptionCode>" in r.text
    with pytest.raises(SandboxError):
        srv.faults.fail_next("meltdown")
    srv.faults.fail_next("unavailable", count=5)
    srv.faults.clear()
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 1


def test_rates_in_the_spec_are_path_scoped(make_sandbox):
    srv = make_sandbox(faults="unavailable@/query=1.0", seed=1)
    with raw_client(srv) as c:
        assert c.get("/query", params={"q": "SELECT Id FROM Lead"}).status_code == 503
        assert c.get("/limits").status_code == 200
        srv.faults.clear()
        assert c.get("/query", params={"q": "SELECT Id FROM Lead"}).status_code == 200


def test_lock_rates_draw_per_record_in_collections(make_sandbox):
    srv = make_sandbox(faults="lock@/composite=0.5", seed=3)
    sf = client_for(srv)
    res = sf.restful("composite/sobjects", method="POST", json={"records": [lead(f"R{i}") for i in range(40)]})
    locked = sum(not r["success"] for r in res)
    assert 0 < locked < 40  # some records locked, the others saved
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 40 - locked
    assert sf.Lead.create({"LastName": "Single", "Company": "X"})["success"]  # /sobjects is outside the scope


def test_seeded_runs_are_reproducible_through_the_server(make_sandbox):
    def run(seed: int) -> list[int]:
        srv = make_sandbox(faults="lock=0.2,unavailable=0.1,ratelimit=burst:7/2", seed=seed)
        with raw_client(srv) as c:
            return [c.post("/sobjects/Lead", json={"LastName": f"S{i}", "Company": "X"}).status_code for i in range(30)]
    first, again, other = run(11), run(11), run(12)
    assert first == again and first != other
    assert {400, 503, 403} <= set(first) and 201 in first


def test_fault_specs_parse_and_refuse_nonsense():
    plan = FaultPlan.parse("lock=0.05,unavailable@/query=1,latency=20ms,latency@/jobs=1.5s,ratelimit=burst:50/3,"
                           "ratelimit@/limits=0.5,drop=0.01,expire=0.001")
    assert [(r.kind, r.rate, r.path) for r in plan.rules] == [
        ("lock", 0.05, None), ("unavailable", 1.0, "/query"), ("ratelimit", 0.5, "/limits"), ("drop", 0.01, None),
        ("expire", 0.001, None)]
    assert plan.latency == [(20.0, None), (1500.0, "/jobs")] and plan.bursts == [(50, 3, None)]
    for bad in ("lock=2", "meltdown=0.1", "latency=soon", "ratelimit=burst:0/1", "lock"):
        with pytest.raises(SandboxError):
            FaultPlan.parse(bad)
    bursts = Faults("ratelimit=burst", 0)
    hits = [("ratelimit" in bursts.draw("/services/data/v59.0/limits").kinds) for _ in range(410)]
    assert sum(hits) == 10 and hits[199:204] == [True] * 5  # every 200th call starts 5 refused calls


def test_a_server_error_never_closes_the_connection(sandbox, monkeypatch):
    s = http_session(sandbox.ca_bundle)
    s.headers["Authorization"] = f"Bearer {oauth_token(sandbox)}"
    url = f"{sandbox.instance_url}/services/data/v59.0"

    def broken(*a, **kw):
        raise RuntimeError("a sandbox bug")
    monkeypatch.setattr(sandbox.org.schema, "describe", broken)
    r = s.get(f"{url}/sobjects/Lead/describe")
    assert r.status_code == 500 and r.json()[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert "ErrorId" in r.json()[0]["message"]
    for _ in range(3):  # the pooled keep-alive connection is still good
        assert s.get(f"{url}/limits").status_code == 200
    with httpx.Client(verify=trust(sandbox), headers=dict(s.headers)) as c:
        assert c.get(f"{url}/sobjects/Lead/describe").status_code == 500
        assert c.get(f"{url}/limits").status_code == 200
