"""Hygiene flags live in data_issues beside the standards' issues, prefixed `hygiene: <rule>: `.

The standards stage recomputes its own issues on each write; hygiene flags are kept across writes
(whatever the standards stage did with them) until the flagging rule's `when` no longer matches the
person, and keep `data_invalid` set (the person is not synced) while one remains.
"""

from __future__ import annotations

from datetime import datetime

from leadbridge.hygiene.rules import CompiledRule
from leadbridge.model import where as w
from leadbridge.standards.config import StandardsConfig
from leadbridge.standards.rules import check_record
from leadbridge.writepath.item import PendingItem

PREFIX = "hygiene: "
SEP = "; "


def _split(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "").split(SEP) if e.strip()]


def has_flags(item: PendingItem) -> bool:
    before = (item.existing or {}).get("data_issues") or ""
    return PREFIX in before or PREFIX in (item.record.get("data_issues") or "")


def settle(item: PendingItem, rules: list[CompiledRule], raised: list[tuple[str, str]], standards: StandardsConfig,
           now: datetime) -> None:
    """Write the person's hygiene flags: kept ones, minus those whose rule no longer matches, plus `raised`
    ((issue, rule name) pairs from rules that acted in this write)."""
    before = [e for e in _split((item.existing or {}).get("data_issues")) if e.startswith(PREFIX)]
    entries = _split(item.record.get("data_issues"))
    others = [e for e in entries if not e.startswith(PREFIX)]
    kept = dict.fromkeys(before + [e for e in entries if e.startswith(PREFIX)])
    for rule in rules:
        if rule.when is not None and not w.evaluate(rule.when, item.record, now):
            for issue in rule.flag_issues():
                kept.pop(issue, None)
    notes = {}
    for issue, rule in raised:
        if issue not in kept:
            kept[issue] = None
            notes[issue] = rule
    text = SEP.join(others + list(kept)) or None
    if text != item.record.get("data_issues"):
        why = ", ".join(f"rule '{r}'" for r in dict.fromkeys(notes.values())) or "flags kept or cleared"
        item.set("data_issues", text, note=f"hygiene: {why}")
    if kept:
        invalid = True
    elif before:  # the last hygiene flag went: invalid again only if a standard flags the person
        invalid = True if any(v.action == "flag" for v in check_record(item.record, standards)) else None
    else:
        return
    if item.record.get("data_invalid") != invalid:
        item.set("data_invalid", invalid, note="hygiene: flagged" if invalid else "hygiene: flags cleared")
    for rule in dict.fromkeys(notes.values()):
        if rule not in item.flags:
            item.flags.append(rule)
