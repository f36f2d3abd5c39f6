"""Country names in any language, codes and common variants → ISO 3166 alpha-2.

The index holds ISO alpha-2/alpha-3/numeric codes, English official and common names,
the name of every country in every CLDR locale (babel), and a reviewed list of variants.
A key that two countries share in different locales is ambiguous and matches nothing:
this normalizer never guesses.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pycountry
from babel import Locale, localedata

from leadbridge.standards.result import Normalized

# Reviewed variants people type into forms (keys are normalized with `key`).
VARIANTS = {
    "usa": "US", "u s a": "US", "u s": "US", "us of a": "US", "america": "US", "united states of america": "US",
    "the united states": "US", "united states america": "US", "estados unidos de america": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB", "united kingdom of great britain and northern ireland": "GB",
    "holland": "NL", "the netherlands": "NL", "south korea": "KR", "korea south": "KR", "republic of korea": "KR",
    "korea republic of": "KR", "north korea": "KP", "turkey": "TR", "turkiye": "TR", "viet nam": "VN",
    "vietnam": "VN", "ivory coast": "CI", "cote d ivoire": "CI", "czech republic": "CZ", "czechia": "CZ",
    "russia": "RU", "russian federation": "RU", "prc": "CN", "p r c": "CN", "p r china": "CN", "mainland china": "CN",
    "peoples republic of china": "CN", "people s republic of china": "CN", "roc": "TW", "hong kong sar": "HK",
    "macau": "MO", "uae": "AE", "u a e": "AE", "emirates": "AE", "ksa": "SA", "burma": "MM", "swaziland": "SZ",
    "macedonia": "MK", "persia": "IR", "iran": "IR", "syria": "SY", "laos": "LA", "moldova": "MD",
    "bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "vatican": "VA", "vatican city": "VA",
    "brunei": "BN", "cape verde": "CV", "east timor": "TL", "palestine": "PS", "deutschland": "DE",
    "brd": "DE", "frg": "DE", "ger": "DE", "espana": "ES", "brasil": "BR", "nippon": "JP", "nihon": "JP",
    "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "osterreich": "AT", "oesterreich": "AT",
    "belgique": "BE", "belgie": "BE", "sverige": "SE", "norge": "NO", "danmark": "DK", "suomi": "FI",
    "polska": "PL", "italia": "IT", "mexique": "MX", "aus": "AU", "oz": "AU", "nz": "NZ", "aotearoa": "NZ",
    "zhongguo": "CN", "bharat": "IN", "hindustan": "IN", "rsa": "ZA", "republique francaise": "FR",
    "bundesrepublik deutschland": "DE", "reino unido": "GB", "royaume uni": "GB", "ee uu": "US", "eeuu": "US",
}
# Names that mean different places depending on context: never resolved without it.
AMBIGUOUS = {"georgia", "congo", "korea", "guinea", "sudan", "virgin islands", "samoa", "dominica", "ireland north",
             "macedonia north", "niger", "micronesia", "st martin", "saint martin", "sa"}
JUNK = {"n a", "na", "none", "null", "nil", "unknown", "not specified", "other", "test", "xx", "x", "asdf",
        "europe", "asia", "africa", "emea", "apac", "latam", "north america", "south america", "international",
        "worldwide", "global", "earth", "eu", "-", ""}

_PUNCT = re.compile(r"[\s.,'’`´\"()\[\]/_\-–—:;&]+")


def key(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a country name."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCT.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _index() -> dict[str, str | None]:
    """key → alpha-2 (None where two countries claim the key)."""
    idx: dict[str, str | None] = {}

    def add(name: str | None, code: str) -> None:
        if not name:
            return
        k = key(name)
        if not k:
            return
        if k in idx and idx[k] != code:
            idx[k] = None  # ambiguous across locales
        else:
            idx[k] = code

    territories = {c.alpha_2 for c in pycountry.countries}
    for loc in localedata.locale_identifiers():
        try:
            names = Locale.parse(loc).territories
        except Exception:  # noqa: BLE001 - a locale babel cannot load adds nothing
            continue
        for code, name in names.items():
            if code in territories:
                add(name, code)
    for c in pycountry.countries:
        for name in (c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)):
            add(name, c.alpha_2)
    strong = {}
    for c in pycountry.countries:  # codes win over any name collision
        strong[key(c.alpha_2)] = c.alpha_2
        strong[key(c.alpha_3)] = c.alpha_2
        strong[c.numeric] = c.alpha_2
        strong[str(int(c.numeric))] = c.alpha_2
    for variant, code in VARIANTS.items():
        strong[key(variant)] = code
    idx.update(strong)
    for word in AMBIGUOUS:
        idx[key(word)] = None
    return idx


def normalize_country(value: object) -> Normalized:
    """→ Normalized(value=alpha-2 code) or no match (flagged), never a guess."""
    if value is None or not str(value).strip():
        return Normalized(None, ok=True, reason="empty")
    text = str(value)
    k = key(text)
    if k in JUNK:
        return Normalized(None, ok=False, flags=("no_match",), reason=f"{text!r} is not a country")
    idx = _index()
    if k in idx:
        code = idx[k]
        if code is None:
            return Normalized(None, ok=False, flags=("ambiguous",),
                              reason=f"{text!r} names more than one place; give the ISO code")
        return Normalized(code, code, reason=f"{text!r} → {code}")
    return Normalized(None, ok=False, flags=("no_match",), reason=f"{text!r} is not a country name or code we know")


def country_label(code: str) -> str:
    """The CRM picklist label of a country code (Salesforce's default labels)."""
    from leadbridge.sandbox.picklists import LABELS
    c = pycountry.countries.get(alpha_2=code)
    return LABELS.get(code, c.name if c else code)
