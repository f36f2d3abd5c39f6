"""Sandbox settings: users, connected app, login security, permissions, custom fields, rules, faults, limits.

Everything here can also be changed on a running server (`srv.config.<name> = …`); the next
request sees it, except `custom_fields` and the stage / member-status tables, which shape the
schema when the server starts.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadbridge.errors import SandboxError

FieldType = Literal["string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "boolean", "int",
                    "double", "currency", "percent", "date", "datetime", "reference"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PicklistValue(_M):
    value: str
    label: str | None = None
    default: bool = False


class CustomField(_M):
    object: str
    name: str = Field(description="API name ending in __c")
    type: FieldType = "string"
    label: str = ""
    length: int = 255
    external_id: bool = False
    unique: bool = False
    required: bool = Field(False, description="nillable=false: a create or update without it fails")
    restricted: bool = Field(False, description="restricted picklist: only the listed values are accepted")
    values: list[str | PicklistValue] = Field(default_factory=list, description="picklist values")
    reference_to: list[str] = Field(default_factory=list, description="objects a reference field points to")

    @field_validator("name")
    @classmethod
    def _custom_suffix(cls, v: str) -> str:
        if not v.endswith("__c"):
            raise ValueError(f"custom field {v!r} must end in __c")
        return v


def default_custom_fields() -> list[CustomField]:
    """The external id the sync upserts by, on every object it pushes."""
    return [CustomField(object=o, name="Leadbridge_Id__c", label="Leadbridge Id", length=40, external_id=True,
                        unique=True) for o in ("Lead", "Contact", "Account", "Campaign", "CampaignMember")]


class ValidationRule(_M):
    object: str
    name: str
    field: str
    pattern: str | None = Field(None, description="the field must match this regex when set")
    required: bool = False
    message: str


class DuplicateRule(_M):
    object: str
    name: str = "Standard Rule"
    fields: list[str] = Field(description="records equal on all these fields (case-insensitive) are duplicates")
    action: Literal["block", "alert", "report"] = Field(
        "block", description="block: always refused; alert: refused unless the caller sends "
                             "Sforce-Duplicate-Rule-Header: allowSave=true; report: saved")


class AssignmentRule(_M):
    """One entry of a lead assignment rule: the first entry that matches sets the owner."""
    rule: str = Field("Standard", description="the assignment rule this entry belongs to")
    country: str | None = Field(None, description="CountryCode to match")
    state: str | None = Field(None, description="StateCode to match")
    owner_email: str


class OpportunityStage(_M):
    name: str
    probability: int = 0
    closed: bool = False
    won: bool = False
    forecast_category: str = "Pipeline"


class MemberStatus(_M):
    label: str
    responded: bool = False
    default: bool = False


class ObjectPermission(_M):
    """What the API user may do with one object (its profile / permission sets, as the sandbox models them)."""
    access: Literal["all", "read", "none"] = "all"
    read_only_fields: list[str] = Field(default_factory=list)
    hidden_fields: list[str] = Field(default_factory=list)


DEFAULT_STAGES = [OpportunityStage(name=n, probability=p, closed=c, won=w, forecast_category=f) for n, p, c, w, f in [
    ("Prospecting", 10, False, False, "Pipeline"), ("Qualification", 10, False, False, "Pipeline"),
    ("Needs Analysis", 20, False, False, "Pipeline"), ("Value Proposition", 50, False, False, "Pipeline"),
    ("Id. Decision Makers", 60, False, False, "Pipeline"), ("Perception Analysis", 70, False, False, "Pipeline"),
    ("Proposal/Price Quote", 75, False, False, "Pipeline"), ("Negotiation/Review", 90, False, False, "Pipeline"),
    ("Closed Won", 100, True, True, "Closed"), ("Closed Lost", 0, True, False, "Omitted")]]


class SandboxConfig(_M):
    username: str = "admin@sandbox.leadbridge.local"
    password: str = "sandbox"
    security_token: str | None = Field(None, description="None: no token is ever needed; else logins from outside "
                                                         "trusted_ip_ranges must append it to the password")
    trusted_ip_ranges: list[str] = Field(default_factory=lambda: ["127.0.0.0/8"],
                                         description="the org's Network Access ranges (no token needed inside)")
    login_ip_ranges: list[str] = Field(default_factory=list,
                                       description="the profile's Login IP Ranges; when set, logins from outside fail")
    client_id: str = "sandbox"
    client_secret: str = "sandbox"
    session_seconds: int = 7200
    daily_api_requests: int = 1_000_000
    users: list[dict[str, str]] = Field(default_factory=lambda: [
        {"Name": "Sandbox Admin", "Email": "admin@sandbox.leadbridge.local"},
        {"Name": "Anna Schmidt", "Email": "anna@sandbox.leadbridge.local"},
        {"Name": "Ben Carter", "Email": "ben@sandbox.leadbridge.local"},
        {"Name": "Chen Wei", "Email": "chen@sandbox.leadbridge.local"},
    ])
    permissions: dict[str, ObjectPermission] = Field(default_factory=dict,
                                                     description="per object: access all|read|none, read-only and "
                                                                 "hidden fields")
    custom_fields: list[CustomField] = Field(default_factory=list,
                                             description="added to the default Leadbridge_Id__c external ids")
    validation_rules: list[ValidationRule] = Field(default_factory=list)
    duplicate_rules: list[DuplicateRule] = Field(default_factory=list)
    assignment_rules: list[AssignmentRule] = Field(default_factory=list)
    active_assignment_rule: str | None = Field(None, description="the rule Sforce-Auto-Assign: TRUE runs "
                                                                 "(default: the first one named)")
    default_lead_owner: str | None = Field(None, description="email of the owner when no entry of the rule matches")
    opportunity_stages: list[OpportunityStage] = Field(default_factory=lambda: list(DEFAULT_STAGES))
    campaign_member_statuses: list[MemberStatus] = Field(default_factory=lambda: [
        MemberStatus(label="Sent", default=True), MemberStatus(label="Responded", responded=True)])
    faults: str | None = None
    seed: int = 0

    @field_validator("trusted_ip_ranges", "login_ip_ranges")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for r in v:
            ipaddress.ip_network(r, strict=False)  # raises ValueError with the bad range in the message
        return v

    @model_validator(mode="after")
    def _with_default_fields(self) -> "SandboxConfig":
        mine = {(f.object, f.name) for f in self.custom_fields}
        self.custom_fields = [*(f for f in default_custom_fields() if (f.object, f.name) not in mine),
                              *self.custom_fields]
        return self

    def permission(self, obj: str) -> ObjectPermission | None:
        """The API user's permission on `obj` (entries may be set at runtime as plain dicts)."""
        p: Any = self.permissions.get(obj)
        if p is None or isinstance(p, ObjectPermission):
            return p
        return ObjectPermission.model_validate(p)

    @classmethod
    def load(cls, path: Path | None) -> "SandboxConfig":
        if path is None:
            return cls()
        try:
            return cls.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
        except Exception as exc:  # noqa: BLE001 - any problem: one clear message
            raise SandboxError(f"sandbox config {path} is not valid: {exc}",
                               hint="see the README's sandbox section for the keys") from None
