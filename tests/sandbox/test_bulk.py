"""Bulk API 2.0 with the real client (`sf.bulk2`, wait=0) and raw HTTPS: ingest operations and results,
whole-job failures, the job lifecycle, delimiters, lookups by external id, and query jobs."""

from __future__ import annotations

import csv
import io

import pytest
from simple_salesforce.exceptions import SalesforceOperationError

from leadbridge.sandbox import SandboxConfig
from leadbridge.sandbox.config import AssignmentRule
from sandbox_clients import client_for, raw_client


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_upsert_job_results(sf, tmp_path):
    f = tmp_path / "leads.csv"
    f.write_text("LastName,Company,Leadbridge_Id__c,NumberOfEmployees\nBulk1,B,b-1,5\nBulk2,B,b-2,#N/A\n"
                 "BulkBad,,b-3,1\nBulkType,B,b-4,many\n")
    (res,) = sf.bulk2.Lead.upsert(csv_file=str(f), external_id_field="Leadbridge_Id__c", wait=0)
    assert (res["numberRecordsProcessed"], res["numberRecordsFailed"]) == (4, 2)
    everything = sf.bulk2.Lead.get_all_ingest_records(res["job_id"])
    ok = {r["LastName"]: r for r in everything["successfulRecords"]}
    assert set(ok) == {"Bulk1", "Bulk2"} and ok["Bulk1"]["sf__Created"] == "true"
    failed = {r["LastName"]: r["sf__Error"] for r in everything["failedRecords"]}
    assert failed["BulkBad"] == "REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --"
    assert failed["BulkType"].startswith("INVALID_TYPE_ON_FIELD_IN_RECORD:")
    assert everything["unprocessedRecords"] == []
    f.write_text("LastName,Company,Leadbridge_Id__c\nBulk1b,B,b-1\n")
    (again,) = sf.bulk2.Lead.upsert(csv_file=str(f), external_id_field="Leadbridge_Id__c", wait=0)
    (row,) = rows(sf.bulk2.Lead.get_successful_records(again["job_id"]))
    assert (row["sf__Id"], row["sf__Created"]) == (ok["Bulk1"]["sf__Id"], "false")


def test_insert_update_and_delete_jobs(sf):
    (ins,) = sf.bulk2.Contact.insert(records=[{"LastName": f"BulkC{i}"} for i in range(5)], wait=0)
    made = [r["sf__Id"] for r in rows(sf.bulk2.Contact.get_successful_records(ins["job_id"]))]
    assert len(made) == 5
    ghost = "003000000000999AAA"
    (upd,) = sf.bulk2.Contact.update(records=[{"Id": made[0], "Title": "Boss"}, {"Id": ghost, "Title": "x"},
                                              {"Id": made[1], "Email": "not an email"}], wait=0)
    assert upd["numberRecordsFailed"] == 2
    failed = {r["sf__Id"]: r["sf__Error"] for r in rows(sf.bulk2.Contact.get_failed_records(upd["job_id"]))}
    assert set(failed) == {ghost, made[1]}  # a failed update row keeps its record id
    assert sf.Contact.get(made[0])["Title"] == "Boss"
    (dele,) = sf.bulk2.Contact.delete(records=[{"Id": i} for i in made], wait=0)
    assert (dele["numberRecordsProcessed"], dele["numberRecordsFailed"]) == (5, 0)
    assert sf.query(f"SELECT COUNT() FROM Contact WHERE Id = '{made[2]}'")["totalSize"] == 0


