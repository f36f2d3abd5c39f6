"""Shared by the dedupe benchmarks: a real workspace, filled through the write path, and `dedupe find` on it.

The figures come from `leadbridge.dedupe.find.find`, the function behind `leadbridge dedupe find`:
the same loading, matcher, conflict rule, thresholds and clustering a user gets.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any, Iterable

from leadbridge.dedupe.config import DedupeConfig
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def build(root: Path, rows: Iterable[dict[str, Any]], cfg: DedupeConfig | None = None,
          custom: Iterable[str] = ()) -> tuple[Workspace, list[int], float]:
    """A SQLite workspace at `root` holding `rows` (standards off, as a raw CRM export); returns the ids."""
    ws = Workspace.init(root)
    ws.config.standards.enabled = False
    if cfg is not None:
        ws.config.dedupe = cfg
    have = set(ws.db.objects["person"].field_names)
    for name in custom:
        if name not in have:
            ws.add_field(name, "string", length=255)
    start = time.perf_counter()
    res = ws.write((Change(r, create=True) for r in rows), SourceKind.LIST_IMPORT)
    return ws, res.ids, time.perf_counter() - start


def pairwise(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> str:
    tp = len(found & truth)
    p = tp / len(found) if found else 0.0
    r = tp / len(truth) if truth else 0.0
    f1 = 2 * p * r / (p + r) if tp else 0.0
    return f"predicted {len(found):,}, true {len(truth):,}, precision {p:.4f}, recall {r:.4f}, F1 {f1:.4f}"


def evaluate(ws: Workspace, truth: set[tuple[int, int]], ignore: set[int] = frozenset()) -> None:
    """Run `dedupe find` and print pairwise precision/recall of what it would merge, and of the review queue
    (pairs with an id in `ignore` are left out of every figure)."""
    from leadbridge.dedupe.find import find
    start = time.perf_counter()
    report = find(ws)
    took = time.perf_counter() - start
    proposed = {(min(p["a"], p["b"]), max(p["a"], p["b"])) for c in report.clusters for p in c.pairs}
    merged = {pair for c in report.clusters for pair in itertools.combinations(sorted(c.ids), 2)}
    review = {(min(p["a"], p["b"]), max(p["a"], p["b"])) for p in report.review}
    if ignore:
        proposed, merged, review, truth = ({p for p in s if p[0] not in ignore and p[1] not in ignore}
                                           for s in (proposed, merged, review, truth))
    print(f"dedupe find: {report.records:,} people, {report.candidates:,} candidate pairs, {took:.1f} s")
    print(f"  auto-merge pairs (p >= {ws.config.dedupe.auto_merge_threshold}, no conflict): {pairwise(proposed, truth)}")
    print(f"  merged by clusters (every pair inside a cluster):     {pairwise(merged, truth)}")
    print(f"  auto-merge + review queue ({len(review):,} pairs):            {pairwise(merged | review, truth)}")
