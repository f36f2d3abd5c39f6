"""Sort a CRM error into transient / data / configuration, and suggest the fix a user can make."""

from __future__ import annotations

from leadbridge.crm.protocol import ErrorDetail

TRANSIENT = {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE", "REQUEST_RUNNING_TOO_LONG", "QUERY_TIMEOUT",
             "INVALID_SESSION_ID", "TIMEOUT", "CONNECTION_ERROR", "HTTP_5XX", "TOO_MANY_REQUESTS"}
QUEUE_BACKOFF = {"REQUEST_LIMIT_EXCEEDED", "API_BUDGET_EXHAUSTED"}
CONFIGURATION = {"INVALID_FIELD", "INVALID_TYPE", "INSUFFICIENT_ACCESS_OR_READONLY", "INVALID_FIELD_FOR_INSERT_UPDATE",
                 "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", "INVALID_LOGIN", "NOT_FOUND", "API_DISABLED_FOR_ORG",
                 "INVALID_SESSION_ID_PERSISTENT", "NO_SUCH_EXTERNAL_ID_FIELD"}
_FIXES = {
    "REQUIRED_FIELD_MISSING": "fill the required field{fields} (or map a default) and the record resyncs by itself",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "use a value from the CRM picklist for{fields}: "
                                               "`leadbridge standards apply` normalizes country/state",
    "FIELD_INTEGRITY_EXCEPTION": "the value of{fields} is not in the CRM's State and Country picklists: "
                                 "normalize it (`leadbridge standards check --field country VALUE`)",
    "INVALID_EMAIL_ADDRESS": "correct the email address; leadbridge flags invalid emails on import",
    "STRING_TOO_LONG": "shorten{fields} to the CRM's maximum length",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "a CRM validation rule refused the record: read its message and fix{fields}",
    "DUPLICATES_DETECTED": "a CRM duplicate rule blocked the record: merge the duplicates (`leadbridge dedupe`)",
    "DUPLICATE_VALUE": "another CRM record already has this unique value{fields}",
    "INVALID_CROSS_REFERENCE_KEY": "the owner or lookup{fields} does not exist in the CRM: check the owner mapping",
    "CANNOT_UPDATE_CONVERTED_LEAD": "the lead was converted: leadbridge re-links the person to the contact",
    "ENTITY_IS_DELETED": "the CRM record was deleted: `leadbridge sync resync --code ENTITY_IS_DELETED` re-creates it",
    "CRM_MERGED": "the CRM merged this person's record into another local person's: merge the two here "
                  "(`leadbridge dedupe`); if they are not the same person, `leadbridge sync resync --code CRM_MERGED` "
                  "pushes this one as a new CRM record",
    "UNMAPPED_OWNER": "map this owner to a CRM user (users are matched by email)",
    "INVALID_FIELD": "the mapping names a CRM field that does not exist: `leadbridge mapping check`",
    "INSUFFICIENT_ACCESS_OR_READONLY": "give the sync user edit access to the object and fields",
    "REQUEST_LIMIT_EXCEEDED": "the CRM's daily API requests are spent: the sync waits and resumes by itself",
    "API_BUDGET_EXHAUSTED": "leadbridge's daily API budget (crm.daily_api_budget) is spent: the sync resumes at "
                            "midnight UTC, or raise the budget",
}


def error_class(code: str) -> str:
    """'transient', 'backoff' (the whole queue waits), 'config' (sync pauses) or 'data'."""
    if code in TRANSIENT:
        return "transient"
    if code in QUEUE_BACKOFF:
        return "backoff"
    if code in CONFIGURATION:
        return "config"
    return "data"


def suggest_fix(err: ErrorDetail) -> str:
    fields = f" {', '.join(err.fields)}" if err.fields else ""
    template = _FIXES.get(err.code, "read the CRM's message, fix the record, and it resyncs by itself")
    return template.format(fields=fields)
