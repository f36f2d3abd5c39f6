"""The `crm:` and `sync:` sections of leadbridge.yaml."""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadbridge.errors import ConfigError

_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)\}")

LEAD_FIELDS = {
    "first_name": "FirstName", "last_name": "LastName", "email": "Email", "phone": "Phone",
    "mobile_phone": "MobilePhone", "title": "Title", "company": "Company", "website": "Website",
    "street": "Street", "city": "City", "state": "State", "postal_code": "PostalCode", "country": "Country",
    "lead_source": "LeadSource", "lead_status": "Status", "industry": "Industry", "rating": "Rating",
    "annual_revenue": "AnnualRevenue", "number_of_employees": "NumberOfEmployees",
    "unsubscribed": "HasOptedOutOfEmail", "owner_id": "OwnerId", "comments": "Description",
}
CONTACT_FIELDS = {
    "first_name": "FirstName", "last_name": "LastName", "email": "Email", "phone": "Phone",
    "mobile_phone": "MobilePhone", "title": "Title", "department": "Department", "street": "MailingStreet",
    "city": "MailingCity", "state": "MailingState", "postal_code": "MailingPostalCode",
    "country": "MailingCountry", "lead_source": "LeadSource", "unsubscribed": "HasOptedOutOfEmail",
    "owner_id": "OwnerId", "comments": "Description", "company_id": "AccountId",
}

ACCOUNT_FIELDS = {
    "name": "Name", "website": "Website", "industry": "Industry", "annual_revenue": "AnnualRevenue",
    "number_of_employees": "NumberOfEmployees", "phone": "Phone", "street": "BillingStreet",
    "city": "BillingCity", "state": "BillingState", "postal_code": "BillingPostalCode",
    "country": "BillingCountry", "owner_id": "OwnerId",
}
CAMPAIGN_FIELDS = {
    "name": "Name", "type": "Type", "status": "Status", "start_date": "StartDate", "end_date": "EndDate",
    "budgeted_cost": "BudgetedCost", "actual_cost": "ActualCost",
}
OPPORTUNITY_FIELDS = {
    "name": "Name", "stage": "StageName", "amount": "Amount", "close_date": "CloseDate", "is_won": "IsWon",
    "is_closed": "IsClosed", "company_id": "AccountId", "campaign_id": "CampaignId", "owner_id": "OwnerId",
}
CAMPAIGN_MEMBER_FIELDS = {"campaign_id": "CampaignId", "status": "Status", "responded": "HasResponded"}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CrmConfig(_Section):
    """Where the CRM is and how to log in. Secrets only as ${ENV} references."""

    system: Literal["salesforce"] = "salesforce"
    login_url: str | None = Field(None, description="e.g. https://login.salesforce.com or ${SANDBOX_INSTANCE_URL}")
    username: str | None = Field(None, description="${SF_USERNAME}")
    password: str | None = Field(None, description="${SF_PASSWORD} — never the password itself")
    security_token: str | None = Field(None, description="${SF_SECURITY_TOKEN}")
    client_id: str | None = Field(None, description="connected app consumer key, ${SF_CLIENT_ID}")
    client_secret: str | None = Field(None, description="${SF_CLIENT_SECRET}")
    ca_bundle: str | None = Field(None, description="CA file to trust (the sandbox's), ${SANDBOX_CA_BUNDLE}")
    api_version: str = "59.0"
    env_file: str | None = Field(None, description="KEY=value file read for ${ENV} references not set in the environment")
    daily_api_budget: int = Field(50_000, ge=1, description="API requests per day leadbridge may use")


class ObjectMapping(_Section):
    crm_object: str
    fields: dict[str, str] = Field(description="leadbridge field → CRM field")
    direction: Literal["both", "pull", "push"] = Field(
        "both", description="related objects: pulled from the CRM, pushed to it, or both")
    filter: str | None = Field(None, description="related objects: which records are pushed (the --where language)")


