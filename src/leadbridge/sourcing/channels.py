"""Google Analytics 4's default channel group, from UTM source/medium or the referrer (pure)."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlparse

SEARCH = {"google", "bing", "yahoo", "baidu", "duckduckgo", "yandex", "ecosia", "naver", "sogou", "so.com",
          "360.cn", "ask", "aol", "seznam", "qwant", "startpage", "brave"}
SOCIAL = {"facebook", "fb", "instagram", "ig", "linkedin", "lnkd.in", "twitter", "t.co", "x", "x.com", "tiktok",
          "pinterest", "reddit", "weibo", "wechat", "weixin", "douyin", "xiaohongshu", "snapchat", "quora",
          "threads", "bilibili", "vk", "line", "kakao", "youtube-social", "mastodon"}
VIDEO = {"youtube", "vimeo", "youku", "iqiyi", "twitch", "dailymotion", "bilibili-video"}
EMAIL = {"email", "e-mail", "e_mail", "e mail", "newsletter", "mailchimp", "marketo", "hubspot-email"}
PAID = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*|sem)$")
CHANNELS = ["Direct", "Cross-network", "Paid Shopping", "Paid Search", "Paid Social", "Paid Video", "Display",
            "Paid Other", "Organic Shopping", "Organic Social", "Organic Video", "Organic Search", "Email",
            "Affiliates", "Referral", "Audio", "SMS", "Mobile Push Notifications", "Unassigned"]


def _site(value: str) -> str:
    """'www.google.co.uk' → 'google'; 'lnkd.in' stays; 'm.facebook.com' → 'facebook'."""
    host = value.lower().strip()
    if "//" in host:
        host = urlparse(host).hostname or ""
    host = host.removeprefix("www.").removeprefix("m.").removeprefix("l.")
    if host in SOCIAL or host in SEARCH:
        return host
    parts = host.split(".")
    if len(parts) >= 3 and parts[-2] in ("co", "com", "ac", "or", "ne"):
        return parts[-3]
    return parts[-2] if len(parts) >= 2 else host


@lru_cache(maxsize=65536)
def channel(source: str | None, medium: str | None, referrer: str | None = None) -> tuple[str, str]:
    """(channel, why) for one visit; GA4's rules in GA4's order."""
    src = (source or "").strip().lower()
    med = (medium or "").strip().lower()
    if not src and not med:
        if referrer and referrer.strip():
            site = _site(referrer)
            if site in SEARCH:
                return "Organic Search", f"referrer {site} is a search engine"
            if site in SOCIAL:
                return "Organic Social", f"referrer {site} is a social network"
            if site in VIDEO:
                return "Organic Video", f"referrer {site} is a video site"
            return "Referral", f"referrer {site}"
        return "Direct", "no UTM and no referrer"
    site = _site(src) if "." in src else src
    paid = bool(PAID.match(med))
    if src == "(direct)" and med in ("", "(none)", "(not set)"):
        return "Direct", "utm_source (direct)"
    if med == "cross-network":
        return "Cross-network", "utm_medium cross-network"
    if site in SEARCH and paid:
        return "Paid Search", f"paid medium {med!r} from search engine {site}"
    if site in SOCIAL and paid:
        return "Paid Social", f"paid medium {med!r} from social network {site}"
    if site in VIDEO and paid:
        return "Paid Video", f"paid medium {med!r} from video site {site}"
    if med in ("display", "banner", "expandable", "interstitial", "cpm"):
        return "Display", f"utm_medium {med}"
    if paid:
        return "Paid Other", f"paid medium {med!r}"
    if site in SOCIAL or med in ("social", "social-network", "social-media", "sm", "social network", "social media"):
        return "Organic Social", f"social source {src!r} / medium {med!r}"
    if site in VIDEO or "video" in med:
        return "Organic Video", f"video source {src!r}"
    if site in SEARCH or med == "organic":
        return "Organic Search", f"search source {src!r} / medium {med!r}"
    if src in EMAIL or med in EMAIL:
        return "Email", f"email source {src!r} / medium {med!r}"
    if med == "affiliate":
        return "Affiliates", "utm_medium affiliate"
    if med == "referral":
        return "Referral", "utm_medium referral"
    if med == "audio":
        return "Audio", "utm_medium audio"
    if src == "sms" or med == "sms":
        return "SMS", "sms"
    if med.endswith("push") or "mobile" in med or "notification" in med:
        return "Mobile Push Notifications", f"utm_medium {med}"
    return "Unassigned", f"no channel rule matches source {src!r} / medium {med!r}"
