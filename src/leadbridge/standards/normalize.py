"""Normalize one record's changed fields (pure): which value each normalizer would store, and why.

Kept for callers that normalize a single field of a record (hygiene's `normalize` action);
the write path's standards stage does the same through a shared `Normalizer`.
"""

from __future__ import annotations

from typing import Any

from leadbridge.standards.config import StandardsConfig
from leadbridge.standards.normalizer import Normalizer, company, country, email, name, phone, state  # noqa: F401
from leadbridge.standards.result import Normalized

NAME_FIELDS = ("first_name", "last_name")
PHONE_FIELDS = ("phone", "mobile_phone")
_SHARED: dict[int, tuple[StandardsConfig, Normalizer]] = {}


def normalizer_for(cfg: StandardsConfig, picklists=None) -> Normalizer:
    """A Normalizer for `cfg` (reused while the same config object is in use)."""
    held = _SHARED.get(id(cfg))
    if held is None or held[0] is not cfg or held[1].picklists is not picklists:
        held = _SHARED[id(cfg)] = (cfg, Normalizer(cfg, picklists))
    return held[1]


def country_code(value: Any) -> str | None:
    """The ISO code of a stored country value (a label or a code)."""
    return country(value).code if value is not None else None


def normalize_record(record: dict[str, Any], changed: set[str], cfg: StandardsConfig,
                     norm: Normalizer | None = None) -> dict[str, Normalized]:
    """field → Normalized for the changed fields that a configured normalizer covers (person fields)."""
    norm = norm or normalizer_for(cfg)
    out: dict[str, Normalized] = {}
    on = set(cfg.normalize)
    cc = norm.country_iso(record.get("country"))
    if "country" in on and "country" in changed and record.get("country") is not None:
        out["country"] = n = norm.country(record["country"])
        cc = n.code or cc
    if "state" in on and ("state" in changed or "country" in changed) and record.get("state") is not None:
        out["state"] = norm.state(str(record["state"]), cc)
    if "email" in on and "email" in changed and record.get("email") is not None:
        out["email"] = norm.email(record["email"])
    if "phone" in on and cfg.phone_format == "e164":
        for f in PHONE_FIELDS:
            if (f in changed or "country" in changed) and record.get(f) is not None:
                out[f] = norm.phone(str(record[f]), cc)
    if "names" in on:
        for f in NAME_FIELDS:
            if f in changed and record.get(f) is not None:
                out[f] = norm.name(record[f])
    if "company" in on and "company" in changed and record.get("company") is not None:
        out["company"] = norm.company(record["company"])
    if "website" in on and "website" in changed and record.get("website") is not None:
        out["website"] = norm.website(record["website"])
    return out
