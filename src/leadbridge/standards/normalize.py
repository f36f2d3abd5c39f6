"""Normalize one record's changed fields (pure): which value each normalizer would store, and why."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from leadbridge.standards.config import StandardsConfig
from leadbridge.standards.country import country_label, normalize_country
from leadbridge.standards.email import normalize_email
from leadbridge.standards.names import normalize_company, normalize_name
from leadbridge.standards.phone import normalize_phone
from leadbridge.standards.result import Normalized
from leadbridge.standards.subdivision import normalize_state, state_name

NAME_FIELDS = ("first_name", "last_name")
PHONE_FIELDS = ("phone", "mobile_phone")

# per-process caches: lists repeat the same values (countries, states, domains) many times
country = lru_cache(maxsize=4096)(normalize_country)
email = lru_cache(maxsize=65536)(normalize_email)
name = lru_cache(maxsize=65536)(normalize_name)
company = lru_cache(maxsize=65536)(normalize_company)
state = lru_cache(maxsize=8192)(normalize_state)
phone = lru_cache(maxsize=65536)(normalize_phone)


def country_code(value: Any) -> str | None:
    """The ISO code of a stored country value (a label or a code)."""
    return country(value).code if value is not None else None


def normalize_record(record: dict[str, Any], changed: set[str], cfg: StandardsConfig) -> dict[str, Normalized]:
    """field → Normalized for the changed fields that a configured normalizer covers."""
    out: dict[str, Normalized] = {}
    on = set(cfg.normalize)
    cc = country_code(record.get("country"))
    if "country" in on and "country" in changed and record.get("country") is not None:
        n = country(record["country"])
        if n.code:
            shown = country_label(n.code) if cfg.country_render == "label" else n.code
            n = Normalized(shown, n.code, reason=n.reason)
            cc = n.code
        out["country"] = n
    if "state" in on and ("state" in changed or "country" in changed) and record.get("state") is not None:
        n = state(str(record["state"]), cc)
        if n.code and cfg.state_render == "name":
            n = Normalized(state_name(cc, n.value) or n.value, n.code, reason=n.reason)
        out["state"] = n
    if "email" in on and "email" in changed and record.get("email") is not None:
        out["email"] = email(str(record["email"]))
    if "phone" in on and cfg.phone_format == "e164":
        for f in PHONE_FIELDS:
            if (f in changed or "country" in changed) and record.get(f) is not None:
                out[f] = phone(str(record[f]), cc)
    if "names" in on:
        for f in NAME_FIELDS:
            if f in changed and record.get(f) is not None:
                out[f] = name(record[f])
    if "company" in on and "company" in changed and record.get("company") is not None:
        out["company"] = company(record["company"])
    return out
