"""Realistic, messy fake people (Faker pools, combined fast enough for 1M-row benchmarks)."""

from __future__ import annotations

import random
from functools import lru_cache
from typing import Any, Iterator

from faker import Faker

LOCALES = {  # locale → (ISO country, how people write the country)
    "en_US": ("US", ["United States", "USA", "US", "U.S.A.", "united states", "America", "United States of America"]),
    "en_GB": ("GB", ["United Kingdom", "UK", "GB", "Great Britain", "England"]),
    "de_DE": ("DE", ["Germany", "Deutschland", "DE", "germany", "GER"]),
    "fr_FR": ("FR", ["France", "FR", "france", "République française"]),
    "es_ES": ("ES", ["Spain", "España", "ES"]),
    "zh_CN": ("CN", ["China", "中国", "PRC", "CN", "People's Republic of China"]),
    "ja_JP": ("JP", ["Japan", "日本", "JP"]),
    "en_CA": ("CA", ["Canada", "CA", "canada"]),
    "pt_BR": ("BR", ["Brazil", "Brasil", "BR"]),
    "en_AU": ("AU", ["Australia", "AU", "Aus"]),
}
WEIGHTS = [30, 10, 10, 6, 5, 10, 6, 6, 5, 5]
US_STATES = ["California", "CA", "Calif.", "New York", "NY", "N.Y.", "Texas", "TX", "Massachusetts", "Mass.",
             "MA", "Washington", "WA", "Illinois", "IL", "Florida", "Fla.", "D.C."]
CA_PROVINCES = ["Ontario", "ON", "Ont.", "Quebec", "Québec", "QC", "British Columbia", "BC", "Alberta", "AB"]
UTM = [("google", "cpc"), ("google", "organic"), ("linkedin", "paid_social"), ("facebook", "social"),
       ("newsletter", "email"), ("bing", "cpc"), (None, None), (None, None), ("partner-site", "referral"),
       ("baidu", "organic")]
TITLES = ["Marketing Manager", "VP Sales", "CTO", "Data Analyst", "Head of Growth", "Engineer",
          "Director of Operations", "CEO", "Product Manager", "Sales Representative"]
SUFFIXES = ["", "", " Inc.", " Inc", " LLC", " Ltd.", " GmbH", " Corp.", " Co., Ltd.", " S.A."]


@lru_cache(maxsize=None)
def _pools(seed: int) -> dict[str, dict[str, list[str]]]:
    pools = {}
    for loc in LOCALES:
        fake = Faker(loc)
        fake.seed_instance(seed)
        pools[loc] = {
            "first": [fake.first_name() for _ in range(200)],
            "last": [fake.last_name() for _ in range(200)],
            "company": [fake.company() for _ in range(150)],
            "city": [fake.city() for _ in range(80)],
            "street": [fake.street_address() for _ in range(150)],
            "postcode": [fake.postcode() for _ in range(100)],
            "phone": [fake.phone_number() for _ in range(200)],
            "domain": [fake.free_email_domain() for _ in range(10)] + [fake.domain_name() for _ in range(40)],
        }
    return pools


def _ascii_local(first: str, last: str, rnd: random.Random) -> str:
    local = f"{first}.{last}".lower()
    if not local.isascii():
        local = f"user{rnd.randrange(10**6)}"
    return "".join(c for c in local if c.isalnum() or c in "._") or "contact"


def generate_people(n: int, seed: int = 7, *, messy: bool = True) -> Iterator[dict[str, Any]]:
    """Yield `n` fake people; with `messy`, countries/states/emails are written the ways people do."""
    rnd = random.Random(seed)
    pools = _pools(seed % 5)
    locs = list(LOCALES)
    for i in range(n):
        loc = rnd.choices(locs, WEIGHTS)[0]
        p = pools[loc]
        code, spellings = LOCALES[loc]
        first, last = rnd.choice(p["first"]), rnd.choice(p["last"])
        company = rnd.choice(p["company"]) + (rnd.choice(SUFFIXES) if messy else "")
        email = f"{_ascii_local(first, last, rnd)}{i}@{rnd.choice(p['domain'])}"
        source, medium = rnd.choice(UTM)
        person = {
            "first_name": first, "last_name": last, "email": email, "company": company,
            "title": rnd.choice(TITLES), "phone": rnd.choice(p["phone"]), "city": rnd.choice(p["city"]),
            "street": rnd.choice(p["street"]), "postal_code": rnd.choice(p["postcode"]),
            "country": rnd.choice(spellings) if messy else code,
            "lead_score": rnd.randrange(0, 100), "utm_source": source, "utm_medium": medium,
        }
        if code == "US":
            person["state"] = rnd.choice(US_STATES)
        elif code == "CA":
            person["state"] = rnd.choice(CA_PROVINCES)
        if messy:
            roll = rnd.random()
            if roll < 0.03:
                person["email"] = email.replace("@gmail.com", "@gmial.com").replace("@", "@@", 1 if roll < 0.01 else 0)
            elif roll < 0.05:
                person["country"] = rnd.choice(["", "N/A", "Europe", "test"])
            elif roll < 0.07:
                person["email"] = f"info@{rnd.choice(p['domain'])}"
            elif roll < 0.09:
                person["first_name"] = first.upper()
                person["last_name"] = last.upper()
        yield person
