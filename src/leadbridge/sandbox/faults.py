"""Seeded, reproducible faults: lock contention, 503s, latency, dropped connections, rate-limit bursts, expiry.

    lock=0.05,unavailable=0.02,latency=20ms,drop=0.01,ratelimit=burst,expire=0.01

A dropped connection is applied first and then dropped (as Salesforce can do), so a client
that retries must be idempotent.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from leadbridge.errors import SandboxError


@dataclass
class FaultPlan:
    lock: float = 0.0
    unavailable: float = 0.0
    latency_ms: float = 0.0
    drop: float = 0.0
    ratelimit: str | None = None  # "burst": every 200th call starts 5 refused calls
    expire: float = 0.0

    @classmethod
    def parse(cls, spec: str | None) -> "FaultPlan":
        plan = cls()
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            key, _, value = part.partition("=")
            try:
                if key == "latency":
                    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)?", value)
                    plan.latency_ms = float(m.group(1)) * (1000 if m.group(2) == "s" else 1)
                elif key == "ratelimit":
                    plan.ratelimit = value or "burst"
                elif key in ("lock", "unavailable", "drop", "expire"):
                    setattr(plan, key, float(value))
                else:
                    raise ValueError(key)
            except (ValueError, AttributeError):
                raise SandboxError(f"bad fault {part!r}",
                                   hint="e.g. lock=0.05,unavailable=0.02,latency=20ms,drop=0.01,ratelimit=burst") from None
        return plan


class Faults:
    """Draws faults from a seeded generator: the same seed and calls give the same faults."""

    def __init__(self, spec: str | None, seed: int):
        self.plan = FaultPlan.parse(spec)
        self.rng = random.Random(seed)
        self.calls = 0
        self.burst_left = 0

    def next(self) -> dict[str, bool]:
        """Which faults hit this request."""
        self.calls += 1
        p, r = self.plan, self.rng
        out = {"unavailable": r.random() < p.unavailable, "drop": r.random() < p.drop,
               "lock": r.random() < p.lock, "expire": r.random() < p.expire, "ratelimit": False}
        if p.ratelimit == "burst":
            if self.calls % 200 == 0:
                self.burst_left = 5
            if self.burst_left:
                self.burst_left -= 1
                out["ratelimit"] = True
        return out

    def lock_record(self) -> bool:
        return self.plan.lock > 0 and self.rng.random() < self.plan.lock
