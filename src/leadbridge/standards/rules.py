"""Check a record against the configured rules (pure): which rules fail, with their action and message."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from leadbridge.model import where as w
from leadbridge.model.types import is_blank
from leadbridge.standards.config import Rule, StandardsConfig
from leadbridge.standards.normalize import country, country_code, email, phone, state


@dataclass(frozen=True)
class Violation:
    rule: str
    field: str
    action: str
    severity: str
    message: str


def _special_ok(text: str, allowed: str) -> bool:
    return all(c.isalnum() or c in allowed or unicodedata.category(c).startswith("M") for c in text)


def _check(rule: Rule, value: Any, record: dict[str, Any]) -> str | None:
    """None when the rule holds, else what is wrong."""
    if rule.kind == "required":
        return f"{rule.field} is required" if is_blank(value) else None
    if is_blank(value):
        return None
    text = str(value)
    if rule.kind == "max_length":
        return f"{rule.field} is {len(text)} characters (max {rule.max_length})" if len(text) > (rule.max_length or 0) else None
    if rule.kind == "no_special_chars":
        return None if _special_ok(text, rule.allowed) else f"{rule.field} {text!r} has special characters"
    if rule.kind == "picklist":
        if rule.crm_picklist and not rule.values:
            return None  # the CRM's describe is not cached yet (`leadbridge mapping check` fetches it)
        return None if text in rule.values else f"{rule.field} {text!r} is not one of the allowed values"
    if rule.kind == "regex":
        return None if re.fullmatch(rule.pattern or ".*", text) else f"{rule.field} {text!r} does not match {rule.pattern}"
    fmt = rule.format
    if fmt == "email":
        n = email(text)
        return None if n.ok else f"invalid email: {n.reason}"
    if fmt == "phone":
        n = phone(text, country_code(record.get("country")))
        return None if n.ok else f"{rule.field} {text!r}: {n.reason}"
    if fmt == "country":
        n = country(text)
        return None if n.code else n.reason
    if fmt == "state":
        n = state(text, country_code(record.get("country")))
        return None if n.ok else n.reason
    if fmt == "url":
        return None if re.match(r"^(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?$", text, re.I) else f"{text!r} is not a URL"
    if fmt == "date":
        try:
            date.fromisoformat(text[:10])
            return None
        except ValueError:
            return f"{text!r} is not a date (YYYY-MM-DD)"
    return None


_WHEN: dict[str, w.Node] = {}


def check_record(record: dict[str, Any], cfg: StandardsConfig, fields: set[str] | None = None) -> list[Violation]:
    """Failing rules (for `fields` only, when given)."""
    out = []
    for rule in cfg.rules:
        if fields is not None and rule.field not in fields:
            continue
        if rule.when:
            node = _WHEN.get(rule.when) or _WHEN.setdefault(rule.when, w.parse(rule.when))
            if not w.evaluate(node, record):
                continue
        problem = _check(rule, record.get(rule.field), record)
        if problem:
            out.append(Violation(rule.name, rule.field, rule.action, rule.severity, rule.message or problem))
    return out
