"""The `dedupe:` section of leadbridge.yaml: what is compared, how candidates are found, and how merges resolve."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["email", "name", "company", "phone", "text", "code", "exact"]
Survivor = Literal["winner", "most_recent", "oldest", "most_complete", "source_priority", "append"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Comparison(_M):
    """One field compared between two records; its kind sets the normalization and the agreement levels.

    email: same address after normalization (case, gmail dots and +tags) / same local part / different.
    name: same or nickname (Bob = Robert) / Jaro-Winkler >= 0.92 / >= 0.80; CJK compared as written.
    company: same key (legal suffixes off) or acronym (IBM) / similar / different.
    phone: same digits / same last 7 digits. text: exact / similar / roughly similar.
    code (dates, ids, postcodes): exact / one edit or transposition. exact: equal or not.
    """

    field: str
    kind: Kind
    label: str | None = None


class BlockingRule(_M):
    """Records are compared only when they share every key of at least one blocking rule.

    A key is a compared field's normalized value (`email`, `last_name`), or a derived
    key: `first_name:canon` (nickname group), `last_name:3` (first 3 characters),
    `email:local` (local part), `phone:last7`, `company:key`.
    """

    name: str
    keys: list[str]


def default_comparisons() -> list[Comparison]:
    return [Comparison(field="email", kind="email"), Comparison(field="first_name", kind="name"),
            Comparison(field="last_name", kind="name"), Comparison(field="company", kind="company"),
            Comparison(field="phone", kind="phone"), Comparison(field="city", kind="text"),
            Comparison(field="postal_code", kind="code")]


def default_blocking() -> list[BlockingRule]:
    """Salesforce's standard lead/contact matching rules, as blocking rules."""
    return [
        BlockingRule(name="email exact", keys=["email"]),
        BlockingRule(name="name + company", keys=["last_name:3", "company:key"]),
        BlockingRule(name="first name + company", keys=["first_name:canon", "company:key"]),
        BlockingRule(name="name + phone", keys=["phone:last7"]),
        BlockingRule(name="name + email local part", keys=["email:local"]),
        BlockingRule(name="full name + city", keys=["first_name:canon", "last_name", "city"]),
        BlockingRule(name="name + city", keys=["first_name:2", "last_name:2", "city"]),
        BlockingRule(name="last name + city", keys=["last_name", "city"]),
        BlockingRule(name="first initial + company", keys=["first_name:1", "company:key"]),
        BlockingRule(name="company + city", keys=["company:key", "city"]),
    ]


class DedupeConfig(_M):
    comparisons: list[Comparison] = Field(default_factory=default_comparisons)
    blocking: list[BlockingRule] = Field(default_factory=default_blocking)
    auto_merge_threshold: float = Field(0.99, gt=0, le=1,
                                        description="match probability at or above which a pair is merged")
    review_threshold: float = Field(0.80, gt=0, le=1, description="pairs between this and auto_merge go to review")
    conflicts: list[str] = Field(
        default_factory=lambda: ["first_name", "company"],
        description="compared fields whose clear disagreement (both filled, level `different`) keeps a pair "
                    "out of auto-merge: it goes to review instead (relatives share a phone, namesakes a city), unless "
                    "an email agrees (same address or local part; role addresses such as info@ do not count)")
    phone_region: str = Field("US", min_length=2, max_length=2,
                              description="country (ISO code) of phone numbers written without +country code")
    max_block_size: int = Field(1000, ge=2, description="blocks larger than this are skipped (and counted)")
    train: bool = Field(True, description="estimate agreement weights from the data (EM) instead of defaults")
    winner: list[Literal["crm_contact", "crm_lead", "oldest", "most_recent", "most_complete"]] = Field(
        default_factory=lambda: ["crm_contact", "crm_lead", "oldest"],
        description="how the surviving record is chosen, in order")
    survivorship_default: Survivor = Field("winner", description="rule for fields not listed in survivorship")
    survivorship: dict[str, Survivor] = Field(
        default_factory=lambda: {"lead_score": "most_recent", "last_activity_at": "most_recent",
                                 "unsubscribed": "most_recent"},
        description="per-field rule; a blank never overwrites a value")
    source_priority: list[str] = Field(default_factory=lambda: ["crm", "ui", "form", "list_import", "api"],
                                       description="for the source_priority rule: first listed wins")
    crm_action: Literal["report", "merge"] = Field(
        "report", description="when both records exist in the CRM: list them for sales ops, or merge there too")
    schedule: Literal["off", "daily", "weekly"] = Field("off", description="auto-merge in the sync worker")

    @model_validator(mode="after")
    def _thresholds(self) -> "DedupeConfig":
        if self.review_threshold > self.auto_merge_threshold:
            raise ValueError("review_threshold must not exceed auto_merge_threshold")
        fields = {c.field for c in self.comparisons}
        for rule in self.blocking:
            for key in rule.keys:
                if key.split(":")[0] not in fields:
                    raise ValueError(f"blocking rule {rule.name!r} uses {key!r}, but {key.split(':')[0]!r} "
                                     f"is not a compared field")
        for name in self.conflicts:
            if name not in fields:
                raise ValueError(f"conflicts lists {name!r}, which is not a compared field")
        return self
