"""Dedupe accuracy on CRM-like synthetic people with known truth (default 100k; targets P >= 0.99, R >= 0.95).

Run: .venv/bin/python benchmarks/dedupe_synthetic.py [N]
The engine runs on the frame directly (no database), so this measures matching, not storage.
"""

from __future__ import annotations

import sys
import time

import polars as pl

from leadbridge.dedupe.config import DedupeConfig
from leadbridge.dedupe.engine import find_matches
from leadbridge.dedupe.synthetic import synthetic_people, true_pairs


def main(n: int) -> None:
    t0 = time.perf_counter()
    people = synthetic_people(n)
    frame = pl.DataFrame([{k: v for k, v in p.items() if k != "entity"} for p in people]).with_row_index("id")
    truth = true_pairs(people, list(range(n)))
    print(f"generated {n:,} people, {len(truth):,} true pairs in {time.perf_counter() - t0:.1f} s")
    cfg = DedupeConfig()
    t0 = time.perf_counter()
    matches = find_matches(frame, cfg)
    took = time.perf_counter() - t0
    for threshold in (cfg.review_threshold, 0.95, cfg.auto_merge_threshold):
        found = set(matches.above(threshold).select("a", "b").iter_rows())
        tp = len(found & truth)
        p = tp / len(found) if found else 0.0
        r = tp / len(truth)
        print(f"threshold {threshold:.2f}: predicted {len(found):,}, precision {p:.4f}, recall {r:.4f}")
    cands = set(matches.pairs.select("a", "b").iter_rows())
    print(f"candidates {len(cands):,}, blocking recall {len(cands & truth) / len(truth):.4f}, engine {took:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
