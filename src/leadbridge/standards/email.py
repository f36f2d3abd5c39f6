"""Email addresses: trimmed, domain lower-cased, syntax checked (no DNS), with flags and a typo suggestion."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from email_validator import EmailNotValidError, validate_email
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from leadbridge.standards.result import Normalized

ROLE_ACCOUNTS = {"info", "sales", "support", "admin", "contact", "hello", "office", "marketing", "team", "help",
                 "billing", "noreply", "no-reply", "webmaster", "postmaster", "hr", "jobs", "careers", "enquiries",
                 "inquiries", "service", "mail", "press", "media", "abuse", "privacy", "security", "accounts"}
TEST_PATTERNS = re.compile(r"^(test|testing|asdf+|qwerty|foo|bar|fake|dummy|sample|example|none|null|xxx+|aaa+|abc|"
                           r"123+|nobody|noemail|no\.?email)\d*$", re.I)
TEST_DOMAINS = {"example.com", "example.org", "example.net", "test.com", "email.com", "domain.com",
                "localhost", "invalid"}
COMMON_DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com", "live.com",
                  "msn.com", "qq.com", "163.com", "126.com", "sina.com", "yahoo.co.jp", "gmx.de", "web.de",
                  "yandex.ru", "mail.ru", "protonmail.com", "me.com", "googlemail.com", "comcast.net", "orange.fr"]


@lru_cache(maxsize=1)
def disposable_domains() -> frozenset[str]:
    text = resources.files("leadbridge.standards").joinpath("data/disposable_domains.txt").read_text()
    return frozenset(l.strip().lower() for l in text.splitlines() if l.strip() and not l.startswith("#"))


def suggest_domain(domain: str) -> str | None:
    """A common domain one or two keystrokes away (gmial.com → gmail.com), or None."""
    if domain in COMMON_DOMAINS:
        return None
    hit = process.extractOne(domain, COMMON_DOMAINS, scorer=DamerauLevenshtein.distance, score_cutoff=1)
    return hit[0] if hit and hit[1] > 0 else None


# Plain ASCII dot-atom addresses under a public-looking TLD: valid for email-validator too, checked
# 20x faster. Anything else (quotes, IP literals, Unicode, special-use TLDs) takes the full validator.
_SIMPLE = re.compile(r"^([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@"
                     r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})$")
_SPECIAL_USE = {"arpa", "invalid", "local", "localhost", "onion", "test", "internal", "home", "lan", "corp"}


def _split(text: str) -> tuple[str, str]:
    m = _SIMPLE.match(text)
    if m and len(m.group(1)) <= 64 and len(text) <= 254 and m.group(2).rsplit(".", 1)[-1].lower() not in _SPECIAL_USE:
        return m.group(1), m.group(2).lower()
    info = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    return info.local_part, info.domain.lower()


def normalize_email(value: object) -> Normalized:
    """Trim, lower-case the domain, check syntax (no DNS); flags: invalid, disposable, role, test; typo suggestion."""
    if value is None or not str(value).strip():
        return Normalized(None, reason="empty")
    text = str(value).strip().strip("<>").strip()
    try:
        local, domain = _split(text)
    except EmailNotValidError as exc:
        return Normalized(text, ok=False, flags=("invalid",), reason=str(exc))
    normalized = f"{local}@{domain}"
    flags = []
    if domain in disposable_domains():
        flags.append("disposable")
    if local.lower() in ROLE_ACCOUNTS:
        flags.append("role")
    if TEST_PATTERNS.match(local) or domain in TEST_DOMAINS:
        flags.append("test")
    suggestion = suggest_domain(domain)
    if suggestion:
        flags.append("typo")
    return Normalized(normalized, ok=True, flags=tuple(flags), reason="valid syntax",
                      suggestion=f"{local}@{suggestion}" if suggestion else None)