def test_an_unknown_column_fails_the_whole_job(sf, tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("LastName,Company,Bogus__c\nA,B,c\nD,E,f\n")
    with pytest.raises(SalesforceOperationError) as exc:
        sf.bulk2.Lead.insert(csv_file=str(f), wait=0)
    assert "InvalidBatch : Field name not found : Bogus__c" in str(exc.value)
    (job,) = [j for j in sf.restful("jobs/ingest")["records"] if j.get("errorMessage")]
    assert (job["state"], job["numberRecordsProcessed"]) == ("Failed", 0)
    assert [r["LastName"] for r in rows(sf.bulk2.Lead.get_unprocessed_records(job["id"]))] == ["A", "D"]
    assert sf.query("SELECT COUNT() FROM Lead WHERE LastName IN ('A', 'D') AND Company IN ('B', 'E')")[
        "totalSize"] == 0


def test_a_running_jobs_counts_grow_until_it_is_done(sandbox):
    """As Salesforce's do: a client can tell how far a big job is (the sync times its polls by it)."""
    n = 20_000
    data = "LastName,Company,Leadbridge_Id__c\n" + "".join(f"Grow{i},G,grow-{i}\n" for i in range(n))
    with raw_client(sandbox) as c:
        job = c.post("/jobs/ingest", json={"object": "Lead", "operation": "upsert",
                                           "externalIdFieldName": "Leadbridge_Id__c"}).json()
        c.put(f"/jobs/ingest/{job['id']}/batches", content=data.encode(), headers={"Content-Type": "text/csv"})
        c.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
        seen = []
        while True:
            info = c.get(f"/jobs/ingest/{job['id']}").json()
            seen.append((info["state"], info["numberRecordsProcessed"]))
            if info["state"] == "JobComplete":
                break
        counts = [k for _, k in seen]
        assert counts == sorted(counts) and counts[-1] == n and info["numberRecordsFailed"] == 0
        assert any(state == "InProgress" and 0 < k < n for state, k in seen), seen[:5]


def test_job_lifecycle_is_enforced(sandbox):
    with raw_client(sandbox) as c:
        job = c.post("/jobs/ingest", json={"object": "Lead", "operation": "insert"}).json()
        assert job["state"] == "Open" and job["contentUrl"].endswith("/batches")
        assert c.put(f"/jobs/ingest/{job['id']}/batches", content=b"LastName,Company\nAb,C\nAc,C\n",
                     headers={"Content-Type": "text/csv"}).status_code == 201
        aborted = c.patch(f"/jobs/ingest/{job['id']}", json={"state": "Aborted"}).json()
        assert aborted["state"] == "Aborted"
        r = c.get(f"/jobs/ingest/{job['id']}/unprocessedrecords/")  # the doc's spelling works too
        assert [x["LastName"] for x in rows(r.text)] == ["Ab", "Ac"]
        r = c.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
        assert (r.status_code, r.json()[0]["errorCode"]) == (400, "INVALIDJOBSTATE")
        job = c.post("/jobs/ingest", json={"object": "Lead", "operation": "insert"}).json()
        c.put(f"/jobs/ingest/{job['id']}/batches", content=b"LastName,Company\nAd,C\n")
        assert c.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"}).status_code == 200
        r = c.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})  # closing twice
        assert (r.status_code, r.json()[0]["errorCode"]) == (400, "INVALIDJOBSTATE")
        r = c.put(f"/jobs/ingest/{job['id']}/batches", content=b"LastName,Company\nAe,C\n")
        assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALIDJOBSTATE"
        assert c.delete(f"/jobs/ingest/{job['id']}").status_code == 204
        assert c.get(f"/jobs/ingest/{job['id']}").status_code == 404
        job = c.post("/jobs/ingest", json={"object": "Lead", "operation": "insert"}).json()
        for _ in range(2):
            c.put(f"/jobs/ingest/{job['id']}/batches", content=b"LastName,Company\nAf,C\n")
        r = c.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
        assert r.status_code == 400 and "Found multipe contents for job" in r.json()[0]["message"]


def test_job_creation_is_validated(sandbox):
    with raw_client(sandbox) as c:
        bad = [({"object": "Lead", "operation": "merge"}, "Invalid operation"),
               ({"object": "Nope", "operation": "insert"}, "Unable to find object: Nope"),
               ({"object": "Lead", "operation": "upsert"}, "External ID was blank for Lead"),
               ({"object": "Lead", "operation": "upsert", "externalIdFieldName": "Email"},
                "Email does not match an External ID"),
               ({"object": "Lead", "operation": "insert", "columnDelimiter": "COLON"}, "Invalid column delimiter")]
        for spec, words in bad:
            r = c.post("/jobs/ingest", json=spec)
            assert r.status_code == 400 and r.json()[0]["errorCode"] == "INVALIDJOB" and words in r.json()[0]["message"]


