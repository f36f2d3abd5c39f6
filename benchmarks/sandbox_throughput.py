"""Sandbox CRM throughput: 200-record collection upserts and query pages, over HTTPS with the real client.

    python benchmarks/sandbox_throughput.py [--records 100000]

Prints requests/s for both and the time to upsert --records via collections (target: 100k in <= 30 s).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from simple_salesforce import Salesforce

from leadbridge.crm.salesforce.session import http_session
from leadbridge.sandbox import SandboxServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(Path(tmp)) as srv:
        s = http_session(srv.ca_bundle)
        tok = s.post(f"{srv.instance_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": srv.client_id, "client_secret": srv.client_secret}).json()
        sf = Salesforce(instance_url=srv.instance_url, session_id=tok["access_token"], session=s)
        start = time.perf_counter()
        calls = 0
        for i in range(0, args.records, 200):
            recs = [{"attributes": {"type": "Lead"}, "LastName": f"L{j}", "Company": "Bench", "Email": f"b{j}@example.com",
                     "Country": "Germany", "Leadbridge_Id__c": str(j)} for j in range(i, min(i + 200, args.records))]
            res = sf.restful("composite/sobjects/Lead/Leadbridge_Id__c", method="PATCH",
                             json={"allOrNone": False, "records": recs})
            assert all(r["success"] for r in res)
            calls += 1
        t = time.perf_counter() - start
        print(f"collection upsert: {args.records:,} records in {t:.1f} s = {args.records / t:,.0f} records/s, "
              f"{calls / t:.1f} requests/s (200 per request)")
        start = time.perf_counter()
        page = sf.query("SELECT Id, LastName, Email, SystemModstamp FROM Lead")
        pages = 1
        while not page["done"]:
            page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
            pages += 1
        t = time.perf_counter() - start
        print(f"query: {pages} pages of 2,000 in {t:.1f} s = {pages / t:.1f} pages/s ({pages * 2000 / t:,.0f} rows/s)")


if __name__ == "__main__":
    main()
