"""Match keys: how a record is found again from its values."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Callable

_SPACE = re.compile(r"\s+")


def email_key(value: Any) -> str | None:
    """The person match key: the address trimmed and lower-cased (None when blank)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return text or None


def name_key(value: Any) -> str | None:
    """A case-, width- and whitespace-insensitive key for names."""
    if value is None:
        return None
    text = _SPACE.sub(" ", unicodedata.normalize("NFKC", str(value))).strip().casefold()
    return text or None


# Derived key columns: (object, key column) → (source field, key function)
DERIVED_KEYS: dict[tuple[str, str], tuple[str, Callable[[Any], str | None]]] = {
    ("person", "email_key"): ("email", email_key),
    ("company", "name_key"): ("name", name_key),
}
