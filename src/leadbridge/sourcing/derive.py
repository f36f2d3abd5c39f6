"""Derive a person's source: ordered rules, then the GA4 channel of their first visit (pure).

The visit is read from the inputs in the spec's order of preference: UTM parameters; then original
source type/info and registration source type/info (a landing-page URL's utm_* parameters, or a
type naming a medium); then the original referrer's host. A web visit with none of these is Direct;
a person with no sign of a web visit at all (an imported list row) has no channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping
from urllib.parse import parse_qs, urlparse

from leadbridge.model import where as w
from leadbridge.sourcing.channels import Channels, host_of, site_name
from leadbridge.sourcing.config import PersonSourceConfig

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
VISIT_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "original_source_type", "original_source_info",
                "registration_source_type", "registration_source_info", "original_referrer")
_PSEUDO = {"channel", "source", "medium", "campaign"}
# source types that mean "came through the website" (Marketo's and ours)
WEB_TYPES = {"web page visit", "web form", "web form fillout", "form fill-out", "form fillout", "web", "website",
             "landing page", "web visit"}
_MEDIUM_TYPES = {"email", "e-mail", "sms", "social", "referral", "affiliate", "display", "audio", "organic",
                 "cpc", "ppc", "paid search", "paid social"}


@dataclass(frozen=True)
class Visit:
    source: str | None
    medium: str | None
    campaign: str | None
    via: str  # which input it came from


def visit_of(record: Mapping[str, Any]) -> Visit | None:
    """The person's first visit as (source, medium, campaign), or None when nothing says they visited."""
    src, med, camp = (record.get(f) for f in ("utm_source", "utm_medium", "utm_campaign"))
    if src or med or camp:
        return Visit(src, med, camp, "UTM parameters")
    web = False
    for prefix in ("original_source", "registration_source"):
        kind, info = record.get(f"{prefix}_type"), record.get(f"{prefix}_info")
        for text in (info, kind):
            utm = _utm_in_url(text)
            if utm:
                return Visit(*utm, f"{prefix.replace('_', ' ')} URL")
        low = (kind or "").strip().lower()
        if low in _MEDIUM_TYPES:
            medium = {"paid search": "cpc", "paid social": "paid_social", "e-mail": "email"}.get(low, low)
            source = info if info and "//" not in str(info) else None
            return Visit(source, medium, None, f"{prefix.replace('_', ' ')} type {kind!r}")
        web = web or low in WEB_TYPES or _is_url(info)
    referrer = record.get("original_referrer")
    if referrer and str(referrer).strip():
        host = host_of(str(referrer))
        if host:
            return Visit(host, "referral", None, "original referrer")
    return Visit("(direct)", "(none)", None, "web visit without referrer or UTM") if web else None


def _is_url(text: Any) -> bool:
    return isinstance(text, str) and text.strip().lower().startswith(("http://", "https://"))


def _utm_in_url(text: Any) -> tuple[str | None, str | None, str | None] | None:
    if not isinstance(text, str) or "utm_" not in text:
        return None
    query = parse_qs(urlparse(text.strip()).query)
    got = tuple((query.get(k) or [None])[0] for k in ("utm_source", "utm_medium", "utm_campaign"))
    return got if any(got) else None


class SourceDeriver:
    """Compiled person-source rules; `derive(record)` → (value, why) or (None, why)."""

    def __init__(self, cfg: PersonSourceConfig, fields: Mapping[str, Any] | None = None):
        self.cfg = cfg
        self.channels = Channels.with_extra(cfg.sites.model_dump())
        self.rules = [(r, (w.parse(r.when, fields) if fields else w.parse(r.when)) if r.when else None)
                      for r in cfg.rules]
        used: set[str] = set(VISIT_FIELDS)
        for r, node in self.rules:
            used |= (w.fields_used(node) if node else set()) | (set(_PLACEHOLDER.findall(r.value)) - _PSEUDO)
        used |= set(_PLACEHOLDER.findall(cfg.channel_value)) - _PSEUDO
        self.used = sorted(used)
        self._cache: dict[tuple, tuple[str | None, str]] = {}

    def derive(self, record: Mapping[str, Any], now: datetime | None = None) -> tuple[str | None, str]:
        """(value, why); the result depends only on the fields the rules use, so it is cached by them."""
        key = tuple(record.get(f) for f in self.used)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._derive(record, now)
            if len(self._cache) < 1_000_000:
                self._cache[key] = hit
        return hit

    def channel(self, record: Mapping[str, Any]) -> tuple[dict[str, str], str]:
        """The {channel}, {source}, {medium}, {campaign} values of a record (empty without a visit), and why."""
        v = visit_of(record)
        if v is None:
            return {}, "no UTM parameters, web source or referrer"
        name, why = self.channels.classify(v.source, v.medium, v.campaign)
        src = "" if v.source in (None, "(direct)") else v.source
        shown = site_name(host_of(src)) if "." in src and v.via == "original referrer" else src
        return {"channel": name, "source": shown, "medium": v.medium or "", "campaign": v.campaign or ""}, \
            f"GA4 channel from {v.via}: {why}"

    def _derive(self, record: Mapping[str, Any], now: datetime | None) -> tuple[str | None, str]:
        visit: tuple[dict[str, str], str] | None = None
        for rule, node in self.rules:
            if node is not None and not w.evaluate(node, record, now):
                continue
            if _PSEUDO & set(_PLACEHOLDER.findall(rule.value)) and visit is None:
                visit = self.channel(record)
            value = _render(rule.value, record, visit[0] if visit else {})
            if value:
                return value, f"rule {rule.name!r}" + (f" ({visit[1]})" if visit and visit[0] else "")
        if self.cfg.channels:
            visit = visit or self.channel(record)
            if visit[0]:
                return _render(self.cfg.channel_value, record, visit[0]), visit[1]
            return None, f"no rule matches and {visit[1]}"
        return None, "no rule matches"


def _render(template: str, record: Mapping[str, Any], visit: Mapping[str, str]) -> str:
    """Fill placeholders; a value with an empty placeholder renders empty (the rule does not match)."""
    empty = False

    def fill(m: re.Match) -> str:
        nonlocal empty
        name = m.group(1)
        value = visit.get(name) if name in _PSEUDO else record.get(name)
        text = "" if value is None else str(value).strip()
        empty = empty or not text
        return text

    text = _PLACEHOLDER.sub(fill, template).strip()
    return "" if empty else text
