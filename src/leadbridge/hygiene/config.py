"""The `hygiene:` section of leadbridge.yaml: rules that fix data the moment it enters."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Trigger = Literal["created", "changed", "imported", "form"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Action(_M):
    """One action; give exactly one of the keys."""

    set: dict[str, Any] | None = Field(None, description="field → value to set")
    normalize: str | None = Field(None, description="run the field's standards normalizer")
    flag: str | None = Field(None, description="mark the person invalid (not synced) with this reason")
    derive_source: bool | None = Field(None, description="derive person source (if empty)")
    route: bool | None = Field(None, description="route the person (territory, time zone, owner)")
    add_to_list: str | None = Field(None, description="add to this static list (created if missing)")
    request_sync: bool | None = Field(None, description="queue the person for the CRM even if nothing changed")

    @model_validator(mode="after")
    def _one(self) -> "Action":
        given = [k for k, v in self.__dict__.items() if v not in (None, False)]
        if len(given) != 1:
            raise ValueError(f"an action has exactly one of set, normalize, flag, derive_source, route, "
                             f"add_to_list, request_sync (got {given or 'none'})")
        return self


class HygieneRule(_M):
    name: str
    trigger: list[Trigger] = Field(description="created, changed (see fields), imported (list import), form")
    fields: list[str] = Field(default_factory=list, description="for `changed`: only when one of these changed")
    when: str | None = Field(None, description="--where filter on the person as written")
    actions: list[Action]
    enabled: bool = True


class HygieneConfig(_M):
    rules: list[HygieneRule] = Field(default_factory=list,
                                     description="run in order inside the write path; a rule's own changes "
                                                 "never trigger rules again")
