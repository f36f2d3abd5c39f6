"""CRM-like people with known duplicates (nicknames, typos, email variants, company suffixes, phone formats).

And hard negatives, different people who look alike: namesakes (same first and last name elsewhere),
family members sharing a phone, a company and a city, and colleagues sharing a role address (info@).
Used by the dedupe benchmarks and tests: every record carries `entity`, the person it really is.
"""

from __future__ import annotations

import random
import string
from functools import lru_cache
from typing import Any

from leadbridge.dedupe.features import nickname_groups

SUFFIXES = ["Inc.", "Inc", "LLC", "Ltd.", "GmbH", "Corp.", "Corporation", "Co., Ltd.", "S.A.", "Limited"]
WORDS = ["Global", "Systems", "Solutions", "Analytics", "Labs", "Group", "Partners", "Digital", "Networks",
         "Logistics", "Health", "Energy", "Capital", "Foods", "Media", "Robotics", "Software", "Consulting"]
FREE = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com"]


@lru_cache(maxsize=1)
def _pools() -> tuple[list[str], list[str], list[str]]:
    from faker import Faker
    from faker.providers.person.en_US import Provider as US
    from faker.providers.person.de_DE import Provider as DE
    first = sorted(set(US.first_names) | set(DE.first_names))
    last = sorted(set(US.last_names) | set(DE.last_names))
    fake = Faker("en_US")
    fake.seed_instance(5)
    cities = sorted({fake.city() for _ in range(3000)})
    return first, last, cities


