"""Salesforce's default State and Country/Territory picklists, from `data/address_settings.json`.

The file holds the AddressSettings of a 2023 org: 235 countries (ISO alpha-2 codes, minus
the places Salesforce lists as states of another country or not at all, plus XK) and the
states of AU, BR, CA, CN, IE, IN, IT, JP, MX and US. Several state codes are *not* ISO
3166-2 (China's GB/T 2260 numbers with HK 91, MO 92, TW 71; Mexico's AG/BC/DF; India's
CT/OR/UT/DD/DN; Italy's 110 provinces with CI/OG/OT/VS; Japan's permuted labels), which is
exactly what a sandbox must reproduce, so nothing here comes from pycountry. The US
territories and armed-forces codes ship inactive, as in that org: not offered, not accepted.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from importlib import resources
from typing import Any

STATE_COUNTRIES = ("US", "CA", "AU", "BR", "CN", "IN", "IE", "IT", "MX", "JP")


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files("leadbridge.sandbox").joinpath("data/address_settings.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """CountryCode → label (= integration value), in the org's order."""
    return {code: label for code, label in _data()["countries"]}


# The labels the CRM shows for country codes (standards.country uses them for names).
LABELS: dict[str, str] = countries()


@lru_cache(maxsize=1)
def all_states() -> dict[str, list[tuple[str, str, bool]]]:
    """CountryCode → [(StateCode, label, active)], every state the org knows."""
    return {cc: [(s[0], s[1], s[2] if len(s) > 2 else True) for s in rows] for cc, rows in _data()["states"].items()}


@lru_cache(maxsize=1)
def states() -> dict[str, dict[str, str]]:
    """CountryCode → {StateCode → label}, active states only (what writes accept)."""
    return {cc: {code: label for code, label, active in rows if active} for cc, rows in all_states().items()}


def country_code_for(value: str) -> str | None:
    """The code of a Country text value that exactly equals a label (or a code), as Salesforce accepts."""
    table = countries()
    if value in table:
        return value
    return _country_by_label().get(value)


@lru_cache(maxsize=1)
def _country_by_label() -> dict[str, str]:
    return {label: code for code, label in countries().items()}


def state_code_for(country: str, value: str) -> str | None:
    table = states().get(country, {})
    if value in table:
        return value
    return next((code for code, label in table.items() if label == value), None)


def valid_for(index: int, size: int) -> str:
    """Salesforce's `validFor`: a base64 bitmap with the bit of the controlling value at `index` set.

    Bits run from the most significant bit of the first byte, so a client tests
    `bytes[i >> 3] & (0x80 >> (i & 7))` for controlling value i (Salesforce's describe docs).
    """
    bits = bytearray((size + 7) // 8)
    bits[index >> 3] |= 0x80 >> (index & 7)
    return base64.b64encode(bytes(bits)).decode()


@lru_cache(maxsize=1)
def state_picklist() -> list[dict[str, Any]]:
    """The StateCode picklistValues of describe: every active state, dependent on CountryCode via validFor."""
    order = {code: i for i, code in enumerate(countries())}
    out = []
    for cc, table in states().items():
        for code, label in table.items():
            out.append({"active": True, "defaultValue": False, "label": label, "validFor": valid_for(order[cc], len(order)),
                        "value": code})
    return out
