"""The `standards:` section of leadbridge.yaml: normalizers and rules, with what to do when a rule fails."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Rule(_M):
    """One data standard. `action`: reject (refuse the change), flag (store, mark invalid: not synced), keep."""

    name: str
    field: str
    kind: Literal["required", "format", "no_special_chars", "max_length", "picklist", "regex"]
    format: Literal["email", "phone", "url", "date", "country", "state"] | None = None
    max_length: int | None = None
    values: list[str] = Field(default_factory=list, description="picklist values (or labels)")
    crm_picklist: str | None = Field(None, description="picklist values from the CRM's cached describe, e.g. "
                                                       "'Lead.Industry' (API values and labels both accepted)")
    pattern: str | None = None
    allowed: str = Field(".'-&, ", description="characters allowed besides letters and digits (no_special_chars)")
    when: str | None = Field(None, description="only when this --where filter matches the record")
    action: Literal["reject", "flag", "keep"] = "flag"
    severity: Literal["error", "warning", "info"] = "error"
    message: str | None = None


def default_rules() -> list[Rule]:
    """A Marketo admin's pre-sync routine, as rules (Salesforce Lead field lengths)."""
    lengths = {"first_name": 40, "last_name": 80, "company": 255, "title": 128, "email": 80, "phone": 40,
               "city": 40, "state": 80, "postal_code": 20, "country": 80, "website": 255}
    rules = [
        Rule(name="email valid", field="email", kind="format", format="email", action="flag"),
        Rule(name="country known", field="country", kind="format", format="country", action="flag"),
        Rule(name="state valid for US/CA", field="state", kind="format", format="state", action="flag",
             when="country in ('United States', 'Canada', US, CA)"),
        Rule(name="state required for US/CA", field="state", kind="required", action="keep", severity="warning",
             when="country in ('United States', 'Canada', US, CA)"),
        Rule(name="last name required", field="last_name", kind="required", action="keep", severity="warning"),
        Rule(name="company required", field="company", kind="required", action="keep", severity="warning"),
        Rule(name="phone valid", field="phone", kind="format", format="phone", action="keep", severity="warning"),
        Rule(name="no special characters in names", field="last_name", kind="no_special_chars", action="keep",
             severity="warning"),
    ]
    rules += [Rule(name=f"{f} max {n}", field=f, kind="max_length", max_length=n, action="keep", severity="warning")
              for f, n in lengths.items()]
    return rules


class StandardsConfig(_M):
    enabled: bool = True
    normalize: list[Literal["country", "state", "email", "phone", "names", "company"]] = Field(
        default_factory=lambda: ["country", "state", "email", "phone", "names", "company"])
    country_render: Literal["label", "code"] = Field("label", description="store the CRM picklist label or the ISO code")
    state_render: Literal["code", "name"] = "code"
    phone_format: Literal["e164", "keep"] = "e164"
    rules: list[Rule] = Field(default_factory=default_rules)
