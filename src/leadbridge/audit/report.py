"""Compute the audit (one structure, rendered as text, JSON or HTML)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from leadbridge.sandbox.metadata import LEAD_STATUS
from leadbridge.sandbox.picklists import countries
from leadbridge.standards.email import ROLE_ACCOUNTS, TEST_DOMAINS, TEST_PATTERNS, disposable_domains
from leadbridge.standards.normalize import country
from leadbridge.store import profile

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

KEY_FIELDS = ("first_name", "last_name", "email", "company", "country", "state", "phone", "title", "person_source",
              "lead_source", "owner_id")
PICKLIST_LIKE = ("country", "state", "lead_source", "lead_status", "industry", "person_source")
CRM_LENGTHS = {"first_name": 40, "last_name": 80, "company": 255, "title": 128, "email": 80, "phone": 40,
               "city": 40, "state": 80, "postal_code": 20, "country": 80, "website": 255}
HEALTH_FORMULA = ("health = 100 × (0.4 × completeness of key fields + 0.25 × (1 − invalid-email share) "
                  "+ 0.2 × (1 − duplicate share) + 0.15 × (1 − would-fail-in-CRM share))")


def run_audit(ws: "Workspace", now: datetime | None = None) -> dict[str, Any]:
    """Everything `leadbridge audit` shows, for text, JSON and HTML."""
    now = now or datetime.now(timezone.utc)
    db = ws.db
    internal = {"email_invalid", "email_invalid_reason", "data_invalid", "data_issues", "is_test", "time_zone"}
    fields = [f.name for f in ws.fields("person") if f.writable and f.name not in internal]
    total, filled = profile.filled_counts(db, "person", fields)
    shown = [f for f in fields if f in KEY_FIELDS or filled[f]]  # key fields, and any other field in use
    completeness = [{"field": f, "filled": filled[f], "share": filled[f] / total if total else 0.0} for f in shown]
    hits = profile.contains_counts(db, "person", "data_issues", [f"{r.name}:" for r in ws.config.standards.rules])
    rules = [{"rule": r.name, "field": r.field, "action": r.action, "count": hits[f"{r.name}:"]}
             for r in ws.config.standards.rules if hits.get(f"{r.name}:")]
    inconsistent = {f: _spellings(db, f) for f in PICKLIST_LIKE}
    inactive = profile.activity_buckets(db, "person", "last_activity_at", now, (30, 60, 90))
    emails = _emails(db)
    dup_email = profile.duplicate_surplus(db, "person", ["email_key"], lower=False)
    dup_name = profile.duplicate_surplus(db, "person", ["first_name", "last_name", "company"])
    no_source = total - filled.get("person_source", 0)
    crm = _would_fail(db, total, filled)
    key_share = sum(filled[f] for f in KEY_FIELDS if f in filled) / (total * len(KEY_FIELDS)) if total else 1.0
    fail_share = min(1.0, crm["records_estimate"] / total) if total else 0.0
    health = 100 * (0.4 * key_share + 0.25 * (1 - (emails["invalid"] / total if total else 0))
                    + 0.2 * (1 - (dup_email[1] / total if total else 0)) + 0.15 * (1 - fail_share))
    return {
        "generated_at": now.isoformat(), "people": total, "health_score": round(health, 1),
        "health_formula": HEALTH_FORMULA, "completeness": completeness, "rule_failures": rules,
        "inconsistent_values": inconsistent,
        "inactive": {"30d": inactive["d30"], "60d": inactive["d60"], "90d": inactive["d90"],
                     "no_activity": inactive["never"]},
        "emails": emails,
        "duplicates": {"same_email": {"groups": dup_email[0], "extra_records": dup_email[1]},
                       "same_name_and_company": {"groups": dup_name[0], "extra_records": dup_name[1]}},
        "without_person_source": no_source, "would_fail_in_crm": crm,
    }


def _spellings(db, field: str) -> list[dict[str, Any]]:
    rows = profile.value_counts(db, "person", field, limit=200)
    out = []
    for value, n in rows:
        entry = {"value": value, "count": n}
        if field == "country":
            c = country(value)
            entry["normalizes_to"] = c.code
        out.append(entry)
    return out


def _emails(db) -> dict[str, int]:
    counts = Counter()
    disposable = disposable_domains()
    for page in profile.column_values(db, "person", "email"):
        for e in page:
            local, _, domain = str(e).rpartition("@")
            domain = domain.lower()
            counts["role"] += local.lower() in ROLE_ACCOUNTS
            counts["disposable"] += domain in disposable
            counts["test"] += bool(TEST_PATTERNS.match(local)) or domain in TEST_DOMAINS
    counts["invalid"] = profile.count_where(db, "person", lambda t: t.c.email_invalid.is_(True))
    return {k: counts[k] for k in ("invalid", "disposable", "role", "test")}


def _would_fail(db, total: int, filled: dict[str, int]) -> dict[str, Any]:
    """Records the CRM would refuse if pushed now, by reason (Salesforce Lead rules)."""
    reasons = []
    for f, label in (("last_name", "LastName"), ("company", "Company")):
        missing = total - filled.get(f, 0)
        if missing:
            reasons.append({"reason": f"required field missing: {label}", "code": "REQUIRED_FIELD_MISSING",
                            "count": missing})
    for f, n in profile.longer_than(db, "person", CRM_LENGTHS).items():
        if n:
            reasons.append({"reason": f"{f} longer than {CRM_LENGTHS[f]}", "code": "STRING_TOO_LONG", "count": n})
    labels = set(countries().values()) | set(countries())
    bad_country = sum(n for v, n in profile.value_counts(db, "person", "country") if v not in labels)
    if bad_country:
        reasons.append({"reason": "country not in the CRM picklist", "code": "FIELD_INTEGRITY_EXCEPTION",
                        "count": bad_country})
    bad_status = sum(n for v, n in profile.value_counts(db, "person", "lead_status") if v not in LEAD_STATUS)
    if bad_status:
        reasons.append({"reason": "lead status not in the CRM's restricted picklist",
                        "code": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "count": bad_status})
    return {"reasons": reasons, "records_estimate": min(total, sum(r["count"] for r in reasons))}
