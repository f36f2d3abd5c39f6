"""The objects of the marketing database and their standard fields."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from leadbridge.errors import FieldError
from leadbridge.model.fields import FieldDef
from leadbridge.model.types import FieldType as T


def _f(name: str, type_: T, label: str = "", length: int | None = None, **kw) -> FieldDef:
    return FieldDef(name=name, type=type_, label=label, length=length, **kw)


@dataclass(frozen=True)
class ObjectDef:
    """An object type: its table, fields and identity keys."""

    name: str
    table: str
    label: str
    fields: tuple[FieldDef, ...]
    match_keys: tuple[tuple[str, ...], ...] = ()
    syncs: bool = False

    @cached_property
    def by_name(self) -> dict[str, FieldDef]:
        return {f.name: f for f in self.fields}

    def field(self, name: str) -> FieldDef:
        found = self.by_name.get(name)
        if found is not None:
            return found
        raise FieldError(f"unknown field {name!r} on {self.name}",
                         hint=f"`leadbridge fields list --object {self.name}` shows the fields")

    def has(self, name: str) -> bool:
        return name in self.by_name

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def with_fields(self, extra: tuple[FieldDef, ...]) -> "ObjectDef":
        return replace(self, fields=self.fields + extra)


_TS = (_f("last_activity_at", T.DATETIME, "Last activity"),)

PERSON = ObjectDef(
    name="person", table="person", label="Person", syncs=True,
    match_keys=(("email_key",),),
    fields=(
        _f("first_name", T.STRING, "First name", 40),
        _f("last_name", T.STRING, "Last name", 80),
        _f("email", T.EMAIL, "Email", 80),
        _f("email_key", T.STRING, "Email match key", 80, indexed=True, writable=False,
           description="normalized email used to find the person; never shown as the value"),
        _f("phone", T.PHONE, "Phone", 40),
        _f("mobile_phone", T.PHONE, "Mobile phone", 40),
        _f("title", T.STRING, "Job title", 128),
        _f("department", T.STRING, "Department", 80),
        _f("company", T.STRING, "Company", 255),
        _f("company_id", T.REFERENCE, "Company record", references="company"),
        _f("industry", T.STRING, "Industry", 40),
        _f("annual_revenue", T.CURRENCY, "Annual revenue"),
        _f("number_of_employees", T.INTEGER, "Employees"),
        _f("website", T.URL, "Website", 255),
        _f("street", T.TEXT, "Street", 255),
        _f("city", T.STRING, "City", 40),
        _f("state", T.STRING, "State/province", 80),
        _f("postal_code", T.STRING, "Postal code", 20),
        _f("country", T.STRING, "Country", 80),
        _f("lead_source", T.STRING, "Lead source", 40),
        _f("person_source", T.STRING, "Person source", 255),
        _f("lead_status", T.STRING, "Lead status", 40),
        _f("lead_score", T.INTEGER, "Lead score"),
        _f("rating", T.STRING, "Rating", 40),
        _f("owner_id", T.REFERENCE, "Owner", references="user"),
        _f("unsubscribed", T.BOOLEAN, "Unsubscribed"),
        _f("email_invalid", T.BOOLEAN, "Email invalid"),
        _f("email_invalid_reason", T.STRING, "Email invalid reason", 255),
        _f("email_flags", T.STRING, "Email flags", 80,
           description="set by standards: disposable, non_ascii, role, test, typo (comma-separated)"),
        _f("email_suggestion", T.STRING, "Email suggestion", 255,
           description="set by standards: the address with a mistyped domain corrected (never applied)"),
        _f("registration_source_type", T.STRING, "Registration source type", 80),
        _f("registration_source_info", T.STRING, "Registration source info", 255),
        _f("original_source_type", T.STRING, "Original source type", 80),
        _f("original_source_info", T.STRING, "Original source info", 255),
        _f("original_referrer", T.URL, "Original referrer", 1024),
        _f("utm_source", T.STRING, "UTM source", 255),
        _f("utm_medium", T.STRING, "UTM medium", 255),
        _f("utm_campaign", T.STRING, "UTM campaign", 255),
        _f("utm_term", T.STRING, "UTM term", 255),
        _f("utm_content", T.STRING, "UTM content", 255),
        _f("comments", T.TEXT, "Comments"),
        _f("time_zone", T.STRING, "Time zone", 64),
        _f("territory", T.STRING, "Territory", 80),
        _f("is_test", T.BOOLEAN, "Test record"),
        _f("data_invalid", T.BOOLEAN, "Fails data standards"),
        _f("data_issues", T.TEXT, "Data standard issues"),
        _f("merged_into_id", T.REFERENCE, "Merged into", references="person", writable=False),
        *_TS,
    ),
)

COMPANY = ObjectDef(
    name="company", table="company", label="Company", syncs=True,
    match_keys=(("name_key",),),
    fields=(
        _f("name", T.STRING, "Name", 255),
        _f("name_key", T.STRING, "Name match key", 255, indexed=True, writable=False),
        _f("website", T.URL, "Website", 255),
        _f("domain", T.STRING, "Domain", 255, indexed=True),
        _f("industry", T.STRING, "Industry", 40),
        _f("annual_revenue", T.CURRENCY, "Annual revenue"),
        _f("number_of_employees", T.INTEGER, "Employees"),
        _f("phone", T.PHONE, "Phone", 40),
        _f("street", T.TEXT, "Street", 255),
        _f("city", T.STRING, "City", 40),
        _f("state", T.STRING, "State/province", 80),
        _f("postal_code", T.STRING, "Postal code", 20),
        _f("country", T.STRING, "Country", 80),
        _f("owner_id", T.REFERENCE, "Owner", references="user"),
        _f("data_invalid", T.BOOLEAN, "Fails data standards"),
        _f("data_issues", T.TEXT, "Data standard issues"),
    ),
)

OPPORTUNITY = ObjectDef(
    name="opportunity", table="opportunity", label="Opportunity",
    fields=(
        _f("name", T.STRING, "Name", 120),
        _f("company_id", T.REFERENCE, "Company", references="company", indexed=True),
        _f("campaign_id", T.REFERENCE, "Primary campaign", references="campaign", indexed=True),
        _f("stage", T.STRING, "Stage", 40),
        _f("amount", T.CURRENCY, "Amount"),
        _f("close_date", T.DATE, "Close date"),
        _f("is_won", T.BOOLEAN, "Won"),
        _f("is_closed", T.BOOLEAN, "Closed"),
        _f("owner_id", T.REFERENCE, "Owner", references="user"),
    ),
)

CAMPAIGN = ObjectDef(
    name="campaign", table="campaign", label="Campaign", syncs=True,
    match_keys=(("name",),),
    fields=(
        _f("name", T.STRING, "Name", 80, indexed=True),
        _f("type", T.STRING, "Type", 40),
        _f("status", T.STRING, "Status", 40),
        _f("channel", T.STRING, "Channel", 80),
        _f("start_date", T.DATE, "Start date"),
        _f("end_date", T.DATE, "End date"),
        _f("budgeted_cost", T.CURRENCY, "Budgeted cost"),
        _f("actual_cost", T.CURRENCY, "Actual cost"),
        _f("is_list", T.BOOLEAN, "Static list"),
    ),
)

CAMPAIGN_MEMBER = ObjectDef(
    name="campaign_member", table="campaign_member", label="Campaign member", syncs=True,
    match_keys=(("campaign_id", "person_id"),),
    fields=(
        _f("campaign_id", T.REFERENCE, "Campaign", references="campaign"),  # the match key's index serves it
        _f("person_id", T.REFERENCE, "Person", references="person", indexed=True),
        _f("status", T.STRING, "Status", 40),
        _f("responded", T.BOOLEAN, "Responded"),
        _f("first_responded_at", T.DATETIME, "First responded"),
    ),
)

ACTIVITY = ObjectDef(
    name="activity", table="activity", label="Activity",
    fields=(
        _f("person_id", T.REFERENCE, "Person", references="person", indexed=True),
        _f("type", T.STRING, "Type", 40, indexed=True,
           description="email_sent, email_bounced, email_opened, email_clicked, form_fill, web_visit, ..."),
        _f("occurred_at", T.DATETIME, "Occurred at", indexed=True),
        _f("campaign_id", T.REFERENCE, "Campaign", references="campaign"),
        _f("detail", T.TEXT, "Detail"),
    ),
)

USER = ObjectDef(
    name="user", table="app_user", label="User",
    match_keys=(("email",),),
    fields=(
        _f("name", T.STRING, "Name", 121),
        _f("email", T.EMAIL, "Email", 80, indexed=True),
        _f("active", T.BOOLEAN, "Active"),
        _f("out_of_office", T.BOOLEAN, "Out of office"),
        _f("time_zone", T.STRING, "Time zone", 64),
    ),
)

STANDARD_OBJECTS: dict[str, ObjectDef] = {
    o.name: o for o in (PERSON, COMPANY, OPPORTUNITY, CAMPAIGN, CAMPAIGN_MEMBER, ACTIVITY, USER)
}
