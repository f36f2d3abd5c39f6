"""The `person_source:` section of leadbridge.yaml: how a person's source is derived, in order."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceRule(_M):
    """When `when` (a --where filter; none: always) matches, the person source is `value`.

    `value` may use {field} placeholders and {channel}, {source}, {medium}, {campaign}: the GA4 channel
    of the person's first visit and what it was derived from. A value with an empty placeholder (e.g.
    {channel} for a person with no web visit, {source} for direct traffic) does not match: the next rule
    is tried.
    """

    name: str
    when: str | None = None
    value: str


class SiteLists(_M):
    """Sites added to the shipped lists (a name like 'google', or a host like 'news.example.com')."""

    search: list[str] = Field(default_factory=list)
    social: list[str] = Field(default_factory=list)
    video: list[str] = Field(default_factory=list)
    shopping: list[str] = Field(default_factory=list)


UTM_PRESENT = "utm_source is not empty or utm_medium is not empty or utm_campaign is not empty"


def default_rules() -> list[SourceRule]:
    return [
        SourceRule(name="campaign tracking (UTM)", when=UTM_PRESENT, value="{channel}"),
        SourceRule(name="list import", when="registration_source_type = 'List Import'",
                   value="List Import: {registration_source_info}"),
        SourceRule(name="created in the CRM", when="registration_source_type in (Salesforce, 'Salesforce.com', CRM)",
                   value="Sales Generated"),
        SourceRule(name="event", when="original_source_type = 'Event'", value="Event: {original_source_info}"),
    ]


class PersonSourceConfig(_M):
    on_entry: bool = Field(True, description="derive the source of new people with none, as they are written")
    stamp_registration: bool = Field(True, description="fill registration source type/info of new people from how "
                                                       "they came (List Import / list name, Web Form / form, ...)")
    rules: list[SourceRule] = Field(default_factory=default_rules,
                                    description="tried in order (first match wins) before the web channel")
    channels: bool = Field(True, description="then the GA4 default channel group of the person's first visit (UTM "
                                             "parameters, then original/registration source, then referrer)")
    channel_value: str = Field("{channel}", description="how a channel is rendered, e.g. '{channel}: {source}'")
    sites: SiteLists = Field(default_factory=SiteLists, description="search/social/video/shopping sites added to "
                                                                    "the shipped lists")
