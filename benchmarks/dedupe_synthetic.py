"""Pairwise precision and recall of `dedupe find` on CRM-like people with known truth (targets P >= 0.99, R >= 0.95).

    .venv/bin/python benchmarks/dedupe_synthetic.py [N]     (default 100,000 people)

`leadbridge.dedupe.synthetic`: duplicates with nicknames, typos, email variants (case, +tags, gmail dots,
another address), company suffixes and case, phone formats and missing fields; and hard negatives:
namesakes, relatives sharing a phone, company and city, colleagues sharing a role address (info@).
The people go into a real workspace through the write path, then `find` (behind `dedupe find`) runs.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from dedupe_workspace import build, evaluate
from leadbridge.dedupe.synthetic import mixed_records, synthetic_people, true_pairs


def main(n: int) -> None:
    t0 = time.perf_counter()
    people = synthetic_people(n)
    print(f"generated {n:,} people in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        ws, ids, took = build(Path(tmp), ({k: v for k, v in p.items() if k != "entity"} for p in people))
        # records with one email are one person already: the write path matched them on import
        truth = true_pairs(people, ids)
        mixed = mixed_records(people, ids)
        print(f"written in {took:.0f} s: {ws.count():,} people, {len(truth):,} true duplicate pairs; "
              f"{len(mixed):,} records hold two people (matched on a shared role address at import), left out")
        evaluate(ws, truth, mixed)
        ws.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
