"""Derive a person's source: ordered rules, then the GA4 channel of their UTM parameters or referrer."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Mapping

from leadbridge.model import where as w
from leadbridge.sourcing.channels import channel
from leadbridge.sourcing.config import PersonSourceConfig

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class SourceDeriver:
    """Compiled person-source rules; `derive(record)` → (value, why) or (None, why)."""

    def __init__(self, cfg: PersonSourceConfig, fields: Mapping[str, Any] | None = None):
        self.cfg = cfg
        self.rules = [(r, w.parse(r.when, fields) if fields else w.parse(r.when)) for r in cfg.rules]
        used: set[str] = {"utm_source", "utm_medium", "original_referrer"}
        for r, node in self.rules:
            used |= w.fields_used(node) | set(_PLACEHOLDER.findall(r.value))
        self._used = sorted(used)
        self._cache: dict[tuple, tuple[str | None, str]] = {}

    def derive(self, record: Mapping[str, Any], now: datetime | None = None) -> tuple[str | None, str]:
        """(value, why); the result depends only on the fields the rules use, so it is cached by them."""
        key = tuple(record.get(f) for f in self._used)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._derive(record, now)
            if len(self._cache) < 1_000_000:
                self._cache[key] = hit
        return hit

    def _derive(self, record: Mapping[str, Any], now: datetime | None) -> tuple[str | None, str]:
        for rule, node in self.rules:
            if w.evaluate(node, record, now):
                value = _PLACEHOLDER.sub(lambda m: str(record.get(m.group(1)) or "").strip(), rule.value).strip()
                value = value.rstrip(":").strip()
                if value:
                    return value, f"rule {rule.name!r}"
        if self.cfg.channels:
            if any(record.get(f) for f in ("utm_source", "utm_medium", "original_referrer")):
                ch, why = channel(record.get("utm_source"), record.get("utm_medium"), record.get("original_referrer"))
                return f"{self.cfg.web_prefix}{ch}", f"GA4 channel: {why}"
        return None, "no rule matches and no UTM parameters or referrer"
