"""Field policies: which side may write a field, and whether a change is pushed.

`decide` is the whole rule table of DESIGN.md as one pure function; the write
path calls it per incoming field, the sync engine for pushes.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadbridge.model.changes import SourceKind
from leadbridge.model.types import is_blank


class FieldRule(str, enum.Enum):
    CRM_WINS = "crm_wins"
    MA_WINS = "ma_wins"
    LATEST_WINS = "latest_wins"
    CRM_UNLESS_BLANK = "crm_unless_blank"
    MA_UNLESS_BLANK = "ma_unless_blank"
    FILL_ONLY = "fill_only"
    APPEND = "append"
    NONE = "none"


@dataclass(frozen=True)
class FieldPolicy:
    rule: FieldRule = FieldRule.LATEST_WINS
    blocked_sources: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    """apply: store `value` locally; push: send the field to the CRM; reason: why not, if not."""

    apply: bool
    value: Any = None
    push: bool = False
    reason: str = ""


def decide(policy: FieldPolicy, source: SourceKind, current: Any, incoming: Any, *,
           current_at: datetime | None = None, incoming_at: datetime | None = None,
           stamp: str = "") -> Decision:
    """Decide what a change from `source` does to one field under `policy`.

    `current_at` is when the stored value last changed (field history),
    `incoming_at` when the incoming change happened at its source; both only
    matter for latest_wins. `stamp` prefixes appended text.
    """
    if source.value in policy.blocked_sources and not is_blank(current):
        return Decision(False, reason=f"source {source.value} is blocked for this field")
    rule, from_crm = policy.rule, source.is_crm
    if source is SourceKind.MERGE:  # survivorship (or an undo) already chose the value: set it as is
        return Decision(True, incoming, push=rule not in (FieldRule.NONE, FieldRule.CRM_WINS,
                                                          FieldRule.CRM_UNLESS_BLANK))
    blank_in, blank_cur = is_blank(incoming), is_blank(current)

    if rule is FieldRule.APPEND:
        new = str(incoming) if blank_cur or blank_in else _new_lines(str(current), str(incoming))
        if blank_in or not new:
            return Decision(False, reason="nothing new to append")
        text = f"{stamp}{new}" if stamp else new
        value = text if blank_cur else f"{current}\n{text}"
        return Decision(True, value, push=not from_crm and rule is not FieldRule.NONE)
    if rule is FieldRule.FILL_ONLY:
        if not blank_cur:
            return Decision(False, reason="fill_only: field already has a value")
        return Decision(True, incoming, push=not from_crm)
    if from_crm:
        return _from_crm(rule, blank_in, blank_cur, incoming, current_at, incoming_at)
    return _from_ma(rule, blank_in, incoming)


def _from_crm(rule: FieldRule, blank_in: bool, blank_cur: bool, incoming: Any,
              current_at: datetime | None, incoming_at: datetime | None) -> Decision:
    if rule is FieldRule.NONE:
        return Decision(False, reason="not synced (rule none)")
    if rule is FieldRule.MA_WINS:
        return Decision(False, reason="marketing is master (ma_wins)")
    if rule is FieldRule.MA_UNLESS_BLANK:
        if blank_cur and not blank_in:
            return Decision(True, incoming)
        return Decision(False, reason="marketing is master (ma_unless_blank)")
    if rule is FieldRule.CRM_UNLESS_BLANK and blank_in:
        return Decision(False, reason="a blank from the CRM never overwrites (crm_unless_blank)")
    if rule is FieldRule.LATEST_WINS and current_at and incoming_at and incoming_at < current_at:
        return Decision(False, reason="latest_wins: the local change is more recent")
    return Decision(True, incoming)


def _from_ma(rule: FieldRule, blank_in: bool, incoming: Any) -> Decision:
    if rule in (FieldRule.NONE, FieldRule.CRM_WINS, FieldRule.CRM_UNLESS_BLANK):
        # Stored locally; the CRM stays master, so it is not pushed.
        return Decision(True, incoming, push=False)
    if rule is FieldRule.MA_UNLESS_BLANK and blank_in:
        return Decision(True, incoming, push=False)
    return Decision(True, incoming, push=True)


_STAMP = re.compile(r"^\[[^\]]*\] ")


def _new_lines(current: str, incoming: str) -> str:
    """The lines of `incoming` not yet in `current` (stamps ignored): a CRM text that repeats what was
    already there, or an echo of our own push, appends only what is new, or nothing."""
    have = {line.strip() for line in current.splitlines()}
    have |= {_STAMP.sub("", line).strip() for line in current.splitlines()}
    new = [line for line in incoming.splitlines()
           if line.strip() and line.strip() not in have and _STAMP.sub("", line).strip() not in have]
    return "\n".join(new)
