"""Sandbox CRM throughput over HTTPS with the real simple-salesforce client.

    python benchmarks/sandbox_throughput.py [--records 100000]

Prints, for --records Leads: the 200-record collection upsert (first pass: every record
created; second pass: the same external ids, every record updated), query pages of 2,000,
and `IN (…200 values…)` lookups by Id and by external id, the sync's get/lookup pattern
(target from the issue: 100k records upserted via collections in <= 30 s).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from simple_salesforce import Salesforce

from leadbridge.crm.salesforce.session import http_session
from leadbridge.sandbox import SandboxServer


def upsert_pass(sf: Salesforce, n: int, title: str) -> tuple[float, int, bool]:
    start, calls, created = time.perf_counter(), 0, None
    for i in range(0, n, 200):
        recs = [{"attributes": {"type": "Lead"}, "LastName": f"L{j}", "Company": "Bench", "Email": f"b{j}@example.com",
                 "Country": "Germany", "Title": title, "Leadbridge_Id__c": str(j)} for j in range(i, min(i + 200, n))]
        res = sf.restful("composite/sobjects/Lead/Leadbridge_Id__c", method="PATCH",
                         json={"allOrNone": False, "records": recs})
        assert all(r["success"] for r in res), res[:1]
        created = res[0]["created"] if created is None else created
        calls += 1
    return time.perf_counter() - start, calls, bool(created)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--lookups", type=int, default=50, help="IN queries of 200 values each")
    args = ap.parse_args()
    n = args.records
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(Path(tmp)) as srv:
        s = http_session(srv.ca_bundle)
        tok = s.post(f"{srv.instance_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": srv.client_id, "client_secret": srv.client_secret}).json()
        sf = Salesforce(instance_url=srv.instance_url, session_id=tok["access_token"], session=s)
        for label, title in (("insert", "First"), ("update", "Second")):
            t, calls, created = upsert_pass(sf, n, title)
            assert created == (label == "insert")
            print(f"collection upsert ({label}): {n:,} records in {t:.1f} s = {n / t:,.0f} records/s, "
                  f"{calls / t:.1f} requests/s (200 per request)")

        start, rows, pages = time.perf_counter(), 0, 0
        page = sf.query("SELECT Id, LastName, Email, SystemModstamp FROM Lead")
        while True:
            rows, pages = rows + len(page["records"]), pages + 1
            if page["done"]:
                break
            page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
        t = time.perf_counter() - start
        assert rows == n
        print(f"query: {rows:,} rows in {pages} pages in {t:.1f} s = {pages / t:.1f} pages/s ({rows / t:,.0f} rows/s)")

        ids = [r["Id"] for r in sf.query("SELECT Id FROM Lead LIMIT 2000")["records"]]
        rng = random.Random(1)
        for label, field, values in (("Id", "Id", ids), ("external id", "Leadbridge_Id__c", [str(i) for i in range(n)])):
            start = time.perf_counter()
            for _ in range(args.lookups):
                chosen = rng.sample(values, min(200, len(values)))
                quoted = ", ".join(f"'{v}'" for v in chosen)
                found = sf.query(f"SELECT Id, SystemModstamp FROM Lead WHERE {field} IN ({quoted})")["totalSize"]
                assert found == len(chosen)
            t = time.perf_counter() - start
            print(f"SOQL {field} IN (200 values) over {n:,} Leads ({label}): {args.lookups / t:.1f} queries/s, "
                  f"{t / args.lookups * 1000:.1f} ms each")


if __name__ == "__main__":
    main()
