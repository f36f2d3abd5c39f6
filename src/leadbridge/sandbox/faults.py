"""Seeded, reproducible faults, by rate or targeted at the next requests.

Spec (`--faults`, config `faults:`), comma-separated `kind[@path]=value`:

    lock=0.05,unavailable=0.02,latency=20ms,drop=0.01,ratelimit=burst,expire=0.01
    unavailable@/query=1.0,lock@/composite=0.2,latency@/jobs=50ms,ratelimit=burst:200/5,ratelimit@/limits=0.5

- `unavailable`: 503 `SERVER_UNAVAILABLE`.
- `lock`: `UNABLE_TO_LOCK_ROW`: a 400 on single-record writes; drawn per record in collections
  and per row in Bulk jobs (the other records of the call go through).
- `drop`: the request is applied, then the connection drops mid-response (a retrying client
  must be idempotent).
- `ratelimit`: 403 `REQUEST_LIMIT_EXCEEDED`; `burst` = every 200th call starts 5 refused
  calls, `burst:N/M` = every Nth call starts M, a number = that rate.
- `expire`: 401 `INVALID_SESSION_ID`, and every session is invalid afterwards.
- `latency`: added before every matching request (`20ms`, `1.5s`).

A fault without `@path` hits API requests (REST data API and SOAP calls, not logins); with
one it hits the requests whose URL path contains `path` (logins included). Targeted faults
for tests: `srv.faults.fail_next("lock", count=2, path="/composite/sobjects")` makes the next
two matching requests fail (a lock fails every record of a collection, or every row of the
Bulk job whose request it hits; only writes take a lock fault, only API calls an expiry);
`srv.faults.clear()` turns every fault off.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

from leadbridge.errors import SandboxError

KINDS = ("unavailable", "lock", "drop", "ratelimit", "expire")
_WRITES = ("POST", "PATCH", "PUT", "DELETE")
_HINT = "e.g. lock=0.05,unavailable@/query=0.5,latency=20ms,drop=0.01,ratelimit=burst:200/5,expire=0.01"


@dataclass
class Rule:
    kind: str
    rate: float
    path: str | None = None


@dataclass
class FaultPlan:
    rules: list[Rule] = field(default_factory=list)
    latency: list[tuple[float, str | None]] = field(default_factory=list)  # (ms, path)
    bursts: list[tuple[int, int, str | None]] = field(default_factory=list)  # (every, size, path)

    @classmethod
    def parse(cls, spec: str | None) -> "FaultPlan":
        plan = cls()
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            key, _, value = part.partition("=")
            kind, _, path = key.strip().partition("@")
            path = path or None
            try:
                if kind == "latency":
                    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)?", value.strip())
                    plan.latency.append((float(m.group(1)) * (1000 if m.group(2) == "s" else 1), path))
                elif kind == "ratelimit" and (value in ("", "burst") or value.startswith("burst:")):
                    m = re.fullmatch(r"burst(?::(\d+)/(\d+))?", value or "burst")
                    every, size = (int(m.group(1)), int(m.group(2))) if m.group(1) else (200, 5)
                    if every < 1 or size < 1:
                        raise ValueError(value)
                    plan.bursts.append((every, size, path))
                elif kind in KINDS:
                    rate = float(value)
                    if not 0 <= rate <= 1:
                        raise ValueError(value)
                    plan.rules.append(Rule(kind, rate, path))
                else:
                    raise ValueError(kind)
            except (ValueError, AttributeError, TypeError):
                raise SandboxError(f"bad fault {part!r}", hint=_HINT) from None
        return plan


@dataclass
class Hit:
    """What faults hit one request: the kinds and the added latency."""
    kinds: set[str] = field(default_factory=set)
    latency_ms: float = 0.0


def is_login(path: str) -> bool:
    return path.startswith("/services/oauth2/") or re.fullmatch(r"/services/Soap/u/[^/]+/?", path) is not None


def is_api(path: str) -> bool:
    return path.startswith("/services/data/v") or (path.startswith("/services/Soap/u/") and not is_login(path))


def _applies(kind: str, path: str, method: str) -> bool:
    if kind == "expire":
        return is_api(path)
    if kind == "lock":
        return is_api(path) and method in _WRITES and "/jobs/query" not in path
    return True


class Faults:
    """Draws faults from a seeded generator: the same seed and requests give the same faults."""

    def __init__(self, spec: str | None, seed: int):
        self.plan = FaultPlan.parse(spec)
        self.rng = random.Random(seed)
        self.calls = 0
        self._burst_left = [0] * len(self.plan.bursts)
        self._targeted: list[list] = []  # [kind, left, path]
        self._lock = threading.Lock()

    # -- control (tests, CLI) ------------------------------------------------------------------

    def fail_next(self, kind: str, count: int = 1, path: str | None = None) -> None:
        """The next `count` requests whose URL path contains `path` (any API request if None) fail with `kind`."""
        if kind not in KINDS:
            raise SandboxError(f"unknown fault kind {kind!r}", hint=f"one of {', '.join(KINDS)}")
        if count < 1:
            raise SandboxError(f"fault count must be at least 1, not {count}")
        with self._lock:
            self._targeted.append([kind, count, path])

    def clear(self) -> None:
        """Turn every fault off: rates, latency, bursts and targeted faults."""
        with self._lock:
            self.plan = FaultPlan()
            self._burst_left = []
            self._targeted.clear()

    # -- drawing -------------------------------------------------------------------------------

    def draw(self, path: str, method: str = "GET") -> Hit:
        """The faults that hit one request (consumes a targeted fault and draws the rates)."""
        hit = Hit()
        api = is_api(path)
        with self._lock:
            for entry in self._targeted:
                kind, _, where = entry
                if (path.find(where) >= 0 if where else api) and _applies(kind, path, method):
                    hit.kinds.add(kind)
                    entry[1] -= 1
                    break
            self._targeted = [e for e in self._targeted if e[1] > 0]
            hit.latency_ms = sum(ms for ms, where in self.plan.latency if (where in path if where else api))
            if api or any(where and where in path for *_, where in self.plan.bursts):
                self.calls += 1
            for i, (every, size, where) in enumerate(self.plan.bursts):
                if where in path if where else api:
                    if self.calls % every == 0:
                        self._burst_left[i] = size
                    if self._burst_left[i]:
                        self._burst_left[i] -= 1
                        hit.kinds.add("ratelimit")
            single_write = "/composite/" not in path and "/jobs/" not in path
            for rule in self.plan.rules:
                if not (rule.path in path if rule.path else api) or not _applies(rule.kind, path, method):
                    continue
                if rule.kind == "lock" and not single_write:
                    continue  # collections and Bulk jobs draw per record (lock_record)
                if self.rng.random() < rule.rate:
                    hit.kinds.add(rule.kind)
        return hit

    def lock_record(self, path: str) -> bool:
        """Whether one record of a collection or one Bulk row is locked (the lock rates that apply to `path`)."""
        with self._lock:
            locked = False
            for rule in self.plan.rules:
                if rule.kind == "lock" and (rule.path in path if rule.path else True):
                    locked = (self.rng.random() < rule.rate) or locked
            return locked
