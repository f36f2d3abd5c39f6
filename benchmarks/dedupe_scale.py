"""`dedupe find` over a 1M-person SQLite workspace (target <= 60 s, peak memory <= 4 GB).

    python benchmarks/dedupe_scale.py [--people 1000000] [--keep DIR]

Builds the workspace from the synthetic CRM-like set through the write path (standards off, to build
faster; ~15 min on a loaded 2-core machine), then runs `find` (behind `leadbridge dedupe find`) in a fresh
process so its time and peak memory are its own. With --keep the workspace is kept in DIR and reused by
the next run. Prints wall time by step, peak RSS, and pairwise precision/recall against the known truth.
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from leadbridge.dedupe.synthetic import mixed_records, synthetic_people, true_pairs
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def run_find(root: str) -> None:
    from leadbridge.dedupe.find import find
    ws = Workspace.open(Path(root))
    start = time.perf_counter()
    steps: list[tuple[str, float]] = []
    report = find(ws, progress=lambda msg: steps.append((msg, time.perf_counter() - start)))
    took = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pairs = [(p["a"], p["b"]) for c in report.clusters for p in c.pairs]
    print(json.dumps({"seconds": took, "peak_mb": peak_mb, "records": report.records, "steps": steps,
                      "candidates": report.candidates, "pairs": pairs, "review": len(report.review)}))


def build(root: Path, n: int) -> None:
    ws = Workspace.init(root)
    ws.config.standards.enabled = False
    # ~15% of synthetic duplicates share an email the write path already merges on import:
    # generate more so the workspace holds about n records
    people = synthetic_people(int(n / 0.855))
    start = time.perf_counter()
    res = ws.write((Change({k: v for k, v in p.items() if k != "entity"}, create=True) for p in people),
                   SourceKind.LIST_IMPORT)
    print(f"built {ws.count():,} people from {len(people):,} rows in {time.perf_counter() - start:.0f} s", flush=True)
    (root / "truth.pickle").write_bytes(pickle.dumps((true_pairs(people, res.ids), mixed_records(people, res.ids))))
    ws.close()


def measure(root: Path) -> None:
    out = subprocess.run([sys.executable, __file__, "--find", str(root)], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    truth, mixed = pickle.loads((root / "truth.pickle").read_bytes())
    truth = {p for p in truth if p[0] not in mixed and p[1] not in mixed}
    found = {(min(a, b), max(a, b)) for a, b in r["pairs"] if a not in mixed and b not in mixed}
    tp = len(found & truth)
    ends = [at for _, at in r["steps"][1:]] + [r["seconds"]]
    for (msg, at), end in zip(r["steps"], ends):
        print(f"  {end - at:6.1f} s  {msg}")
    print(f"dedupe find on {r['records']:,} people (SQLite): {r['seconds']:.1f} s, peak memory "
          f"{r['peak_mb']:.0f} MB, {r['candidates']:,} candidate pairs, {len(found):,} auto-merge pairs "
          f"(precision {tp / max(len(found), 1):.4f}, recall {tp / max(len(truth), 1):.4f}; "
          f"{len(mixed):,} records holding two people left out), {r['review']:,} for review")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="keep the workspace here and reuse it next time")
    ap.add_argument("--find", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.find:
        return run_find(args.find)
    if args.keep:
        if not (args.keep / "truth.pickle").exists():
            build(args.keep, args.people)
        return measure(args.keep)
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp), args.people)
        measure(Path(tmp))


if __name__ == "__main__":
    main()
