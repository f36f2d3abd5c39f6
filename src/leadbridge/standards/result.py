"""What a normalizer returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Normalized:
    """value: what to store (None: nothing usable); code: ISO code where relevant; flags: what is wrong."""

    value: str | None
    code: str | None = None
    ok: bool = True
    flags: tuple[str, ...] = ()
    reason: str = ""
    suggestion: str | None = None
