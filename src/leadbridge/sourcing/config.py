"""The `person_source:` section of leadbridge.yaml: how a person's source is derived, in order."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SourceRule(BaseModel):
    """When `when` (a --where filter) matches, the person source is `value` ({field} placeholders allowed)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    when: str
    value: str


def default_rules() -> list[SourceRule]:
    return [
        SourceRule(name="list import", when="registration_source_type = 'List Import'",
                   value="List Import: {registration_source_info}"),
        SourceRule(name="created in the CRM", when="registration_source_type in ('Salesforce.com', 'CRM')",
                   value="Sales Generated"),
        SourceRule(name="event", when="original_source_type = 'Event'", value="Event: {original_source_info}"),
    ]


class PersonSourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on_entry: bool = Field(True, description="derive the source of new people with none, as they are written")
    rules: list[SourceRule] = Field(default_factory=default_rules,
                                    description="tried in order before the web channel (first match wins)")
    channels: bool = Field(True, description="then the GA4 default channel group from UTM parameters or referrer")
    web_prefix: str = Field("Web: ", description="prefix of values derived from the channel group")
