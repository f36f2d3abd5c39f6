"""The `hygiene:` section of leadbridge.yaml: rules that fix data the moment it enters."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadbridge.model.changes import SourceKind

Trigger = Literal["created", "changed", "imported", "form"]
# Merges (and their undos) and system writes restore or move values: rules leave them alone unless told.
DEFAULT_SOURCES = tuple(k for k in SourceKind if k not in (SourceKind.MERGE, SourceKind.SYSTEM))


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Action(_M):
    """One action; give exactly one of the keys."""

    set: dict[str, Any] | None = Field(None, description="field → value to set (coerced to the field's type, then "
                                                         "normalized and checked like any incoming value)")
    normalize: str | None = Field(None, description="run the field's standards normalizer")
    flag: str | None = Field(None, description="mark the person invalid (not synced) with this reason; the flag "
                                               "is cleared when the rule's `when` stops matching")
    derive_source: bool | None = Field(None, description="derive person source (if empty)")
    route: bool | None = Field(None, description="route the person (territory, time zone, owner)")
    add_to_list: str | None = Field(None, description="add to this static list (created if missing); synced as "
                                                      "a campaign and campaign member")
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
    sources: list[SourceKind] = Field(default_factory=lambda: list(DEFAULT_SOURCES),
                                      description="the write sources the rule acts on (default: all but merge and "
                                                  "system)")
    actions: list[Action]
    enabled: bool = True

    @model_validator(mode="after")
    def _flag_text(self) -> "HygieneRule":
        for a in self.actions:
            if a.flag is not None and ";" in a.flag:
                raise ValueError(f"rule {self.name!r}: a flag reason may not contain ';' (it separates issues)")
        return self


class HygieneConfig(_M):
    rules: list[HygieneRule] = Field(default_factory=list,
                                     description="run in order inside the write path; a rule's own changes "
                                                 "never trigger rules again")

    @model_validator(mode="after")
    def _unique_names(self) -> "HygieneConfig":
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"hygiene rule names must be unique: {', '.join(dupes)}")
        return self