def _typo(word: str, rnd: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rnd.randrange(1, len(word) - 1)
    op = rnd.random()
    if op < 0.33:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # transposition
    if op < 0.66:
        return word[:i] + word[i + 1:]  # deletion
    return word[:i] + rnd.choice(string.ascii_lowercase) + word[i + 1:]  # substitution


def _phone_formats(digits: str, rnd: random.Random) -> str:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return rnd.choice([f"+1{digits}", f"({a}) {b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"{a}-{b}-{c}"])


def _entity(i: int, rnd: random.Random) -> dict[str, Any]:
    first_pool, last_pool, cities = _pools()
    first, last = rnd.choice(first_pool), rnd.choice(last_pool)
    company = f"{rnd.choice(last_pool)} {rnd.choice(WORDS)}"
    if rnd.random() < 0.3:
        company = f"{company} {rnd.choice(WORDS)}"
    domain = company.split()[0].lower() + ".com"
    work = rnd.random() < 0.7
    email = f"{first}.{last}{i}@{domain}".lower() if work else f"{first}{last}{i}@{rnd.choice(FREE)}".lower()
    digits = f"{rnd.randrange(201, 990)}{rnd.randrange(200, 999)}{rnd.randrange(0, 10000):04d}"
    return {"first_name": first, "last_name": last, "email": email, "company": f"{company} {rnd.choice(SUFFIXES)}",
            "phone": _phone_formats(digits, rnd) if rnd.random() < 0.8 else None,
            "city": rnd.choice(cities), "_digits": digits, "_company": company, "_first": first, "_last": last}


ROLE_LOCALS = ["info", "sales", "contact", "office", "marketing", "support"]


def _namesake(e: dict[str, Any], i: int, rnd: random.Random) -> dict[str, Any]:
    """Another person with the same first and last name (elsewhere, sometimes in the same city)."""
    other = _entity(i, rnd)
    other.update(first_name=e["first_name"], last_name=e["last_name"], _first=e["_first"], _last=e["_last"])
    other["email"] = (f"{e['_first']}.{e['_last']}{i}@{other['email'].partition('@')[2]}").lower()
    if rnd.random() < 0.3:
        other["city"] = e["city"]
    return other


def _relative(e: dict[str, Any], i: int, rnd: random.Random) -> dict[str, Any]:
    """A family member: same last name, phone and city, often the same (family) company."""
    first_pool = _pools()[0]
    other = _entity(i, rnd)
    nick = nickname_groups()
    group = nick.get(e["_first"].lower(), e["_first"].lower())
    first = rnd.choice(first_pool)
    while nick.get(first.lower(), first.lower()) == group:
        first = rnd.choice(first_pool)
    other.update(first_name=first, last_name=e["last_name"], _first=first, _last=e["_last"], city=e["city"],
                 phone=e["phone"], _digits=e["_digits"])
    if rnd.random() < 0.5:
        other.update(company=e["company"], _company=e["_company"])
        domain = e["email"].partition("@")[2]
        other["email"] = f"{first}.{e['_last']}{i}@{domain}".lower()
    return other


def _colleague(e: dict[str, Any], i: int, rnd: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two people at one company who both signed up with its role address (info@company.com)."""
    domain = e["_company"].split()[0].lower() + ".com"
    role = f"{rnd.choice(ROLE_LOCALS)}@{domain}"
    other = _entity(i, rnd)
    other.update(company=e["company"], _company=e["_company"], city=e["city"], email=role)
    return {**e, "email": role}, other


def _duplicate(e: dict[str, Any], i: int, rnd: random.Random) -> dict[str, Any]:
    nick = {v: k for k, v in nickname_groups().items() if k != v}  # canonical → one nickname
    d = {k: v for k, v in e.items() if not k.startswith("_")}
    first, last = e["_first"], e["_last"]
    r = rnd.random()
    if r < 0.35 and first.lower() in nick:
        d["first_name"] = nick[first.lower()].title()
    elif r < 0.45:
        d["first_name"] = _typo(first, rnd)
    if rnd.random() < 0.15:
        d["last_name"] = _typo(last, rnd)
    if rnd.random() < 0.1:
        d["first_name"], d["last_name"] = d["first_name"].upper(), d["last_name"].upper()
    r = rnd.random()
    local, _, domain = e["email"].partition("@")
    if r < 0.25:
        d["email"] = f"{first}{last[0]}{i}@{rnd.choice(FREE)}".lower()  # another address
    elif r < 0.35:
        d["email"] = None
    elif r < 0.5:
        d["email"] = e["email"].upper() if rnd.random() < 0.5 else f"{local}+news@{domain}"
    elif r < 0.6 and domain == "gmail.com":
        d["email"] = f"{local[:3]}.{local[3:]}@googlemail.com"
    r = rnd.random()
    if r < 0.4:
        d["company"] = f"{e['_company']} {rnd.choice(SUFFIXES)}"
    elif r < 0.55:
        d["company"] = e["_company"].upper()
    elif r < 0.65:
        d["company"] = None
    r = rnd.random()
    if r < 0.5:
        d["phone"] = _phone_formats(e["_digits"], rnd)
    elif r < 0.7:
        d["phone"] = None
    if rnd.random() < 0.2:
        d["city"] = None
    return d


def synthetic_people(n: int, *, duplicate_share: float = 0.25, hard_share: float = 0.06,
                     seed: int = 11) -> list[dict[str, Any]]:
    """`n` people; about `duplicate_share` of them are extra records of another person (1–3 per person),
    and about `hard_share` are different people made to look like another one (a third each: namesakes,
    relatives, colleagues on a role address); these may have duplicates of their own too."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    i = 0

    def add(e: dict[str, Any], entity: int) -> None:
        out.append({**{k: v for k, v in e.items() if not k.startswith("_")}, "entity": entity})
        if rnd.random() < duplicate_share / (1 - duplicate_share) / 1.6:
            for _ in range(rnd.choice([1, 1, 1, 2, 3])):
                if len(out) < n:
                    out.append({**_duplicate(e, entity, rnd), "entity": entity})

    while len(out) < n:
        e = _entity(i, rnd)
        r = rnd.random() * 3 / max(hard_share, 1e-9)
        if r < 1:
            add(e, i)
            add(_namesake(e, i + 1, rnd), i + 1)
        elif r < 2:
            add(e, i)
            add(_relative(e, i + 1, rnd), i + 1)
        elif r < 3:
            mine, theirs = _colleague(e, i + 1, rnd)
            add(mine, i)
            add(theirs, i + 1)
        else:
            add(e, i)
        i += 2
    del out[n:]
    rnd.shuffle(out)
    return out


def true_pairs(people: list[dict[str, Any]], ids: list[Any]) -> set[tuple[Any, Any]]:
    """Every pair of ids that hold the same entity (smaller id first).

    The write path matches on email at import, so one record may hold several rows, even of two
    entities (colleagues on info@): a pair is true when its records share an entity."""
    groups: dict[int, list[Any]] = {}
    for p, rid in zip(people, ids):
        group = groups.setdefault(p["entity"], [])
        if rid not in group:
            group.append(rid)
    return {(min(a, b), max(a, b)) for g in groups.values() for k, a in enumerate(g) for b in g[k + 1:] if a != b}


def mixed_records(people: list[dict[str, Any]], ids: list[Any]) -> set[Any]:
    """Ids that hold rows of two or more entities: the write path matched them on a shared email at import
    (colleagues on info@), so no pair with them has a true answer."""
    seen: dict[Any, set[int]] = {}
    for p, rid in zip(people, ids):
        seen.setdefault(rid, set()).add(p["entity"])
    return {rid for rid, ents in seen.items() if len(ents) > 1}
