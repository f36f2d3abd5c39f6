"""Normalized comparison values and blocking keys, computed column-wise with Polars."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import polars as pl

import phonenumbers

from leadbridge.dedupe.config import BlockingRule, Comparison
from leadbridge.standards.email import role_accounts
from leadbridge.standards.names import company_key

_FREE_MAIL_DOTS = ("gmail.com", "googlemail.com")


@lru_cache(maxsize=1)
def nickname_groups() -> dict[str, str]:
    """Name → the canonical name of the first group it belongs to (bob → robert)."""
    out: dict[str, str] = {}
    text = resources.files("leadbridge.dedupe").joinpath("data/nicknames.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        names = [n.strip() for n in line.split(",") if n.strip()]
        for name in names:
            out.setdefault(name, names[0])
    return out


def _plain(col: pl.Expr) -> pl.Expr:
    """Case, accents and surrounding space folded; blank → null."""
    text = (col.cast(pl.Utf8).str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
            .str.to_lowercase().str.strip_chars())
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None)


def _email(col: pl.Expr) -> pl.Expr:
    text = _plain(col).str.replace_all(r"\s", "")
    local = text.str.extract(r"^([^@]+)@", 1).str.replace(r"\+.*$", "")
    domain = text.str.extract(r"@(.+)$", 1).str.replace("^googlemail.com$", "gmail.com")
    local = pl.when(domain.is_in(_FREE_MAIL_DOTS)).then(local.str.replace_all(".", "", literal=True)).otherwise(local)
    return pl.when(local.is_not_null() & domain.is_not_null()).then(local + "@" + domain).otherwise(text)


def _e164(col: pl.Expr, region: str) -> pl.Expr:
    """E.164 digits (country code first): `+` or `00` numbers as written, national ones with `region`'s code
    (its trunk 0 dropped). `(415) 555-0101`, `+1 415 555 0101` and `001-415-555-0101` are one number."""
    text = col.cast(pl.Utf8).str.strip_chars()
    text = text.str.replace(r"(?i)\s*(ext\.?|x|#)\s*\d+$", "")  # an extension is not part of the number
    digits = text.str.replace_all(r"\D", "")
    code = str(phonenumbers.country_code_for_region(region.upper()) or "")
    national = digits.str.replace(r"^0", "")
    e164 = (pl.when(text.str.starts_with("+")).then(digits)
            .when(digits.str.starts_with("00")).then(digits.str.slice(2))
            .when((pl.lit(code) == "1") & digits.str.starts_with("1") & (digits.str.len_chars() == 11)).then(digits)
            .otherwise(pl.lit(code) + national))
    return pl.when(digits.str.len_chars() >= 6).then(e164).otherwise(None)


def is_role_address(email: pl.Expr) -> pl.Expr:
    """A shared mailbox (info@, sales@…): the same address does not make two people one."""
    return email.str.extract(r"^([^@]+)@", 1).is_in(sorted(role_accounts())).fill_null(False)


def _name(col: pl.Expr) -> pl.Expr:
    text = _plain(col).str.replace_all(r"[^\p{L}\p{N}]", "")
    return pl.when(text.str.len_chars() > 0).then(text).otherwise(None)


def _company_keys(series: pl.Series) -> pl.Series:
    uniques = series.drop_nulls().unique().to_list()
    mapping = {u: company_key(u) for u in uniques}
    return series.replace_strict(mapping, default=None, return_dtype=pl.Utf8)


def _acronym(key: pl.Expr) -> pl.Expr:
    words = key.str.split(" ")
    acr = words.list.eval(pl.element().str.slice(0, 1)).list.join("")
    return pl.when(words.list.len() >= 2).then(acr).otherwise(None)


def prepare(frame: pl.DataFrame, comparisons: list[Comparison], blocking: list[BlockingRule],
            phone_region: str = "US") -> pl.DataFrame:
    """`id` plus, per compared field, its normalized value (and helper columns), plus each blocking key."""
    cols: list[pl.Expr | pl.Series] = [pl.col("id")]
    for c in comparisons:
        src = pl.col(c.field) if c.field in frame.columns else pl.lit(None, dtype=pl.Utf8)
        if c.kind == "email":
            cols.append(_email(src).alias(c.field))
        elif c.kind == "name":
            cols.append(_name(src).alias(c.field))
        elif c.kind == "company":
            raw = frame[c.field] if c.field in frame.columns else pl.Series([None] * frame.height, dtype=pl.Utf8)
            cols.append(_company_keys(raw.cast(pl.Utf8)).alias(c.field))
        elif c.kind == "phone":
            cols.append(_e164(src, phone_region).alias(c.field))
        elif c.kind == "code":
            cols.append(_plain(src).str.replace_all(r"\s", "").alias(c.field))
        elif c.kind == "text":
            cols.append(_plain(src).str.replace_all(r"\s+", " ").alias(c.field))
        else:
            cols.append(src.cast(pl.Utf8).alias(c.field))
    out = frame.select(cols)
    nick = nickname_groups()
    extra = []
    for c in comparisons:
        col = pl.col(c.field)
        if c.kind == "name":
            extra.append(col.replace(nick).alias(f"{c.field}:canon"))
        elif c.kind == "company":
            extra.append(_acronym(col).alias(f"{c.field}:acronym"))
        elif c.kind == "email":
            role = is_role_address(col)
            extra.append(pl.when(role).then(None).otherwise(col.str.extract(r"^([^@]+)@", 1)).alias(f"{c.field}:local"))
            extra.append(role.alias(f"{c.field}:role"))
        elif c.kind == "phone":
            extra.append(col.str.slice(-7).alias(f"{c.field}:last7"))
    out = out.with_columns(extra) if extra else out
    keys, seen = [], set(out.columns)
    for rule in blocking:
        for key in rule.keys:
            if key in seen:
                continue
            seen.add(key)
            name, _, arg = key.partition(":")
            if arg.isdigit():
                keys.append(pl.col(name).str.slice(0, int(arg)).alias(key))
            elif arg == "key":
                keys.append(pl.col(name).alias(key))
            else:
                raise ValueError(f"unknown blocking key {key!r}")
    return out.with_columns(keys) if keys else out
