"""Agreement levels of candidate pairs, per compared field (vectorized; rapidfuzz for string similarity)."""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import distance, fuzz, process

from leadbridge.dedupe.config import Comparison

MISSING = -1

# level names per kind, lowest first (index = level)
LEVELS: dict[str, list[str]] = {
    "email": ["different", "same local part", "same address"],  # a role address (info@) counts as missing
    "name": ["different", "similar (JW >= 0.80 or one typo)", "very similar (JW >= 0.92)", "nickname", "same"],
    "company": ["different", "similar words", "very similar", "same (or acronym)"],
    "phone": ["different", "same last 7 digits", "same number"],
    "text": ["different", "similar (JW >= 0.80)", "very similar (JW >= 0.92)", "same"],
    "code": ["different", "one edit apart", "same"],
    "exact": ["different", "same"],
}


def _strings(s: pl.Series) -> list[str]:
    return s.fill_null("").to_list()


def _jw(a: list[str], b: list[str]) -> np.ndarray:
    return process.cpdist(a, b, scorer=distance.JaroWinkler.normalized_similarity, workers=-1)


def levels(c: Comparison, a: pl.DataFrame, b: pl.DataFrame) -> np.ndarray:
    """Level of each pair (row i of `a` against row i of `b`); MISSING where either side is blank."""
    f = c.field
    va, vb = a[f], b[f]
    missing = (va.is_null() | vb.is_null()).to_numpy()
    same = (va == vb).fill_null(False).to_numpy()
    out = np.zeros(len(va), dtype=np.int8)
    k = c.kind
    if k == "exact":
        out[same] = 1
    elif k == "email":
        out[(a[f"{f}:local"] == b[f"{f}:local"]).fill_null(False).to_numpy()] = 1
        out[same] = 2
        missing = missing | (a[f"{f}:role"] | b[f"{f}:role"]).fill_null(False).to_numpy()  # info@ is no one's
    elif k == "phone":
        out[(a[f"{f}:last7"] == b[f"{f}:last7"]).fill_null(False).to_numpy()] = 1
        out[same] = 2
    elif k == "code":
        d = process.cpdist(_strings(va), _strings(vb), scorer=distance.OSA.distance, workers=-1)
        lens = va.str.len_chars().fill_null(0).to_numpy()
        out[(d <= 1) & (lens >= 4)] = 1
        out[same] = 2
    else:
        sa, sb = _strings(va), _strings(vb)
        jw = _jw(sa, sb)
        if k == "company":
            tokens = process.cpdist(sa, sb, scorer=fuzz.token_set_ratio, workers=-1)
            out[tokens >= 90] = 1
            out[jw >= 0.92] = 2
            acr = ((a[f"{f}:acronym"] == vb).fill_null(False) | (va == b[f"{f}:acronym"]).fill_null(False))
            out[acr.to_numpy()] = 3
            out[same] = 3
        else:
            out[jw >= 0.80] = 1
            if k == "name":  # one typo in a short name (Aaan / Alan) costs more than 0.2 of Jaro-Winkler
                typo = process.cpdist(sa, sb, scorer=distance.OSA.distance, workers=-1) <= 1
                out[typo & (va.str.len_chars().fill_null(0).to_numpy() >= 3)] = 1
            out[jw >= 0.92] = 2
            if k == "name":
                canon = f"{f}:canon"
                out[(a[canon] == b[canon]).fill_null(False).to_numpy()] = 3
                out[same] = 4
            else:
                out[same] = 3
    out[missing] = MISSING
    return out


def level_matrix(comparisons: list[Comparison], a: pl.DataFrame, b: pl.DataFrame) -> np.ndarray:
    """pairs × comparisons matrix of levels."""
    if a.height == 0:
        return np.zeros((0, len(comparisons)), dtype=np.int8)
    return np.column_stack([levels(c, a, b) for c in comparisons])
