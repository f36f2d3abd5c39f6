"""What a normalizer returns."""

from __future__ import annotations

from typing import NamedTuple


class Normalized(NamedTuple):
    """value: what to store (None: nothing usable); code: ISO code where relevant; flags: what is wrong.

    A named tuple, not a dataclass: normalizers build one per distinct value, millions in a batch job.
    """

    value: str | None
    code: str | None = None
    ok: bool = True
    flags: tuple[str, ...] = ()
    reason: str = ""
    suggestion: str | None = None
