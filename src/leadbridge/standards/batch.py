"""Columnar normalization for batch work: each distinct value is normalized once, then mapped back (Polars)."""

from __future__ import annotations

import polars as pl

from leadbridge.standards.config import StandardsConfig
from leadbridge.standards.country import country_label
from leadbridge.standards.normalize import company, country, email, name, phone, state


def _map(col: pl.Series, fn) -> tuple[pl.Series, pl.Series]:
    """(normalized values, ok) for a column, computing `fn` once per distinct value."""
    uniq = col.drop_nulls().unique().to_list()
    results = {v: fn(v) for v in uniq}
    values = {v: r.value for v, r in results.items()}
    oks = {v: r.ok for v, r in results.items()}
    return (col.replace_strict(values, default=None, return_dtype=pl.String),
            col.replace_strict(oks, default=True, return_dtype=pl.Boolean))


def normalize_frame(df: pl.DataFrame, cfg: StandardsConfig | None = None) -> pl.DataFrame:
    """The frame with country/state/email/phone/name/company normalized and an `issues` count per row."""
    cfg = cfg or StandardsConfig()
    out = df.clone()
    problems = pl.Series("issues", [0] * len(df), dtype=pl.Int32)
    if "country" in df.columns:
        codes = df["country"].drop_nulls().unique().to_list()
        code_of = {v: country(v).code for v in codes}
        cc = df["country"].replace_strict(code_of, default=None, return_dtype=pl.String)
        shown = {c: (country_label(c) if cfg.country_render == "label" else c) for c in set(code_of.values()) if c}
        out = out.with_columns(country=cc.replace_strict(shown, default=None, return_dtype=pl.String), _cc=cc)
        problems += (df["country"].is_not_null() & cc.is_null()).cast(pl.Int32)
    if "state" in df.columns and "country" in df.columns:
        pairs = out.select("state", "_cc").drop_nulls().unique().rows()
        mapped = {p: state(p[0], p[1]) for p in pairs}
        keys = out.select(pl.concat_str(["state", "_cc"], separator="\x1f").alias("k"))["k"]
        vmap = {f"{s}\x1f{c}": r.value for (s, c), r in mapped.items()}
        okmap = {f"{s}\x1f{c}": r.ok for (s, c), r in mapped.items()}
        out = out.with_columns(state=keys.replace_strict(vmap, default=None, return_dtype=pl.String))
        problems += (~keys.replace_strict(okmap, default=True, return_dtype=pl.Boolean)).cast(pl.Int32)
    for col, fn in (("email", email), ("first_name", name), ("last_name", name), ("company", company)):
        if col in df.columns:
            values, ok = _map(df[col], fn)
            out = out.with_columns(values.alias(col))
            problems += (~ok).cast(pl.Int32)
    if "phone" in df.columns:
        pairs = out.select(pl.concat_str(["phone", "_cc"], separator="\x1f", ignore_nulls=True).alias("k"))["k"]
        uniq = pairs.drop_nulls().unique().to_list()
        res = {k: phone(*(k.split("\x1f") + [None])[:2]) for k in uniq}
        out = out.with_columns(phone=pairs.replace_strict({k: r.value for k, r in res.items()}, default=None,
                                                           return_dtype=pl.String))
        problems += (~pairs.replace_strict({k: r.ok for k, r in res.items()}, default=True,
                                           return_dtype=pl.Boolean)).cast(pl.Int32)
    return out.drop("_cc", strict=False).with_columns(problems)
