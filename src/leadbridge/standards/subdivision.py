"""States and provinces: names, postal and ISO 3166-2 codes, AP-style abbreviations, French Quebec names."""

from __future__ import annotations

from functools import lru_cache

import pycountry

from leadbridge.standards.country import key
from leadbridge.standards.result import Normalized

AP_STYLE = {  # Associated Press abbreviations and other common forms → postal code
    "US": {"ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "cal": "CA", "colo": "CO", "conn": "CT",
           "del": "DE", "d c": "DC", "dc": "DC", "washington dc": "DC", "washington d c": "DC",
           "district of columbia": "DC", "fla": "FL", "ga": "GA", "ill": "IL", "ind": "IN", "kan": "KS",
           "kans": "KS", "ky": "KY", "la": "LA", "md": "MD", "mass": "MA", "mich": "MI", "minn": "MN",
           "miss": "MS", "mo": "MO", "mont": "MT", "neb": "NE", "nebr": "NE", "nev": "NV", "n h": "NH", "n j": "NJ",
           "n m": "NM", "n y": "NY", "n c": "NC", "n d": "ND", "okla": "OK", "ore": "OR", "oreg": "OR", "pa": "PA",
           "penn": "PA", "r i": "RI", "s c": "SC", "s d": "SD", "tenn": "TN", "tex": "TX", "vt": "VT", "va": "VA",
           "wash": "WA", "w va": "WV", "wis": "WI", "wisc": "WI", "wyo": "WY", "cali": "CA", "socal": "CA",
           "norcal": "CA", "nyc": "NY", "new york city": "NY"},
    "CA": {"ont": "ON", "que": "QC", "qué": "QC", "quebec": "QC", "québec": "QC", "b c": "BC", "alta": "AB",
           "sask": "SK", "man": "MB", "n b": "NB", "n s": "NS", "p e i": "PE", "nfld": "NL", "newfoundland": "NL",
           "colombie britannique": "BC", "nouveau brunswick": "NB", "nouvelle ecosse": "NS",
           "ile du prince edouard": "PE", "terre neuve et labrador": "NL", "territoires du nord ouest": "NT",
           "yukon territory": "YT"},
}


@lru_cache(maxsize=None)
def _table(country: str) -> dict[str, str]:
    """key → subdivision code (the part after 'XX-') for one country; ambiguous keys dropped."""
    table: dict[str, str | None] = {}
    for s in pycountry.subdivisions.get(country_code=country) or []:
        code = s.code.split("-", 1)[1]
        for k in {key(code), key(s.name), key(s.code)}:
            if k in table and table[k] != code:
                table[k] = None
            else:
                table[k] = code
    for k, code in AP_STYLE.get(country, {}).items():
        table[key(k)] = code
    return {k: v for k, v in table.items() if v}


def normalize_state(value: object, country: str | None) -> Normalized:
    """→ the subdivision code for `country` (ISO alpha-2), or no match (flagged)."""
    if value is None or not str(value).strip():
        return Normalized(None, reason="empty")
    text = str(value)
    if not country:
        return Normalized(text.strip(), ok=False, flags=("no_country",), reason="state given without a country")
    table = _table(country.upper())
    if not table:
        return Normalized(text.strip(), reason=f"{country} has no subdivisions to check")
    code = table.get(key(text))
    if code is None:
        return Normalized(None, ok=False, flags=("no_match",), reason=f"{text!r} is not a subdivision of {country}")
    return Normalized(code, f"{country.upper()}-{code}", reason=f"{text!r} → {country.upper()}-{code}")


def state_name(country: str, code: str) -> str | None:
    sub = pycountry.subdivisions.get(code=f"{country}-{code}")
    return sub.name if sub else None
