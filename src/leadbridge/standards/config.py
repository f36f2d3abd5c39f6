"""The `standards:` section of leadbridge.yaml: normalizers and rules, with what to do when a rule fails."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadbridge.errors import FilterError


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rule(_M):
    """One data standard. `action`: reject (refuse the change), flag (store, mark invalid: not synced), keep.

    In `when`, `country` is the ISO alpha-2 code and `state` the ISO 3166-2 subdivision code (the
    part after the dash: CA, BY, BJ) whatever the stored label is; country names written in the
    condition ('United States', Deutschland) are normalized to their code too.
    """

    name: str
    field: str
    object: Literal["person", "company"] = "person"
    kind: Literal["required", "format", "no_special_chars", "max_length", "picklist", "regex"]
    format: Literal["email", "phone", "url", "date", "datetime", "country", "state"] | None = None
    max_length: int | None = Field(None, ge=1)
    values: list[str] = Field(default_factory=list, description="picklist values (or labels)")
    crm_picklist: str | None = Field(None, description="picklist values from the CRM's cached describe, e.g. "
                                                       "'Lead.Industry' (API values and labels both accepted; "
                                                       "a label or another case is stored as the API value)")
    pattern: str | None = Field(None, description="regex the whole value must match (kind: regex)")
    allowed: str = Field(".'-&, ", description="characters allowed besides letters and digits (no_special_chars)")
    when: str | None = Field(None, description="only when this --where filter matches the record "
                                               "(country/state compared as ISO codes)")
    action: Literal["reject", "flag", "keep"] = "flag"
    severity: Literal["error", "warning", "info"] = Field(
        "error", description="how serious a failure is: the audit groups and sorts by it; the action decides")
    message: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> "Rule":
        need = {"max_length": "max_length", "format": "format", "regex": "pattern"}.get(self.kind)
        if need and getattr(self, need) in (None, ""):
            raise ValueError(f"rule {self.name!r}: kind {self.kind} needs `{need}`")
        if self.kind == "picklist" and not self.values and not self.crm_picklist:
            raise ValueError(f"rule {self.name!r}: a picklist rule needs `values` or `crm_picklist`")
        if self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"rule {self.name!r}: pattern {self.pattern!r} is not a valid regex: {exc}") from None
        if self.when:
            from leadbridge.model import where
            try:
                where.parse(self.when)
            except FilterError as exc:
                raise ValueError(f"rule {self.name!r}: when: {exc}") from None
        return self


class EmailStandards(_M):
    """What each email flag does. flag: mark the person invalid (not synced) and record the issue;
    invalid: set email_invalid with the reason (still synced); is_test: mark a test record (the
    default sync filter skips it); keep: note it in data_issues; reject: refuse the change. Every flag
    is also stored in the person's email_flags (and a typo's correction in email_suggestion)."""

    disposable: Literal["reject", "flag", "invalid", "keep"] = "flag"
    role: Literal["reject", "flag", "invalid", "keep"] = "keep"
    test: Literal["reject", "flag", "is_test", "keep"] = "is_test"
    typo: Literal["flag", "keep"] = "keep"
    non_ascii: Literal["reject", "flag", "invalid", "keep"] = Field(
        "flag", description="Unicode in the address: Salesforce refuses it (INVALID_EMAIL_ADDRESS)")
    disposable_domains: list[str] = Field(default_factory=list, description="more disposable domains")
    test_domains: list[str] = Field(default_factory=list, description="more domains whose addresses are test "
                                                                     "addresses (e.g. example.com)")
    not_disposable: list[str] = Field(default_factory=list, description="domains never treated as disposable")


PERSON_LENGTHS = {"first_name": 40, "last_name": 80, "company": 255, "title": 128, "email": 80, "phone": 40,
                  "mobile_phone": 40, "city": 40, "state": 80, "postal_code": 20, "country": 80, "website": 255}
COMPANY_LENGTHS = {"name": 255, "phone": 40, "city": 40, "state": 80, "postal_code": 20, "country": 80,
                   "website": 255}
_US_CA = "country in (US, CA)"


def default_rules() -> list[Rule]:
    """A Marketo admin's pre-sync routine, as rules (Salesforce Lead and Account field lengths)."""
    rules = [
        Rule(name="email valid", field="email", kind="format", format="email", action="flag"),
        Rule(name="country known", field="country", kind="format", format="country", action="flag"),
        Rule(name="state valid for US/CA", field="state", kind="format", format="state", action="flag", when=_US_CA),
        Rule(name="state required for US/CA", field="state", kind="required", action="keep", severity="warning",
             when=_US_CA),
        Rule(name="last name required", field="last_name", kind="required", action="keep", severity="warning"),
        Rule(name="company required", field="company", kind="required", action="keep", severity="warning"),
        Rule(name="phone valid", field="phone", kind="format", format="phone", action="keep", severity="warning"),
        Rule(name="mobile phone valid", field="mobile_phone", kind="format", format="phone", action="keep",
             severity="warning"),
        Rule(name="website valid", field="website", kind="format", format="url", action="keep", severity="warning"),
    ]
    rules += [Rule(name=f"no special characters in {f.replace('_', ' ')}", field=f, kind="no_special_chars",
                   action="keep", severity="warning") for f in ("first_name", "last_name", "company")]
    rules += [Rule(name=f"{f} max {n}", field=f, kind="max_length", max_length=n, action="keep", severity="warning")
              for f, n in PERSON_LENGTHS.items()]
    rules += [
        Rule(name="company: country known", object="company", field="country", kind="format", format="country"),
        Rule(name="company: state valid for US/CA", object="company", field="state", kind="format",
             format="state", when=_US_CA),
        Rule(name="company: name required", object="company", field="name", kind="required", action="keep",
             severity="warning"),
        Rule(name="company: phone valid", object="company", field="phone", kind="format", format="phone",
             action="keep", severity="warning"),
        Rule(name="company: website valid", object="company", field="website", kind="format", format="url",
             action="keep", severity="warning"),
    ]
    rules += [Rule(name=f"company: {f} max {n}", object="company", field=f, kind="max_length", max_length=n,
                   action="keep", severity="warning") for f, n in COMPANY_LENGTHS.items()]
    return rules


