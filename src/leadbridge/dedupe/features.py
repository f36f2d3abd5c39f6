"""Normalized comparison values and blocking keys, computed column-wise with Polars."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable
from importlib import resources

import polars as pl

import phonenumbers

from leadbridge.dedupe.config import BlockingRule, Comparison
from leadbridge.standards.email import role_accounts
from leadbridge.standards.names import CJK_PREFIXES, CJK_SUFFIXES, LEGAL_SUFFIXES

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


V = pl.col("v")
Stage = list[pl.Expr]  # expressions computed together; the value being normalized is column `v`


def _on_distinct(values: pl.Series, stages: list[Stage | Callable[[pl.DataFrame], pl.DataFrame]]) -> pl.Series:
    """Run `stages` over the distinct values only (one after the other, each materialized), then map back.

    Mostly distinct columns (emails) skip the round trip and are normalized as they are."""
    text = values.cast(pl.Utf8)
    distinct = text.unique().drop_nulls()
    few = distinct.len() < 0.7 * len(text)
    frame = (distinct if few else text).to_frame("k").with_columns(pl.col("k").alias("v"))
    for stage in stages:
        frame = stage(frame) if callable(stage) else frame.with_columns(stage)
    if not few:
        return frame["v"]
    return text.to_frame("k").join(frame.select("k", "v"), on="k", how="left", maintain_order="left")["v"]


def _non_ascii(form: str, accents: bool) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """A stage applying Unicode normalization `form` (and dropping accents) to non-ASCII values only."""
    def stage(frame: pl.DataFrame) -> pl.DataFrame:
        v = frame["v"]
        where = (v.str.len_bytes() != v.str.len_chars()).fill_null(False).arg_true()
        if where.len() == 0:
            return frame
        done = v.gather(where).str.normalize(form)
        if accents:
            done = done.str.replace_all(r"\p{Mn}", "")
        return frame.with_columns(v.scatter(where, done))
    return stage


# case, accents and surrounding space folded
_fold = [_non_ascii("NFKD", accents=True), [V.str.to_lowercase().str.strip_chars().alias("v")]]


_NULL_IF_BLANK: Stage = [pl.when(V.str.len_chars() > 0).then(V).otherwise(None).alias("v")]
# case, accents and surrounding space folded; blank → null
_PLAIN: list = [*_fold, _NULL_IF_BLANK]

_LOCAL, _DOMAIN = pl.col("local"), pl.col("domain")
# case, gmail dots and +tags folded: John.Smith+news@GoogleMail.com = johnsmith@gmail.com
_EMAIL: list[Stage] = [*_PLAIN, [V.str.replace_all(r"\s", "").alias("v")],
                       [V.str.extract(r"^([^@]+)@", 1).str.replace(r"\+.*$", "").alias("local"),
                        V.str.extract(r"@(.+)$", 1).str.replace("^googlemail.com$", "gmail.com").alias("domain")],
                       [pl.when(_DOMAIN.is_in(_FREE_MAIL_DOTS)).then(_LOCAL.str.replace_all(".", "", literal=True))
                        .otherwise(_LOCAL).alias("local")],
                       [pl.when(_LOCAL.is_not_null() & _DOMAIN.is_not_null()).then(_LOCAL + "@" + _DOMAIN)
                        .otherwise(V).alias("v")]]

# letters and digits only, accents and case folded; CJK kept as written
_NAME: list[Stage] = [*_PLAIN, [V.str.replace_all(r"[^\p{L}\p{N}]", "").alias("v")], _NULL_IF_BLANK]
_CODE: list[Stage] = [*_PLAIN, [V.str.replace_all(r"\s", "").alias("v")]]
_TEXT: list[Stage] = [*_PLAIN, [V.str.replace_all(r"\s+", " ").alias("v")]]


def _e164(region: str) -> list[Stage]:
    """E.164 digits (country code first): `+` or `00` numbers as written, national ones with `region`'s code
    (its trunk 0 dropped). `(415) 555-0101`, `+1 415 555 0101` and `001-415-555-0101` are one number."""
    code = str(phonenumbers.country_code_for_region(region.upper()) or "")
    digits = pl.col("digits")
    return [[V.str.strip_chars().str.replace(r"(?i)\s*(ext\.?|x|#)\s*\d+$", "").alias("v")],  # no extension
            [V.str.replace_all(r"\D", "").alias("digits")],
            [pl.when(digits.str.len_chars() < 6).then(None)
             .when(V.str.starts_with("+")).then(digits)
             .when(digits.str.starts_with("00")).then(digits.str.slice(2))
             .when(pl.lit(code == "1") & digits.str.starts_with("1") & (digits.str.len_chars() == 11)).then(digits)
             .otherwise(pl.lit(code) + digits.str.replace(r"^0", "")).alias("v")]]


_LEGAL_FORMS = LEGAL_SUFFIXES.pattern.removeprefix(r"[\s,]*").removesuffix(r"\.?$")
_CUT_LEGAL = rf"(?:^|[\s,]+){_LEGAL_FORMS}\.?$"  # on lower-cased text
_CUT_CJK_PREFIX = "^(?:" + "|".join(re.escape(p) for p in CJK_PREFIXES) + ")"
_CUT_CJK_SUFFIX = "(?:" + "|".join(re.escape(p) for p in CJK_SUFFIXES) + ")$"


def _cut(pattern: str) -> Stage:
    """`v` without what `pattern` matches, unless nothing would be left."""
    cut = V.str.replace(pattern, "").str.strip_chars()
    return [pl.when(cut.str.len_chars() > 0).then(cut).otherwise(V).alias("v")]


# `leadbridge.standards.names.company_key` as Polars stages (Rust regex, no per-value Python): legal forms
# (up to three: `Foo Holdings GmbH & Co. KG`, `Foo Co., Ltd.`) and CJK company words off, a leading `the`
# off, punctuation and case folded (ß as ss, as casefold does)
_COMPANY: list = [_non_ascii("NFKC", accents=False),
                  [V.str.strip_chars().str.to_lowercase().str.replace_all("ß", "ss").alias("v")],
                         _cut(_CUT_CJK_PREFIX), _cut(_CUT_CJK_SUFFIX), _cut(_CUT_LEGAL), _cut(_CUT_LEGAL),
                         _cut(_CUT_LEGAL),
                         [V.str.replace(r"^the\s+", "").str.replace_all(r"[^\w\s]", " ").str.replace_all(r"\s+", " ")
                          .str.strip_chars().alias("v")], _NULL_IF_BLANK]


def company_keys(values: pl.Series) -> pl.Series:
    """The company match key of each value (null for blank)."""
    return _on_distinct(values, _COMPANY)


def is_role_address(email: pl.Expr) -> pl.Expr:
    """A shared mailbox (info@, sales@…): the same address does not make two people one."""
    return email.str.extract(r"^([^@]+)@", 1).is_in(sorted(role_accounts())).fill_null(False)


def _acronym(key: pl.Expr) -> pl.Expr:
    words = key.str.split(" ")
    acr = words.list.eval(pl.element().str.slice(0, 1)).list.join("")
    return pl.when(words.list.len() >= 2).then(acr).otherwise(None)


def prepare(frame: pl.DataFrame, comparisons: list[Comparison], blocking: list[BlockingRule],
            phone_region: str = "US") -> pl.DataFrame:
    """`id` plus, per compared field, its normalized value (and helper columns), plus each blocking key."""
    stages = {"email": _EMAIL, "name": _NAME, "company": _COMPANY, "phone": _e164(phone_region), "code": _CODE,
              "text": _TEXT}
    cols: list[pl.Series] = [frame["id"]]
    for c in comparisons:
        raw = frame[c.field] if c.field in frame.columns else pl.Series(c.field, [None] * frame.height, pl.Utf8)
        if c.kind in stages:
            cols.append(_on_distinct(raw, stages[c.kind]).alias(c.field))
        else:
            cols.append(raw.cast(pl.Utf8).alias(c.field))
    out = pl.DataFrame(cols)
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
