"""Salesforce record ids: 15-character case-sensitive ids and their 18-character case-safe form.

The last three characters of an 18-character id encode, five characters at a time, which of
the first fifteen are upper case; Salesforce accepts either form anywhere an id goes, and an
18-character id in any letter case.
"""

from __future__ import annotations

import re

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SHAPE = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-5]{3})?")


def suffix(id15: str) -> str:
    out = ""
    for i in range(3):
        bits = sum(1 << j for j, c in enumerate(id15[i * 5:i * 5 + 5]) if "A" <= c <= "Z")
        out += _ALPHABET[bits]
    return out


def make(prefix: str, counter: int) -> str:
    """An 18-character id: the object's key prefix, a zero-padded counter and the case-safe suffix."""
    id15 = f"{prefix}{counter:012d}"
    return id15 + suffix(id15)


def looks_like_id(value: object) -> bool:
    return isinstance(value, str) and bool(_SHAPE.fullmatch(value))


def canonical(value: str) -> str:
    """The 18-character form of a 15- or 18-character id (the letter case restored from the suffix)."""
    if len(value) == 15:
        return value + suffix(value)
    head, tail = value[:15], value[15:].upper()
    fixed = []
    for i, ch in enumerate(tail):
        bits = _ALPHABET.index(ch) if ch in _ALPHABET else 0
        for j, c in enumerate(head[i * 5:i * 5 + 5]):
            fixed.append(c.upper() if bits >> j & 1 else c.lower())
    return "".join(fixed) + tail
