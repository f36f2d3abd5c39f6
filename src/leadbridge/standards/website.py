"""Websites and URLs: scheme and host lower-cased, a bare trailing slash dropped; what counts as a URL."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from leadbridge.standards.result import Normalized

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$", re.I)


def _host_ok(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(labels) >= 2 and all(_LABEL.match(l) for l in labels) and not labels[-1].isdigit()


def parse_url(text: str):
    """The split URL (a missing scheme read as http), or None when it is not a web address."""
    text = text.strip()
    if not text or any(c.isspace() for c in text):
        return None
    try:
        parts = urlsplit(text if "://" in text else f"http://{text}")
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:  # '[' (an unclosed IPv6 literal), a port that is no number
        return None
    return parts if _host_ok(parts.hostname) else None


def is_url(text: str) -> bool:
    return parse_url(text) is not None


def normalize_website(value: object) -> Normalized:
    """Trim, lower-case scheme and host, drop a bare '/'; not a web address → kept and flagged."""
    if value is None or not str(value).strip():
        return Normalized(None, reason="empty")
    text = str(value).strip()
    parts = parse_url(text)
    if parts is None:
        return Normalized(text, ok=False, flags=("invalid",), reason=f"{text!r} is not a web address")
    had_scheme = "://" in text
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    path = "" if parts.path == "/" and not parts.query and not parts.fragment else parts.path
    out = urlunsplit((parts.scheme.lower(), netloc, path, parts.query, parts.fragment))
    if not had_scheme:
        out = out.split("://", 1)[1]
    return Normalized(out, reason="kept" if out == text else f"{text!r} → {out}")
