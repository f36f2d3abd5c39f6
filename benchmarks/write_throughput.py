"""Workspace.write throughput: 100k new people in batches, with history and outbox rows.

    python benchmarks/write_throughput.py [--people 100000] [--batch 5000] [--pg URL]

Prints people/s on SQLite (and PostgreSQL when reachable) and the peak memory of the run.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from pgschema import DEFAULT_PG, temp_schema

from leadbridge.demo.people import generate_people
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def run(url: str | None, root: Path, people: list[dict], batch: int, standards: bool = False) -> float:
    ws = Workspace.init(root, database_url=url, force=True)
    ws.config.write.batch_size = batch
    if not standards:
        ws.stages.clear()  # the bare write path: identity, policies, diff, history, outbox
    start = time.perf_counter()
    res = ws.write((Change(p) for p in people), SourceKind.LIST_IMPORT)
    elapsed = time.perf_counter() - start
    with ws.db.engine.connect() as conn:
        hist = conn.execute(sa.select(sa.func.count()).select_from(ws.db.table("record_change"))).scalar_one()
        out = conn.execute(sa.select(sa.func.count()).select_from(ws.db.table("outbox"))).scalar_one()
    ws.close()
    assert res.count(res.items[0].outcome) == len(people) and hist == out == len(people), (res.counts, hist, out)
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--pg", default=DEFAULT_PG)
    args = ap.parse_args()
    people = [dict(p, email=f"u{i}-{p['email']}") for i, p in enumerate(generate_people(args.people, seed=1))]
    fields = sum(len([v for v in p.values() if v not in (None, "")]) for p in people) / len(people)
    print(f"{args.people:,} new people, {fields:.1f} fields each, batches of {args.batch:,}")
    with tempfile.TemporaryDirectory() as tmp:
        t = run(None, Path(tmp) / "sqlite", people, args.batch)
        print(f"sqlite:     {args.people / t:,.0f} people/s ({t:.1f} s) incl. history + outbox rows")
        t = run(None, Path(tmp) / "sqlite-std", people, args.batch, standards=True)
        print(f"sqlite + default stages (standards, hygiene, person source, routing): {args.people / t:,.0f} "
              f"people/s ({t:.1f} s)")
        with temp_schema(args.pg) as url:
            if url:
                t = run(url, Path(tmp) / "pg", people, args.batch)
                print(f"postgresql: {args.people / t:,.0f} people/s ({t:.1f} s)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MB (whole process, including the generated input)")


if __name__ == "__main__":
    sys.exit(main())
