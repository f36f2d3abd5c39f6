"""`standards check`: each value with what it normalizes to and why (for admins writing rules)."""

from __future__ import annotations

from typing import Any

from leadbridge.errors import LeadbridgeError
from leadbridge.standards.country import country_label
from leadbridge.standards.normalize import country, email, phone, state


def check_values(field: str, values: list[str], country_code: str | None = None) -> list[dict[str, Any]]:
    out = []
    for v in values:
        if field == "country":
            n = country(v)
            shown = country_label(n.code) if n.code else None
        elif field == "state":
            n = state(v, (country_code or "").upper() or None)
            shown = n.value if n.code else None
        elif field == "email":
            n = email(v)
            shown = n.value if n.ok else None
        elif field == "phone":
            n = phone(v, country_code)
            shown = n.value if n.ok else None
        else:
            raise LeadbridgeError(f"cannot check field {field!r}", hint="use --field country, state, email or phone")
        out.append({"input": v, "value": shown, "code": n.code if field in ("country", "state") else None,
                    "flags": list(n.flags), "reason": n.reason, "suggestion": n.suggestion})
    return out
