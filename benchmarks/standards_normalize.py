"""Normalize + validate person rows on columns (distinct values), and the country hold-out accuracy.

    python benchmarks/standards_normalize.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import resource
import time

import polars as pl

from leadbridge.demo.people import generate_people
from leadbridge.standards.batch import normalize_frame
from leadbridge.standards.country import normalize_country

# A hold-out written by hand (not taken from the tables the index is built from): how people type
# countries into forms, with the answer; None = must not match.
HOLDOUT = [
    ("USA", "US"), ("U.S.", "US"), ("us", "US"), ("United States", "US"), ("united-states", "US"), ("U.S.A", "US"),
    ("America", "US"), ("Unites States", None), ("Estados Unidos", "US"), ("美國", "US"), ("アメリカ合衆国", "US"),
    ("Vereinigte Staaten", "US"), ("Stati Uniti", "US"), ("États Unis", "US"), ("Соединенные Штаты", "US"),
    ("UK", "GB"), ("U.K.", "GB"), ("Britain", "GB"), ("England", "GB"), ("Scotland", "GB"), ("Royaume-Uni", "GB"),
    ("Großbritannien", "GB"), ("Vereinigtes Königreich", "GB"), ("英国", "GB"), ("Germany", "DE"), ("germany", "DE"),
    ("GERMANY", "DE"), ("Deutschland", "DE"), ("Allemagne", "DE"), ("Alemania", "DE"), ("Germania", "DE"),
    ("德国", "DE"), ("ドイツ", "DE"), ("Германия", "DE"), ("France", "FR"), ("Frankreich", "FR"), ("Francia", "FR"),
    ("法国", "FR"), ("China", "CN"), ("P.R.C.", "CN"), ("中国", "CN"), ("中華人民共和國", "CN"), ("Chine", "CN"),
    ("Japan", "JP"), ("日本", "JP"), ("Japon", "JP"), ("Japón", "JP"), ("Spain", "ES"), ("España", "ES"),
    ("Espagne", "ES"), ("Spanien", "ES"), ("Italy", "IT"), ("Italia", "IT"), ("Italien", "IT"), ("Brazil", "BR"),
    ("Brasil", "BR"), ("Brésil", "BR"), ("Canada", "CA"), ("Kanada", "CA"), ("加拿大", "CA"), ("Mexico", "MX"),
    ("México", "MX"), ("Mexiko", "MX"), ("India", "IN"), ("Indien", "IN"), ("Inde", "IN"), ("印度", "IN"),
    ("Australia", "AU"), ("Australien", "AU"), ("Netherlands", "NL"), ("The Netherlands", "NL"), ("Holland", "NL"),
    ("Nederland", "NL"), ("Pays-Bas", "NL"), ("Switzerland", "CH"), ("Schweiz", "CH"), ("Suisse", "CH"),
    ("Austria", "AT"), ("Österreich", "AT"), ("Sweden", "SE"), ("Sverige", "SE"), ("Norway", "NO"), ("Norge", "NO"),
    ("Denmark", "DK"), ("Danmark", "DK"), ("Finland", "FI"), ("Suomi", "FI"), ("Poland", "PL"), ("Polska", "PL"),
    ("Russia", "RU"), ("Россия", "RU"), ("Russian Federation", "RU"), ("South Korea", "KR"), ("Korea, South", "KR"),
    ("대한민국", "KR"), ("한국", "KR"), ("Republic of Korea", "KR"), ("Türkiye", "TR"), ("Turkey", "TR"),
    ("Türkei", "TR"), ("Vietnam", "VN"), ("Viet Nam", "VN"), ("Việt Nam", "VN"), ("Ivory Coast", "CI"),
    ("Côte d'Ivoire", "CI"), ("Cote d Ivoire", "CI"), ("Czech Republic", "CZ"), ("Czechia", "CZ"), ("Česko", "CZ"),
    ("UAE", "AE"), ("United Arab Emirates", "AE"), ("Singapore", "SG"), ("新加坡", "SG"), ("Hong Kong", "HK"),
    ("香港", "HK"), ("Taiwan", "TW"), ("台灣", "TW"), ("New Zealand", "NZ"), ("Ireland", "IE"), ("Éire", "IE"),
    ("Israel", "IL"), ("South Africa", "ZA"), ("Egypt", "EG"), ("مصر", "EG"), ("Saudi Arabia", "SA"),
    ("Argentina", "AR"), ("Chile", "CL"), ("Colombia", "CO"), ("Peru", "PE"), ("Perú", "PE"), ("Portugal", "PT"),
    ("Belgium", "BE"), ("Belgique", "BE"), ("België", "BE"), ("Greece", "GR"), ("Ελλάδα", "GR"),
    ("Philippines", "PH"), ("Indonesia", "ID"), ("Thailand", "TH"), ("ประเทศไทย", "TH"), ("Malaysia", "MY"),
    ("DE", "DE"), ("GB", "GB"), ("FRA", "FR"), ("JPN", "JP"), ("usa ", "US"), (" china", "CN"),
    # must not match
    ("Europe", None), ("EMEA", None), ("N/A", None), ("n.a.", None), ("none", None), ("test", None), ("asdf", None),
    ("Georgia", None), ("Congo", None), ("Korea", None), ("Guinea", None), ("-", None), ("Other", None),
    ("Worldwide", None), ("Asia Pacific", None), ("California", None), ("Bavaria", None), ("Narnia", None),
    ("Atlantis", None), ("Gondor", None), ("xx", None), ("123456", None), ("Earth", None), ("Latin America", None),
]


def holdout() -> None:
    tp = fp = fn = 0
    wrong = []
    for text, want in HOLDOUT:
        got = normalize_country(text).code
        if got and got == want:
            tp += 1
        elif got and got != want:
            fp += 1
            wrong.append((text, got, want))
        elif want:
            fn += 1
            wrong.append((text, got, want))
    print(f"country hold-out ({len(HOLDOUT)} values): precision {tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f}")
    for w in wrong:
        print(f"  {w[0]!r}: got {w[1]}, expected {w[2]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    holdout()
    cols = ["first_name", "last_name", "email", "phone", "company", "state", "country"]
    rows = list(generate_people(args.rows, seed=11))
    df = pl.DataFrame({c: [r.get(c) for r in rows] for c in cols})
    del rows
    normalize_country("warm up")  # the CLDR index is built once per process (~2-3 s), not per row
    start = time.perf_counter()
    out = normalize_frame(df)
    t = time.perf_counter() - start
    print(f"normalize + validate {len(df):,} rows (country, state, email, phone, names, company): "
          f"{len(df) / t:,.0f} rows/s ({t:.1f} s); rows with issues: {(out['issues'] > 0).sum():,}")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
