"""Google Analytics 4's default channel group (specs/person-source.md), row by row, in GA4's order (pure).

`Channels(sites).classify(source, medium, campaign)` → (channel, why). Site lists ship as data files
(sourcing/sites/*.txt) that the `person_source.sites` setting extends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Mapping, Sequence
from urllib.parse import urlparse

KINDS = ("search", "social", "video", "shopping")
PAID = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
SHOPPING_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
DISPLAY = {"display", "banner", "expandable", "interstitial", "cpm"}
SOCIAL_MEDIUMS = {"social", "social-network", "social-media", "sm", "social network", "social media"}
REFERRAL_MEDIUMS = {"referral", "app", "link"}
EMAIL = {"email", "e-mail", "e_mail", "e mail"}
CHANNELS = ["Direct", "Cross-network", "Paid Shopping", "Paid Search", "Paid Social", "Paid Video", "Display",
            "Paid Other", "Organic Shopping", "Organic Social", "Organic Video", "Organic Search", "Referral",
            "Email", "Affiliates", "Audio", "SMS", "Mobile Push Notifications", "Unassigned"]
# second-level labels under country domains: www.google.co.uk → google
_SECOND_LEVEL = {"co", "com", "ac", "or", "ne", "net", "org", "gov", "edu", "gob", "go", "nic", "ltd", "plc"}
_PREFIXES = ("www.", "m.", "l.", "lm.", "mobile.", "amp.")


@lru_cache(maxsize=None)
def shipped_sites(kind: str) -> frozenset[str]:
    """The shipped site list of one kind (search, social, video, shopping)."""
    text = resources.files("leadbridge.sourcing").joinpath(f"sites/{kind}.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def host_of(value: str) -> str:
    """'https://www.Google.co.uk/search?q=x' → 'www.google.co.uk'; a bare host stays."""
    text = value.strip().lower()
    if "//" in text:
        return urlparse(text).hostname or ""
    return text.split("/")[0].split("?")[0]


def site_name(host: str) -> str:
    """The registrable name of a host: 'www.google.co.uk' → 'google', 'news.ycombinator.com' → 'ycombinator'."""
    parts = [p for p in host.split(".") if p]
    if len(parts) >= 3 and parts[-2] in _SECOND_LEVEL and len(parts[-1]) == 2:
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else host


def _candidates(source: str) -> list[str]:
    """The forms of a source a site list may name: as given, the host without www./m./…, its registrable name."""
    out = [source]
    if "." in source or "//" in source:
        host = host_of(source)
        bare = host
        for p in _PREFIXES:
            bare = bare.removeprefix(p)
        out += [host, bare, site_name(host)]
    return out


@dataclass(frozen=True)
class Channels:
    """The channel table with its site lists (shipped + configured)."""

    sites: Mapping[str, frozenset[str]]

    @classmethod
    def with_extra(cls, extra: Mapping[str, Sequence[str]] | None = None) -> "Channels":
        extra = extra or {}
        return cls({k: shipped_sites(k) | {s.strip().lower() for s in extra.get(k, ()) if s.strip()} for k in KINDS})

    def kind_of(self, source: str) -> str | None:
        """search / social / video / shopping for a source (utm_source or a referrer host), or None."""
        if not source:
            return None
        for c in _candidates(source):
            for kind in ("shopping", "search", "social", "video"):
                if c in self.sites[kind]:
                    return kind
        return None

    def classify(self, source: str | None, medium: str | None, campaign: str | None = None) -> tuple[str, str]:
        """(channel, why) of one visit; first matching row of GA4's table wins; case-insensitive."""
        src = (source or "").strip().lower()
        med = (medium or "").strip().lower()
        camp = (campaign or "").strip().lower()
        if (src == "(direct)" and med in ("", "(none)", "(not set)")) or not (src or med or camp):
            return "Direct", "no source, medium or referrer" if not src else "source (direct)"
        kind = self.kind_of(src)
        paid = bool(PAID.match(med))
        shop_campaign = bool(SHOPPING_CAMPAIGN.match(camp)) if camp else False
        via = f"source {src!r}" if src else "no source"
        if "cross-network" in camp:
            return "Cross-network", f"campaign {camp!r} contains cross-network"
        if (kind == "shopping" or shop_campaign) and paid:
            return "Paid Shopping", f"paid medium {med!r}, " + (f"shopping site {src!r}" if kind == "shopping"
                                                                else f"shopping campaign {camp!r}")
        for k, name in (("search", "Paid Search"), ("social", "Paid Social"), ("video", "Paid Video")):
            if kind == k and paid:
                return name, f"paid medium {med!r} from {k} site {src!r}"
        if med in DISPLAY:
            return "Display", f"medium {med!r}"
        if paid:
            return "Paid Other", f"paid medium {med!r} ({via})"
        if kind == "shopping" or shop_campaign:
            return "Organic Shopping", f"shopping site {src!r}" if kind == "shopping" else f"shopping campaign {camp!r}"
        if kind == "social" or med in SOCIAL_MEDIUMS:
            return "Organic Social", f"social site {src!r}" if kind == "social" else f"medium {med!r}"
        if kind == "video" or "video" in med:
            return "Organic Video", f"video site {src!r}" if kind == "video" else f"medium {med!r}"
        if kind == "search" or med == "organic":
            return "Organic Search", f"search engine {src!r}" if kind == "search" else "medium 'organic'"
        if med in REFERRAL_MEDIUMS:
            return "Referral", f"medium {med!r} ({via})"
        if src in EMAIL or med in EMAIL:
            return "Email", f"source {src!r} / medium {med!r}"
        if med == "affiliate":
            return "Affiliates", "medium 'affiliate'"
        if med == "audio":
            return "Audio", "medium 'audio'"
        if src == "sms" or med == "sms":
            return "SMS", "source or medium 'sms'"
        if med.endswith("push") or "mobile" in med or "notification" in med or src == "firebase":
            return "Mobile Push Notifications", f"medium {med!r}" if med else "source 'firebase'"
        return "Unassigned", f"no channel rule matches source {src!r} / medium {med!r}"


_DEFAULT = Channels.with_extra()


def channel(source: str | None, medium: str | None, referrer: str | None = None,
            campaign: str | None = None) -> tuple[str, str]:
    """(channel, why) with the shipped site lists; a referrer stands in for a missing source and medium."""
    if not (source or medium or campaign) and referrer and referrer.strip():
        host = host_of(referrer)
        kind = _DEFAULT.kind_of(host)
        return _DEFAULT.classify(host, "organic" if kind == "search" else "referral")
    return _DEFAULT.classify(source, medium, campaign)
