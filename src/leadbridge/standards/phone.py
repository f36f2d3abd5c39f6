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
    if not phonenumbers.is_valid_number(num):
        why = "no country to read it with" if not country and not text.startswith("+") else "not a valid number"
        return Normalized(text, ok=False, flags=("invalid",), reason=why)
    e164 = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    if num.extension:
        e164 = f"{e164} ext. {num.extension}"
    return Normalized(e164, phonenumbers.region_code_for_number(num), reason=f"{text!r} → {e164}")
