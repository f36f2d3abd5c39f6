"""Sync to the sandbox: 100k changed people pushed (collections vs bulk), and write→CRM latency.

    python benchmarks/sync_push.py [--people 100000] [--latency-samples 50] [--paths collections,bulk]
                                   [--in-process]

Prints, for each path (collections, Bulk API 2.0 above 2,000 records), the API calls, wall time
and CPU per record to push 100k new people and then the same 100k changed; then p50/p95
latency from a write to the record being in the CRM with a worker running full cycles (pull +
push) at a 1 s interval. Targets (issue 6): ≤ 520 calls via collections, ≤ 20 via bulk, ≤ 60 s,
p95 ≤ 5 s.

What runs where: leadbridge (the workspace, its SQLite database and the sync engine) runs in this
process; the sandbox CRM runs in its own process (`python -m leadbridge.sandbox`, over HTTPS on
127.0.0.1), as a real CRM is another machine: the two do not share a GIL. Its state is read
through the API (SOQL COUNT / a lookup by external id), as a client of a real CRM would. CPU is
reported for each process: leadbridge's is the figure to compare between runs. `--in-process`
runs the sandbox on a thread of this process instead (the tests' setup: one GIL for both).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

from leadbridge.model import Change, SourceKind
import psutil

from leadbridge.crm.salesforce.connector import soql_string
from leadbridge.sandbox import SandboxProcess, SandboxServer
from leadbridge.store import outbox
from leadbridge.sync.connection import connect_sandbox
from leadbridge.sync.engine import connect, run_cycle
from leadbridge.workspace import Workspace


IN_PROCESS = False


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def sandbox(data: Path):
    return SandboxServer(data) if IN_PROCESS else SandboxProcess(data)


def sandbox_cpu(srv) -> float:
    """CPU the sandbox process has used so far (0 when it runs in this process: included in ours)."""
    if IN_PROCESS:
        return 0.0
    t = psutil.Process(srv.pid).cpu_times()
    return t.user + t.system


def count(crm, obj: str) -> int:
    return crm.sf.query(f"SELECT COUNT() FROM {obj}")["totalSize"]


def drain(ws: Workspace, crm, srv) -> tuple[int, float, float, float]:
    """Push until the queue is empty: (API calls, wall seconds, our CPU seconds, the sandbox's)."""
    calls0, cpu0, sb0, t0 = crm.api_calls, cpu(), sandbox_cpu(srv), time.perf_counter()
    while outbox.backlog(ws.db, "person").get("pending"):
        run_cycle(ws, crm, do_pull=False)
    return crm.api_calls - calls0, time.perf_counter() - t0, cpu() - cpu0, sandbox_cpu(srv) - sb0


def push_all(people: int, bulk: bool, tmp: Path) -> None:
    """New people (created by external id), then every one of them changed (updated by CRM id)."""
    ws = Workspace.init(tmp / ("bulk" if bulk else "coll"))
    name = "bulk" if bulk else "collections"
    with sandbox(tmp / ("sb-bulk" if bulk else "sb-coll")) as srv:
        srv.write_env(tmp / "sandbox.env")
        connect_sandbox(ws, tmp / "sandbox.env")
        ws.config.sync.bulk_threshold = 2000 if bulk else 10**9
        ids = ws.write([Change({"email": f"p{i}@example.com", "first_name": f"F{i}", "last_name": f"L{i}",
                                "company": f"Co{i % 97}", "country": "Germany", "title": "Engineer"})
                        for i in range(people)], SourceKind.LIST_IMPORT).ids
        crm = connect(ws)
        for what in ("new", "changed"):
            if what == "changed":
                ws.write([Change({"title": f"Engineer {n % 7}", "city": "Berlin"}, id=pid)
                          for n, pid in enumerate(ids)], SourceKind.LIST_IMPORT)
            calls, wall, used, used_sb = drain(ws, crm, srv)
            assert count(crm, "Lead") == people
            assert not outbox.backlog(ws.db, "person").get("failed"), outbox.backlog(ws.db, "person")
            where = "leadbridge + sandbox, one process" if IN_PROCESS else \
                f"leadbridge; sandbox {used_sb / people * 1e6:,.0f} µs/record in its own process"
            print(f"{name:<12} {people:,} {what} people: {calls:,} API calls, {wall:.1f} s, "
                  f"{used / people * 1e6:,.0f} µs CPU/record ({where})", flush=True)
        sample = crm.get("Lead", [ws.crm_links(ids[-1])[0]["crm_id"]], ["Title", "City"])[0].values
        assert (sample["Title"], sample["City"]) == (f"Engineer {(people - 1) % 7}", "Berlin")
    ws.close()


def latency(samples: int, tmp: Path) -> None:
    ws = Workspace.init(tmp / "lat")
    with sandbox(tmp / "sb-lat") as srv:
        srv.write_env(tmp / "sandbox.env")
        connect_sandbox(ws, tmp / "sandbox.env")
        watcher = connect(ws)  # a second API client: sees what a CRM user would see
        stop = threading.Event()
        worker_ws = Workspace.open(ws.root)

        def worker() -> None:
            crm = connect(worker_ws)
            while not stop.is_set():
                t = time.monotonic()
                run_cycle(worker_ws, crm)  # a full cycle: pull, then push
                stop.wait(max(0.0, 1.0 - (time.monotonic() - t)))
        th = threading.Thread(target=worker, daemon=True)
        th.start()
        waits = []
        for i in range(samples):
            t0 = time.monotonic()
            pid = ws.write([Change({"email": f"lat{i}@example.com", "last_name": "L", "company": "C"})],
                           SourceKind.FORM).items[0].id
            while not watcher.query(f"SELECT Id FROM Lead WHERE Leadbridge_Id__c = {soql_string(str(pid))}"):
                time.sleep(0.02)
            waits.append(time.monotonic() - t0)
            time.sleep(0.137)  # writes arrive at random points of the worker's cycle
        stop.set()
        th.join()
        q = statistics.quantiles(waits, n=20)
        print(f"latency write → CRM (worker interval 1 s, {samples} samples): p50 {statistics.median(waits):.2f} s, "
              f"p95 {q[18]:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--latency-samples", type=int, default=50, help="0: no latency run")
    ap.add_argument("--paths", default="collections,bulk", help="which push paths to measure")
    ap.add_argument("--in-process", action="store_true", help="run the sandbox on a thread of this process")
    args = ap.parse_args()
    global IN_PROCESS
    IN_PROCESS = args.in_process
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.paths.split(","):
            push_all(args.people, path.strip() == "bulk", Path(tmp))
        if args.latency_samples:
            latency(args.latency_samples, Path(tmp))


if __name__ == "__main__":
    main()
