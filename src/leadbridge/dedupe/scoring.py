"""Fellegi–Sunter scoring: agreement weights from the data (u by random sampling, m by EM on candidates)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from leadbridge.dedupe.config import Comparison
from leadbridge.dedupe.levels import LEVELS, MISSING, level_matrix

_EPS = 1e-6
# prior m (probability of each level among true matches), lowest level first
DEFAULT_M = {
    "email": [0.25, 0.05, 0.70],
    "name": [0.02, 0.03, 0.05, 0.05, 0.85],
    "company": [0.10, 0.05, 0.05, 0.80],
    "phone": [0.20, 0.05, 0.75],
    "text": [0.05, 0.05, 0.05, 0.85],
    "code": [0.05, 0.10, 0.85],
    "exact": [0.10, 0.90],
}

# prior u (probability of each level between two different people), blended in with weight _U_PRIOR_PAIRS
# so that a small workspace still gets sensible weights; a large one is ruled by its own data
DEFAULT_U = {
    "email": [0.99998, 0.00001, 0.00001],
    "name": [0.90, 0.08, 0.01, 0.003, 0.007],
    "company": [0.95, 0.03, 0.01, 0.01],
    "phone": [0.9998, 0.0001, 0.0001],
    "text": [0.85, 0.10, 0.02, 0.03],
    "code": [0.97, 0.02, 0.01],
    "exact": [0.90, 0.10],
}
_U_PRIOR_PAIRS = 1000.0


@dataclass
class Model:
    """Per comparison, P(level | match) and P(level | non-match); the share of matches among candidates."""

    comparisons: list[Comparison]
    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float

    def weights(self) -> list[np.ndarray]:
        """log2(m/u) per comparison and level: what agreeing at that level adds to the match weight."""
        return [np.log2(m / u) for m, u in zip(self.m, self.u)]

    def score(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(match weight in bits, match probability) per pair; missing values add nothing."""
        total = np.full(len(levels), np.log2(self.prior / (1 - self.prior)))
        for k, w in enumerate(self.weights()):
            g = levels[:, k]
            present = g != MISSING
            total[present] += w[g[present]]
        return total, 1.0 / (1.0 + np.power(2.0, -np.clip(total, -60, 60)))

    def explain(self, row: np.ndarray) -> list[dict]:
        """Each compared field of one pair: its level's name and weight."""
        return self.explain_many(np.asarray(row)[None, :])[0]

    def explain_many(self, rows: np.ndarray) -> list[list[dict]]:
        """`explain` for many pairs at once (a rows × comparisons matrix of levels)."""
        table = []
        for c, w in zip(self.comparisons, self.weights()):
            levels = {g: (c.field, name, round(float(w[g]), 2)) for g, name in enumerate(LEVELS[c.kind])}
            levels[MISSING] = (c.field, "missing", 0.0)
            table.append(levels)
        return [[{"field": f, "level": lv, "weight": wt} for f, lv, wt in (t[g] for t, g in zip(table, row))]
                for row in rows.tolist()]

    def as_dict(self) -> dict:
        return {"prior": self.prior, "fields": {
            c.field: {LEVELS[c.kind][g]: round(float(w[g]), 2) for g in range(len(w))}
            for c, w in zip(self.comparisons, self.weights())}}


def _distribution(col: np.ndarray, kind: str) -> np.ndarray:
    g = col[col != MISSING]
    prior = np.array(DEFAULT_U[kind]) * _U_PRIOR_PAIRS
    counts = np.bincount(g.astype(np.int64), minlength=len(prior)).astype(float) + prior
    return np.clip(counts / counts.sum(), _EPS, 1 - _EPS)


def estimate_u(frame: pl.DataFrame, comparisons: list[Comparison], samples: int = 100_000,
               seed: int = 1) -> list[np.ndarray]:
    """P(level | non-match), from random pairs of records (almost all random pairs are non-matches)."""
    n = frame.height
    if n < 2:
        return [np.array(DEFAULT_U[c.kind]) for c in comparisons]
    rng = np.random.default_rng(seed)
    samples = min(samples, n * (n - 1) // 2)
    i = rng.integers(0, n, samples)
    j = rng.integers(0, n - 1, samples)
    j = np.where(j >= i, j + 1, j)
    g = level_matrix(comparisons, frame[i], frame[j])
    return [_distribution(g[:, k], c.kind) for k, c in enumerate(comparisons)]


def train(levels: np.ndarray, comparisons: list[Comparison], u: list[np.ndarray],
          iterations: int = 30, prior: float = 0.1) -> Model:
    """Expectation–maximisation of m and the prior on candidate pairs, u held fixed."""
    m = [np.array(DEFAULT_M[c.kind], dtype=float) for c in comparisons]
    model = Model(comparisons, m, u, prior)
    if len(levels) < 50:
        return model
    for _ in range(iterations):
        _, p = model.score(levels)
        new_prior = float(np.clip(p.mean(), 1e-6, 0.999))
        new_m = []
        for k, c in enumerate(comparisons):
            g = levels[:, k]
            present = g != MISSING
            n_levels = len(LEVELS[c.kind])
            mass = np.bincount(g[present].astype(np.int64), weights=p[present], minlength=n_levels) + 0.01
            new_m.append(np.clip(mass / mass.sum(), _EPS, 1 - _EPS))
        done = abs(new_prior - model.prior) < 1e-5 and all(np.abs(a - b).max() < 1e-4 for a, b in zip(new_m, model.m))
        model = Model(comparisons, new_m, u, new_prior)
        if done:
            break
    return model
