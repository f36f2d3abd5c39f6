"""The standards stage as the write path runs it (imports, `standards apply`), and the country hold-outs.

    python benchmarks/standards_normalize.py [--rows 1000000] [--batch 5000] [--write 100000]

1. Hold-outs: precision and recall of the country normalizer on the five hand-written hold-outs
   in tests/standards/data (A: extended with the audit's misses; B, C: written blind, later studied;
   D: written before the last normalizer changes; E: written after them, measured once).
2. The StandardsStage itself on 1M new person rows (country, state, email, phone, first/last
   name, company), in write batches: normalizers, email flags, every default rule, issues.
   Building the pending items belongs to the write path and is not timed.
3. `--write N`: the whole write path (SQLite) for N rows with standards on and off, for scale.
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from leadbridge.config import LeadbridgeConfig
from leadbridge.demo.people import generate_people
from leadbridge.model import Change, SourceKind
from leadbridge.model.changes import Source
from leadbridge.model.objects import PERSON
from leadbridge.standards.country import normalize_country
from leadbridge.standards.stage import StandardsStage
from leadbridge.writepath.item import PendingItem, WriteContext

HOLDOUTS = Path(__file__).resolve().parent.parent / "tests" / "standards" / "data"
COLUMNS = ["first_name", "last_name", "email", "phone", "company", "state", "country"]


def holdout(name: str) -> None:
    tp = fp = fn = n = 0
    wrong = []
    for line in (HOLDOUTS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, _, want = line.partition("\t")
        want = want or None
        got = normalize_country(text).code
        n += 1
        if got and got == want:
            tp += 1
        elif got:
            fp += 1
            wrong.append((text, got, want))
        elif want:
            fn += 1
            wrong.append((text, got, want))
    print(f"country hold-out {name} ({n} values): precision {tp / max(1, tp + fp):.4f}, "
          f"recall {tp / max(1, tp + fn):.4f}; wrong or missed: {', '.join(repr(w[0]) for w in wrong[:12])}"
          + (" …" if len(wrong) > 12 else ""))


def stage_throughput(rows: int, batch: int) -> None:
    config = LeadbridgeConfig()
    stage = StandardsStage()
    source = Source(SourceKind.LIST_IMPORT, "benchmark")
    people = [{c: p.get(c) for c in COLUMNS if p.get(c) not in (None, "")} for p in generate_people(rows, seed=11)]
    normalize_country("warm up")  # the CLDR index is built once per process (~2-3 s), not per row
    stage.prepare(config.standards, {"person": PERSON})
    ctx = WriteContext(PERSON, source, datetime.now(timezone.utc), config, conn=None, db=None)
    t = time.perf_counter()  # first use loads the state tables, translations and domain lists: once per process
    stage([PendingItem(0, Change(people[0]), None, dict(people[0]), applied=set(people[0]))], ctx)
    print(f"standards stage warm-up (tables loaded once per process): {time.perf_counter() - t:.1f} s")
    spent = cpu = flagged = changed = 0
    for start in range(0, rows, batch):
        items = [PendingItem(i, Change(p), None, dict(p), applied=set(p)) for i, p in
                 enumerate(people[start:start + batch], start)]
        gc.disable()  # as the write path does for each batch
        t, c = time.perf_counter(), time.process_time()
        stage(items, ctx)
        spent += time.perf_counter() - t
        cpu += time.process_time() - c
        gc.enable()
        flagged += sum(bool(i.flags) for i in items)
        changed += sum(bool(i.notes) for i in items)
    print(f"standards stage on {rows:,} new people (country, state, email, phone, names, company; all default "
          f"rules), batches of {batch:,}: {rows / spent:,.0f} rows/s ({spent:.1f} s wall; {rows / cpu:,.0f} rows per "
          f"CPU-second); normalized {changed:,}, "
          f"flagged {flagged:,}")


def write_path(rows: int) -> None:
    from leadbridge.workspace import Workspace
    for on in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace.init(Path(tmp))
            ws.config.standards.enabled = on
            changes = [Change({c: p.get(c) for c in COLUMNS if p.get(c)}) for p in generate_people(rows, seed=12)]
            t = time.perf_counter()
            ws.write(changes, SourceKind.LIST_IMPORT)
            spent = time.perf_counter() - t
            ws.close()
        print(f"whole write path (SQLite) for {rows:,} new people, standards {'on' if on else 'off'}: "
              f"{rows / spent:,.0f} rows/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=5000)
    ap.add_argument("--write", type=int, default=0, help="also time the whole write path for this many rows")
    args = ap.parse_args()
    for name in ("country_holdout.tsv", "country_holdout_b.tsv", "country_holdout_c.tsv", "country_holdout_d.tsv",
                 "country_holdout_e.tsv"):
        holdout(name)
    stage_throughput(args.rows, args.batch)
    if args.write:
        write_path(args.write)
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