class SyncConfig(_Section):
    external_id_field: str = Field("Leadbridge_Id__c", description="CRM external-id field holding the person id")
    lead: ObjectMapping = Field(default_factory=lambda: ObjectMapping(crm_object="Lead", fields=dict(LEAD_FIELDS)))
    contact: ObjectMapping = Field(default_factory=lambda: ObjectMapping(crm_object="Contact",
                                                                          fields=dict(CONTACT_FIELDS)))
    related: dict[str, ObjectMapping] = Field(
        default_factory=lambda: {
            "company": ObjectMapping(crm_object="Account", fields=dict(ACCOUNT_FIELDS)),
            "campaign": ObjectMapping(crm_object="Campaign", fields=dict(CAMPAIGN_FIELDS)),
            "opportunity": ObjectMapping(crm_object="Opportunity", fields=dict(OPPORTUNITY_FIELDS),
                                         direction="pull"),
            "campaign_member": ObjectMapping(crm_object="CampaignMember", fields=dict(CAMPAIGN_MEMBER_FIELDS)),
        },
        description="local object → CRM object synced with the people: companies and campaigns are pulled "
                    "before people and pushed before them, opportunities (pull only) and campaign members "
                    "after; references (company_id, campaign_id, owner_id) are followed through the "
                    "crosswalk; a campaign member's person is its ContactId, else its LeadId")
    filter: str = Field("email is not empty and not data_invalid = true and not is_test = true",
                        description="which people sync (the --where language)")
    claim_size: int = Field(5000, ge=1, description="outbox entries taken per push")
    bulk_claim_size: int = Field(100_000, ge=1,
                                 description="outbox entries one push may take when a full claim (of at least "
                                             "bulk_threshold) comes back and the CRM has a bulk API: a backlog "
                                             "goes out in few Bulk jobs")
    bulk_threshold: int = Field(2000, ge=1, description="records per object above which Bulk API 2.0 is used")
    max_attempts: int = Field(8, ge=1)
    backoff_seconds: float = Field(2.0, gt=0)
    backoff_cap_seconds: float = Field(900.0, gt=0)
    limit_backoff_seconds: float = Field(3600.0, gt=0, description="wait after REQUEST_LIMIT_EXCEEDED")
    lease_seconds: float = Field(300.0, gt=0, description="in-flight entries older than this are retried")
    overlap_seconds: float = Field(300.0, ge=0, description="pull re-reads this much before the cursor")
    log_retention_days: int = Field(90, ge=1)
    critical_backlog: int = Field(10_000, ge=1, description="backlog above this is critical")
    increasing_cycles: int = Field(3, ge=2, description="cycles of growing backlog that make it 'increasing'")
    error_spike_rate: float = Field(0.2, gt=0, le=1, description="failed share of a cycle that raises an alert")
    on_crm_delete: Literal["unlink", "keep"] = "unlink"


def read_env_file(path: str | None) -> dict[str, str]:
    """KEY=value lines (as `leadbridge sandbox --env-file` writes them)."""
    if not path or not os.path.exists(path):
        return {}
    out = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, _, v = line.partition("=")
            out[k.strip().removeprefix("export ").strip()] = v.strip().strip("'\"")
    return out


def resolve_env(value: str | None, what: str, env_file: str | None = None) -> str | None:
    """Expand ${VAR} references from the environment, then `env_file`; a missing one is a ConfigError."""
    if value is None:
        return None
    fallback = read_env_file(env_file)

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in os.environ:
            return os.environ[name]
        if name in fallback:
            return fallback[name]
        raise ConfigError(f"crm.{what} refers to ${{{name}}}, which is not set",
                          hint=f"export {name}=… (or `leadbridge crm connect --env-file FILE`)")
    return _ENV_REF.sub(sub, value)


def looks_like_plain_secret(value: str | None) -> bool:
    return bool(value) and not _ENV_REF.fullmatch(value.strip())
