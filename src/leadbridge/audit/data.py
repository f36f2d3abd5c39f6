"""The audit's inputs: the columns it needs as Polars frames, with ISO codes and email flags added.

Every check works on columns and calls per-value Python only on distinct values (countries,
states, phones, addresses the fast pattern cannot decide), so a 1M-person workspace is read once.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import polars as pl

from leadbridge.standards.email import (_SIMPLE, _SPECIAL_USE, TEST_DOMAINS, TEST_PATTERNS, disposable_domains,
                                        role_accounts, suggest_domain)
from leadbridge.standards.emailflags import flags_of
from leadbridge.standards.normalizer import Normalizer


def map_distinct(df: pl.DataFrame, cols: list[str], fn: Callable[..., Any], name: str,
                 dtype=pl.String) -> pl.DataFrame:
    """`df` with column `name` = fn(*row[cols]), computed once per distinct combination of `cols`."""
    keys = df.select(cols).unique()
    values = [fn(*row) for row in keys.iter_rows()]
    mapped = keys.with_columns(pl.Series(name, values, dtype=dtype))
    return df.join(mapped, on=cols, how="left", nulls_equal=True)


def add_codes(df: pl.DataFrame, norm: Normalizer) -> pl.DataFrame:
    """`_cc` (ISO country of the stored value) and `_sc` (ISO subdivision code of the stored state)."""
    if "country" in df.columns:
        df = map_distinct(df, ["country"], norm.country_iso, "_cc")
    else:
        df = df.with_columns(pl.lit(None, pl.String).alias("_cc"))
    if "state" in df.columns:
        df = map_distinct(df, ["state", "_cc"], norm.state_code, "_sc")
    return df


EMAIL_FLAGS = ("invalid", "disposable", "role", "test", "typo", "non_ascii")


def add_email_flags(df: pl.DataFrame, cfg, norm: Normalizer) -> pl.DataFrame:
    """Boolean columns `_e_<flag>` for every address, from the stored value (not the stored flags)."""
    parts = pl.col("email").str.strip_chars().str.extract_groups(_SIMPLE.pattern)
    df = df.with_columns(_parts=parts)
    local, domain = pl.col("_parts").struct.field("1"), pl.col("_parts").struct.field("2").str.to_lowercase()
    tld = domain.str.extract(r"\.([^.]+)$", 1)
    own_lists = len(cfg.not_disposable) + len(cfg.disposable_domains) + len(cfg.test_domains)
    fast = local.is_not_null() & (local.str.len_chars() <= 64) & (pl.col("email").str.len_chars() <= 254) \
        & ~tld.is_in(list(_SPECIAL_USE)) & pl.lit(own_lists == 0)
    df = df.with_columns(_fast=fast.fill_null(False), _local=local, _domain=domain).drop("_parts")
    typos = [d for d in df["_domain"].drop_nulls().unique().to_list() if suggest_domain(d)]
    base = pl.col("_local").str.split("+").list.first().str.to_lowercase()
    df = df.with_columns(
        _e_invalid=pl.lit(False), _e_disposable=pl.col("_domain").is_in(list(disposable_domains())),
        _e_role=base.is_in(list(role_accounts())),
        _e_test=base.str.contains("(?i)" + TEST_PATTERNS.pattern) |
        pl.col("_domain").is_in(list(TEST_DOMAINS)),
        _e_typo=pl.col("_domain").is_in(typos), _e_non_ascii=pl.lit(False))
    slow = df.filter(~pl.col("_fast") & pl.col("email").is_not_null())
    if slow.height:
        rows = {}
        for address in slow["email"].unique().to_list():
            flags, _ = flags_of(address, cfg, norm)
            rows[address] = flags
        addresses = list(rows)
        lookup = pl.DataFrame({"email": addresses, **{f"_s_{f}": [f in rows[a] for a in addresses]
                                                      for f in EMAIL_FLAGS}})
        df = df.join(lookup, on="email", how="left")
        df = df.with_columns([pl.when(pl.col("_fast")).then(pl.col(f"_e_{f}")).otherwise(
            pl.col(f"_s_{f}").fill_null(False)).alias(f"_e_{f}") for f in EMAIL_FLAGS])
        df = df.drop([f"_s_{f}" for f in EMAIL_FLAGS])
    blank = pl.col("email").is_null() | (pl.col("email").str.strip_chars() == "")
    return df.with_columns([pl.when(blank).then(False).otherwise(pl.col(f"_e_{f}").fill_null(False)).alias(f"_e_{f}")
                            for f in EMAIL_FLAGS]).drop(["_fast", "_local", "_domain"])


def needed_columns(fields: Iterable[str], available: Iterable[str]) -> list[str]:
    have = set(available)
    return [f for f in dict.fromkeys(fields) if f in have]

