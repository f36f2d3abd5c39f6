"""`standards check`: each value with what it normalizes to and why (for admins writing rules)."""

from __future__ import annotations

from typing import Any

from leadbridge.errors import LeadbridgeError
from leadbridge.standards.config import StandardsConfig
from leadbridge.standards.country import normalize_country
from leadbridge.standards.normalizer import Normalizer
from leadbridge.standards.picklists import CrmPicklists

FIELDS = ("country", "state", "email", "phone", "name", "company", "website")


def check_values(field: str, values: list[str], country_code: str | None = None,
                 cfg: StandardsConfig | None = None, picklists: CrmPicklists | None = None) -> list[dict[str, Any]]:
    """One row per value: input, value (what would be stored, or None), code (ISO for country/state), why."""
    if field not in FIELDS:
        raise LeadbridgeError(f"cannot check field {field!r}", hint="use --field " + ", ".join(FIELDS))
    norm = Normalizer(cfg or StandardsConfig(), picklists)
    cc = None
    if country_code:
        cc = norm.country_iso(country_code)
        if cc is None:
            raise LeadbridgeError(f"--country {country_code!r} is not a country we know: "
                                  f"{normalize_country(country_code).reason}", hint="give an ISO code such as US or DE")
    elif field == "state":
        raise LeadbridgeError("checking states needs --country", hint="e.g. --country US (states are per country)")
    out = []
    for v in values:
        if field == "country":
            n = norm.country(v)
        elif field == "state":
            n = norm.state(v, cc)
        elif field == "phone":
            n = norm.phone(v, cc)
        else:
            n = getattr(norm, field)(v)
        if field in ("country", "state"):
            shown = n.value if n.code else None
            code = n.code
        else:
            shown = n.value if n.ok else None
            code = None
        out.append({"input": v, "value": shown, "code": code, "ok": n.ok, "flags": list(n.flags),
                    "reason": n.reason, "suggestion": n.suggestion})
    return out
