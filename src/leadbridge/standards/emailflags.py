"""What a person's email flags do (standards.email): stored fields, issues, flags and rejects.

Every flag of the address is stored in `email_flags` (comma-separated: disposable, non_ascii,
role, test, typo) and a typo's correction in `email_suggestion`, so audits and sync filters can
use them (`email_flags contains role`). Then per flag, its configured action: `flag` marks
the person invalid (not synced) and records the issue; `invalid` sets `email_invalid` with the
reason; `is_test` sets `is_test` (the default sync filter skips test records); `reject`
refuses the change; `keep` notes it in `data_issues` only. A syntax error always sets `email_invalid`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadbridge.standards.config import EmailStandards

if TYPE_CHECKING:
    from leadbridge.standards.normalizer import Normalizer

REASONS = {"disposable": "disposable (throw-away) domain", "role": "role account, not a person",
           "test": "test or fake address", "typo": "the domain looks mistyped",
           "non_ascii": "non-ASCII address: the CRM refuses it"}
ORDER = ("disposable", "non_ascii", "role", "test", "typo")


@dataclass
class EmailOutcome:
    fields: dict[str, Any] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    rejects: list[str] = field(default_factory=list)


def flags_of(address: str, cfg: EmailStandards, norm: "Normalizer") -> tuple[set[str], Any]:
    """The address's flags with the config's own domain lists applied, and its Normalized."""
    n = norm.email(address)
    flags = set(n.flags) if n.flags else set()
    if cfg.not_disposable or cfg.disposable_domains or cfg.test_domains:
        domain = (n.value or address).rpartition("@")[2].lower()
        lists = _lists(cfg)
        if domain in lists[0]:
            flags.discard("disposable")
        if domain in lists[1]:
            flags.add("disposable")
        if n.ok and domain in lists[2]:
            flags.add("test")
    return flags, n


_LISTS: dict[int, tuple[EmailStandards, tuple[frozenset[str], ...]]] = {}


def _lists(cfg: EmailStandards) -> tuple[frozenset[str], ...]:
    held = _LISTS.get(id(cfg))
    if held is None or held[0] is not cfg:
        held = _LISTS[id(cfg)] = (cfg, tuple(frozenset(d.lower() for d in names) for names in
                                             (cfg.not_disposable, cfg.disposable_domains, cfg.test_domains)))
    return held[1]


def email_outcome(record: dict[str, Any], cfg: EmailStandards, norm: "Normalizer") -> EmailOutcome | None:
    """The email fields and issues for the person's current address (None: no address)."""
    address = record.get("email")
    out = EmailOutcome()
    if address is None or not str(address).strip():
        out.fields = {"email_flags": None, "email_suggestion": None, "email_invalid": None,
                      "email_invalid_reason": None}
        if _had_test_flag(record):
            out.fields["is_test"] = None
        return out
    flags, n = flags_of(str(address), cfg, norm)
    if not flags and not _had_test_flag(record):
        return _CLEAN  # most addresses: nothing to store, one shared answer
    invalid_reason = n.reason if "invalid" in flags else None
    for flag in ORDER:
        if flag not in flags:
            continue
        action = getattr(cfg, flag)
        text = f"email {flag}: {REASONS[flag]}" + (f" (did you mean {n.suggestion}?)" if flag == "typo" else "")
        if action == "reject":
            out.rejects.append(f"email: {REASONS[flag]} ({address})")
        elif action == "flag":
            out.flagged.append(f"email {flag}")
            out.issues.append(text)
            invalid_reason = invalid_reason or REASONS[flag]
        elif action == "invalid":
            out.issues.append(text)
            invalid_reason = invalid_reason or REASONS[flag]
        elif action in ("keep", "is_test"):
            out.issues.append(text)  # noted, like a `keep` rule: visible in data_issues, nothing blocked
    stored = sorted(flags - {"invalid"})
    out.fields = {"email_flags": ",".join(stored) or None, "email_suggestion": n.suggestion,
                  "email_invalid": True if invalid_reason else None, "email_invalid_reason": invalid_reason}
    if "test" in flags and cfg.test == "is_test":
        out.fields["is_test"] = True
    elif _had_test_flag(record):
        out.fields["is_test"] = None  # the test address that made it a test record is gone
    return out


_CLEAN = EmailOutcome(fields={"email_flags": None, "email_suggestion": None, "email_invalid": None,
                              "email_invalid_reason": None})


def _had_test_flag(record: dict[str, Any]) -> bool:
    return "test" in (record.get("email_flags") or "").split(",") and record.get("is_test") is True