def test_tab_delimiter_and_lookups_by_parent_external_id(sf):
    sf.Account.upsert("Leadbridge_Id__c/acc-1", {"Name": "Bulk Parent"})
    (job,) = sf.bulk2.Contact.insert(records=[{"LastName": "Tabbed", "Account.Leadbridge_Id__c": "acc-1"},
                                              {"LastName": "Lost", "Account.Leadbridge_Id__c": "acc-404"}],
                                     column_delimiter="TAB", wait=0)
    assert job["numberRecordsFailed"] == 1
    text = sf.bulk2.Contact.get_successful_records(job["job_id"])
    assert "\t" in text.splitlines()[0]
    rec = sf.query("SELECT Account.Name FROM Contact WHERE LastName = 'Tabbed'")["records"][0]
    assert rec["Account"]["Name"] == "Bulk Parent"


def test_query_jobs_page_with_locators(sf):
    sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": "Campaign"}, "Name": f"BQ{i}", "IsActive": i % 2 == 0} for i in range(5)]})
    pages = list(sf.bulk2.Campaign.query("SELECT Name, IsActive FROM Campaign WHERE Name LIKE 'BQ%' ORDER BY Name",
                                         max_records=2, wait=0))
    assert len(pages) == 3
    got = [r for page in pages for r in rows(page)]
    assert [(r["Name"], r["IsActive"]) for r in got] == [("BQ0", "true"), ("BQ1", "false"), ("BQ2", "true"),
                                                         ("BQ3", "false"), ("BQ4", "true")]


def test_an_assignment_rule_runs_on_bulk_rows_when_the_job_names_it(make_sandbox):
    srv = make_sandbox(SandboxConfig(assignment_rules=[AssignmentRule(country="DE",
                                                                      owner_email="anna@sandbox.leadbridge.local")]))
    sf = client_for(srv)
    rule = sf.query("SELECT Id FROM AssignmentRule")["records"][0]["Id"]
    anna = sf.query("SELECT Id FROM User WHERE Email = 'anna@sandbox.leadbridge.local'")["records"][0]["Id"]
    with raw_client(srv) as c:
        for name, spec in (("Ruled", {"assignmentRuleId": rule}), ("Plain", {})):
            job = c.post("/jobs/ingest", json={"object": "Lead", "operation": "insert", **spec}).json()
            c.put(f"/jobs/ingest/{job['id']}/batches", content=f"LastName,Company,CountryCode\n{name},C,DE\n".encode())
            c.patch(f"/jobs/ingest/{job['id']}", json={"state": "UploadComplete"})
            assert c.get(f"/jobs/ingest/{job['id']}").json()["state"] == "JobComplete"
    owners = {r["LastName"]: r["OwnerId"] for r in sf.query("SELECT LastName, OwnerId FROM Lead")["records"]}
    assert owners["Ruled"] == anna and owners["Plain"] != anna  # Bulk runs a rule only when the job asks


def test_an_upload_over_the_size_limit_is_refused(sandbox, monkeypatch):
    from leadbridge.sandbox import bulk
    monkeypatch.setattr(bulk, "MAX_UPLOAD_BYTES", 64)  # 150 MB in production; small here to keep the test fast
    with raw_client(sandbox) as c:
        job = c.post("/jobs/ingest", json={"object": "Lead", "operation": "insert"}).json()
        r = c.put(f"/jobs/ingest/{job['id']}/batches", content=b"LastName,Company\n" + b"Big,C\n" * 20)
        assert r.status_code == 400 and "exceeds" in r.json()[0]["message"]
        assert c.get(f"/jobs/ingest/{job['id']}").json()["state"] == "Open"  # nothing was taken
