"""Find duplicate pairs in a frame of records: prepare, block, compare, score. No store access."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from leadbridge.dedupe.blocking import candidate_pairs
from leadbridge.dedupe.config import DedupeConfig
from leadbridge.dedupe.features import prepare
from leadbridge.dedupe.levels import level_matrix
from leadbridge.dedupe.scoring import DEFAULT_M, Model, estimate_u, train


@dataclass
class Matches:
    """Scored candidate pairs: `pairs` has a, b (record ids), rule, weight, probability, conflict (the first
    field in `conflicts` that clearly disagrees, or null) and decision (merge / review / null); `levels` aligns."""

    pairs: pl.DataFrame
    levels: np.ndarray
    model: Model
    skipped_blocks: dict[str, int] = field(default_factory=dict)
    records: int = 0

    def above(self, threshold: float) -> pl.DataFrame:
        return self.pairs.filter(pl.col("probability") >= threshold)

    def to_merge(self) -> pl.DataFrame:
        """The pairs `dedupe find` proposes to merge (before rejected pairs are taken out)."""
        return self.pairs.filter(pl.col("decision") == "merge")

    def explain(self, index: int) -> list[dict]:
        return self.model.explain(self.levels[index])

    def explain_many(self, indices: np.ndarray) -> list[list[dict]]:
        return self.model.explain_many(self.levels[indices])


def _conflicts(cfg: DedupeConfig, levels: np.ndarray) -> np.ndarray:
    """Per pair, the first field of `cfg.conflicts` at level 0 (`different`) with both values present;
    none where an email agrees (same address or local part; role addresses count as missing)."""
    out = np.full(len(levels), None, dtype=object)
    for name in reversed(cfg.conflicts):
        k = next(i for i, c in enumerate(cfg.comparisons) if c.field == name)
        out[levels[:, k] == 0] = name
    for k, c in enumerate(cfg.comparisons):
        if c.kind == "email":
            out[levels[:, k] >= 1] = None
    return out


def find_matches(frame: pl.DataFrame, cfg: DedupeConfig, *, progress=None) -> Matches:
    """Score every candidate pair of `frame` (an `id` column plus the compared fields)."""
    step = progress or (lambda _msg: None)
    step("normalizing")
    feats = prepare(frame, cfg.comparisons, cfg.blocking, cfg.phone_region)
    step("blocking")
    cands = candidate_pairs(feats, cfg.blocking, cfg.max_block_size)
    a_rows, b_rows = cands.pairs["a"].to_numpy(), cands.pairs["b"].to_numpy()
    step(f"comparing {len(a_rows):,} candidate pairs")
    levels = level_matrix(cfg.comparisons, feats[a_rows], feats[b_rows])
    step("estimating weights")
    u = estimate_u(feats, cfg.comparisons)
    if cfg.train:
        model = train(levels, cfg.comparisons, u)
    else:
        model = Model(cfg.comparisons, [np.array(DEFAULT_M[c.kind]) for c in cfg.comparisons], u, 0.1)
    # EM's prior is the share of matches among candidates; scores use the share among all pairs,
    # so agreeing on what blocking already selected for (a company, a city) cannot make a match alone
    all_pairs = max(frame.height * (frame.height - 1) / 2, 1.0)
    model.prior = float(np.clip(model.prior * max(len(a_rows), 1) / all_pairs, 1e-12, 0.5))
    weight, prob = model.score(levels)
    ids = feats["id"]
    conflict = _conflicts(cfg, levels)
    decision = np.where(prob >= cfg.review_threshold, "review", None).astype(object)
    decision[(prob >= cfg.auto_merge_threshold) & (conflict == None)] = "merge"  # noqa: E711 (elementwise)
    pairs = pl.DataFrame({
        "a": ids.gather(a_rows) if len(a_rows) else ids.clear(),
        "b": ids.gather(b_rows) if len(b_rows) else ids.clear(),
        "rule": cands.pairs["rule"],
        "weight": weight,
        "probability": prob,
        "conflict": pl.Series(conflict.tolist(), dtype=pl.Utf8),
        "decision": pl.Series(decision.tolist(), dtype=pl.Utf8),
    })
    return Matches(pairs, levels, model, cands.skipped_blocks, frame.height)
