"""Candidate pairs: records sharing every key of a blocking rule (oversized blocks skipped and counted)."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from leadbridge.dedupe.config import BlockingRule


@dataclass
class Candidates:
    pairs: pl.DataFrame  # a, b (row positions, a < b), rule (name of the first rule that paired them)
    skipped_blocks: dict[str, int] = field(default_factory=dict)  # rule → blocks over max_block_size


def candidate_pairs(frame: pl.DataFrame, rules: list[BlockingRule], max_block: int) -> Candidates:
    """Every pair of rows sharing all keys of at least one rule; each pair once, with its first rule."""
    indexed = frame.with_row_index("_row")
    parts, skipped = [], {}
    for order, rule in enumerate(rules):
        keys = rule.keys
        # one 64-bit hash per block key: grouping and joining integers, not strings (a collision only
        # adds a candidate pair, which scoring then judges)
        sub = (indexed.select(["_row", *keys]).drop_nulls(keys)
               .select("_row", pl.struct(keys).hash(seed=order).alias("_key")))
        sizes = sub.group_by("_key").len()
        skipped[rule.name] = sizes.filter(pl.col("len") > max_block).height
        ok = sizes.filter((pl.col("len") > 1) & (pl.col("len") <= max_block)).drop("len")
        sub = sub.join(ok, on="_key", how="semi")
        pairs = (sub.join(sub, on="_key", suffix="_r")
                 .filter(pl.col("_row") < pl.col("_row_r"))
                 .select(pl.col("_row").alias("a"), pl.col("_row_r").alias("b"), pl.lit(order, pl.UInt8).alias("order")))
        parts.append(pairs)
    if not parts:
        empty = pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32, "rule": pl.Utf8})
        return Candidates(empty, skipped)
    names = {i: r.name for i, r in enumerate(rules)}
    allp = (pl.concat(parts).group_by("a", "b").agg(pl.col("order").min())
            .with_columns(pl.col("order").replace_strict(names, return_dtype=pl.Utf8).alias("rule"))
            .drop("order").sort(["a", "b"]))
    return Candidates(allp, skipped)
