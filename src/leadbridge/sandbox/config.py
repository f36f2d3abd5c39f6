"""Sandbox settings: users, connected app, custom fields, validation and duplicate rules, faults, limits."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from leadbridge.errors import SandboxError


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomField(_M):
    object: str
    name: str = Field(description="API name ending in __c")
    type: str = "string"
    label: str = ""
    length: int = 255
    external_id: bool = False
    unique: bool = False
    values: list[str] = Field(default_factory=list)


class ValidationRule(_M):
    object: str
    name: str
    field: str
    pattern: str | None = Field(None, description="the field must match this regex when set")
    required: bool = False
    message: str


class DuplicateRule(_M):
    object: str
    fields: list[str] = Field(description="records equal on all these fields (case-insensitive) are duplicates")
    action: str = "block"


class AssignmentRule(_M):
    country: str | None = None
    state: str | None = None
    owner_email: str


class SandboxConfig(_M):
    username: str = "admin@sandbox.leadbridge.local"
    password: str = "sandbox"
    security_token: str = ""
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
    custom_fields: list[CustomField] = Field(default_factory=lambda: [
        CustomField(object=o, name="Leadbridge_Id__c", label="Leadbridge Id", length=40, external_id=True, unique=True)
        for o in ("Lead", "Contact", "Account", "Campaign", "CampaignMember")])
    validation_rules: list[ValidationRule] = Field(default_factory=list)
    duplicate_rules: list[DuplicateRule] = Field(default_factory=list)
    assignment_rules: list[AssignmentRule] = Field(default_factory=list)
    faults: str | None = None
    seed: int = 0

    @classmethod
    def load(cls, path: Path | None) -> "SandboxConfig":
        if path is None:
            return cls()
        try:
            return cls.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
        except Exception as exc:  # noqa: BLE001 - any problem: one clear message
            raise SandboxError(f"sandbox config {path} is not valid: {exc}") from None
