"""Phone numbers → E.164 with the record's country as the default region; invalid ones flagged, kept.

An extension is kept after the number (`+14155550132 ext. 123`), which phonenumbers reads back,
so normalizing twice gives the same value.
"""

from __future__ import annotations

import phonenumbers

from leadbridge.standards.result import Normalized


def normalize_phone(value: object, country: str | None = None) -> Normalized:
    if value is None or not str(value).strip():
        return Normalized(None, reason="empty")
    text = str(value).strip()
    try:
        num = phonenumbers.parse(text, (country or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        return Normalized(text, ok=False, flags=("invalid",), reason=f"not a phone number: {exc}")
    region = _region_of(num, (country or "").upper())
    if region is None:
        why = "no country to read it with" if not country and not text.startswith("+") else "not a valid number"
        return Normalized(text, ok=False, flags=("invalid",), reason=why)
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    if num.extension:
        e164 = f"{e164} ext. {num.extension}"
    return Normalized(e164, region, reason=f"{text!r} → {e164}")


def _region_of(num: phonenumbers.PhoneNumber, country: str) -> str | None:
    """The region `num` is a valid number of (None: not valid anywhere).

    The record's own country is tried first: a number valid there is that country's. Only
    otherwise is the region searched for, as `is_valid_number` does, which for a calling code
    shared by many regions (+1: the US, Canada and the Caribbean) checks each region's patterns.
    """
    if country and num.country_code == phonenumbers.country_code_for_region(country) \
            and phonenumbers.is_valid_number_for_region(num, country):
        return country
    region = phonenumbers.region_code_for_number(num)
    return region if region is not None and phonenumbers.is_valid_number_for_region(num, region) else None
