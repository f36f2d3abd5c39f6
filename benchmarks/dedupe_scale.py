"""`dedupe find` over a 1M-person SQLite workspace (target <= 60 s, peak memory <= 4 GB).

    python benchmarks/dedupe_scale.py [--people 1000000]

Builds the workspace from the synthetic CRM-like set through the write path (standards off, to build
faster), then runs `find` in a fresh process so its peak memory is its own. Prints wall time, peak RSS
and pairwise precision/recall of the clusters against the known truth.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from leadbridge.dedupe.synthetic import synthetic_people, true_pairs
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def run_find(root: str) -> None:
    from leadbridge.dedupe.find import find
    ws = Workspace.open(Path(root))
    start = time.perf_counter()
    report = find(ws)
    took = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pairs = [(p["a"], p["b"]) for c in report.clusters for p in c.pairs]
    print(json.dumps({"seconds": took, "peak_mb": peak_mb, "records": report.records,
                      "candidates": report.candidates, "pairs": pairs, "review": len(report.review)}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--find", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.find:
        return run_find(args.find)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp))
        ws.config.standards.enabled = False
        # ~15% of synthetic duplicates share an email the write path already merges on import:
        # generate more so the workspace holds about --people records
        people = synthetic_people(int(args.people / 0.855))
        start = time.perf_counter()
        res = ws.write((Change({k: v for k, v in p.items() if k != "entity"}, create=True) for p in people),
                       SourceKind.LIST_IMPORT)
        ids = res.ids
        print(f"built {ws.count():,} people from {len(people):,} rows in {time.perf_counter() - start:.0f} s",
              flush=True)
        ws.close()
        out = subprocess.run([sys.executable, __file__, "--find", tmp], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        truth = true_pairs(people, ids)
        found = {(min(a, b), max(a, b)) for a, b in r["pairs"]}
        tp = len(found & truth)
        print(f"dedupe find on {r['records']:,} people (SQLite): {r['seconds']:.1f} s, peak memory "
              f"{r['peak_mb']:.0f} MB, {r['candidates']:,} candidate pairs, {len(found):,} auto-merge pairs "
              f"(precision {tp / max(len(found), 1):.4f}, recall {tp / max(len(truth), 1):.4f}), "
              f"{r['review']:,} for review")


if __name__ == "__main__":
    main()