class StandardsConfig(_M):
    enabled: bool = True
    normalize: list[Literal["country", "state", "email", "phone", "names", "company", "website"]] = Field(
        default_factory=lambda: ["country", "state", "email", "phone", "names", "company", "website"])
    country_render: Literal["label", "code"] = Field(
        "label", description="store the CRM picklist's label or its code (from the cached describe; "
                             "without one: the English ISO name or the ISO alpha-2 code)")
    state_render: Literal["code", "name"] = Field(
        "code", description="store the CRM state picklist's code (e.g. Salesforce's '11' for Beijing) or its "
                            "label; without a cached describe: the ISO 3166-2 code or the ISO name")
    phone_format: Literal["e164", "keep"] = "e164"
    email: EmailStandards = Field(default_factory=EmailStandards)
    default_rules: bool = Field(True, description="include leadbridge's default rules (yours are added; one of "
                                                  "yours with a default rule's name replaces it)")
    disabled_rules: list[str] = Field(default_factory=list, description="names of rules to switch off")
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _merge_defaults(self) -> "StandardsConfig":
        """`rules` ends up as the rules in force: defaults (unless switched off) then yours, by name."""
        merged: dict[str, Rule] = {}
        if self.default_rules:
            merged = {r.name: r for r in default_rules()}
        for r in self.rules:
            merged[r.name] = r
        for name in self.disabled_rules:
            merged.pop(name, None)
        object.__setattr__(self, "rules", list(merged.values()))
        return self

    def rules_for(self, obj: str) -> list[Rule]:
        return [r for r in self.rules if r.object == obj]
