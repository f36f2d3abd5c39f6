"""Compute the audit (one structure, rendered as text, JSON or HTML) from the stored data itself.

Nothing is read from flags the write path stored: emails and rules are re-validated, inactivity
comes from activity records as well as `last_activity_at`, duplicates use the same keys as dedupe
(email match key; first + last name + the company match key), and CRM readiness comes from the
CRM's cached describe. Each record is counted once per figure.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import polars as pl
import sqlalchemy as sa

from leadbridge.audit.checks import (crm_sql_reasons, frame_fields, lead_expectations, rule_failures,
                                     sql_rule_conditions, would_fail)
from leadbridge.audit.data import EMAIL_FLAGS, add_codes, add_email_flags, map_distinct, needed_columns
from leadbridge.crm import describe_cache
from leadbridge.standards.names import company_key
from leadbridge.standards.stage import StandardsStage
from leadbridge.store import profile, query

if TYPE_CHECKING:
    from leadbridge.standards.normalizer import Normalizer
    from leadbridge.standards.rules import RuleSet
    from leadbridge.workspace import Workspace

KEY_FIELDS = ("first_name", "last_name", "email", "company", "country", "state", "phone", "title", "person_source",
              "lead_source", "owner_id")
PICKLIST_LIKE = {"person": ("country", "state", "lead_source", "lead_status", "industry", "rating", "person_source"),
                 "company": ("country", "state", "industry")}
INTERNAL = {"email_invalid", "email_invalid_reason", "email_flags", "email_suggestion", "data_invalid",
            "data_issues", "is_test", "time_zone", "email_key", "name_key", "merged_into_id", "territory"}
SPELLINGS_SHOWN = 200
HEALTH_FORMULA = ("health = 100 × (0.4 × completeness of key fields + 0.25 × (1 − invalid-email share) "
                  "+ 0.2 × (1 − duplicate share) + 0.15 × (1 − would-fail-in-CRM share)); "
                  "duplicate share: records beyond the first by email or by name + company, each counted once")


def run_audit(ws: "Workspace", now: datetime | None = None) -> dict[str, Any]:
    """Everything `leadbridge audit` shows, for text, JSON and HTML."""
    now = now or datetime.now(timezone.utc)
    cfg = ws.config.standards
    norm, rulesets = StandardsStage(root=ws.root).prepare(cfg, ws.db.objects)
    crm_fields, crm_source = lead_expectations(ws)
    person_fields = [f.name for f in ws.fields("person") if f.writable and f.name not in INTERNAL]
    checks = Bits()
    t = ws.db.object_table("person")
    for f in person_fields:
        checks.add(f"filled:{f}", profile.filled_condition(t.c[f]))
    for name, cond in sql_rule_conditions(ws, rulesets["person"], "person").items():
        checks.add(name, cond)
    sql_reasons = crm_sql_reasons(ws, crm_fields, norm.picklists)
    for i, (_, _, cond) in enumerate(sql_reasons):
        checks.add(f"crm{i}", cond)
    people = _person_frame(ws, norm, rulesets["person"], checks)
    companies = _company_frame(ws, norm, rulesets["company"])
    total = people.height
    counts = checks.counts(people)
    completeness = _completeness(ws, {f: counts[f"filled:{f}"] for f in person_fields}, total)
    key_filled = {c["field"]: c["filled"] for c in completeness["person"]}
    company_sql = profile.count_conditions(ws.db, "company", sql_rule_conditions(ws, rulesets["company"], "company"))
    rules = rule_failures(people, rulesets["person"], norm, "person", counts) + \
        rule_failures(companies, rulesets["company"], norm, "company", company_sql)
    emails = {f: int(people[f"_e_{f}"].sum()) for f in EMAIL_FLAGS} if total else dict.fromkeys(EMAIL_FLAGS, 0)
    dups = _duplicates(people)
    inactive = profile.last_activity_buckets(ws.db, now, (30, 60, 90))
    crm = would_fail(people, crm_fields, [(r, c, checks.expr(f"crm{i}")) for i, (r, c, _) in enumerate(sql_reasons)],
                     norm.picklists)
    crm["checked_against"] = crm_source
    crm["not_pushed_by_sync_filter"] = int((~people["_syncs"]).sum()) if total else 0
    crm["sync_filter"] = ws.config.sync.filter
    no_source = total - key_filled.get("person_source", 0)
    key_share = sum(key_filled.get(f, 0) for f in KEY_FIELDS) / (total * len(KEY_FIELDS)) if total else 1.0
    share = (lambda n: n / total) if total else (lambda n: 0.0)
    health = 100 * (0.4 * key_share + 0.25 * (1 - share(emails["invalid"])) + 0.2 * (1 - share(dups["records"]))
                    + 0.15 * (1 - min(1.0, share(crm["records"]))))
    return {
        "generated_at": now.isoformat(), "people": total, "companies": companies.height,
        "health_score": round(health, 1), "health_formula": HEALTH_FORMULA,
        "health_parts": {"key_field_completeness": round(key_share, 4),
                         "invalid_email_share": round(share(emails["invalid"]), 4),
                         "duplicate_share": round(share(dups["records"]), 4),
                         "would_fail_share": round(min(1.0, share(crm["records"])), 4)},
        "completeness": completeness["person"], "completeness_by_object": completeness,
        "rule_failures": rules,
        "inconsistent_values": {f: _spellings(people, f, norm, ws, "person") for f in PICKLIST_LIKE["person"]},
        "inconsistent_company_values": {f: _spellings(companies, f, norm, ws, "company")
                                        for f in PICKLIST_LIKE["company"]},
        "inactive": {"30d": inactive["d30"], "60d": inactive["d60"], "90d": inactive["d90"],
                     "no_activity": inactive["never"], "with_activity_records": inactive["from_activity"]},
        "emails": emails,
        "duplicates": dups["groups"] | {"records_beyond_first": dups["records"]},
        "without_person_source": no_source, "would_fail_in_crm": crm,
    }


class Bits:
    """Per-record SQL checks packed into integer columns of the frame (62 a column), read in the one scan."""

    def __init__(self) -> None:
        self.conditions: list[tuple[str, Any]] = []
        self.at: dict[str, tuple[str, int]] = {}

    def add(self, name: str, condition) -> None:
        i = len(self.conditions)
        self.at[name] = (f"_bits{i // 62}", i % 62)
        self.conditions.append((name, condition))

    def columns(self) -> dict[str, Any]:
        out = {}
        for start in range(0, len(self.conditions), 62):
            out[f"_bits{start // 62}"] = profile.bitmask([c for _, c in self.conditions[start:start + 62]])
        return out

    def expr(self, name: str) -> pl.Expr:
        col, bit = self.at[name]
        return (pl.col(col) & (1 << bit)) != 0

    def counts(self, df: pl.DataFrame) -> dict[str, int]:
        if df.height == 0 or not self.conditions:
            return {name: 0 for name, _ in self.conditions}
        row = df.select([self.expr(name).sum().alias(name) for name, _ in self.conditions]).row(0)
        return {name: int(n) for (name, _), n in zip(self.conditions, row)}


def _person_frame(ws: "Workspace", norm: "Normalizer", rules: "RuleSet", checks: Bits) -> pl.DataFrame:
    """One read of the people: the columns that need Python per value or a distribution, the sync filter's
    verdict, and every SQL-side check (completeness, rules, CRM reasons) as bits."""
    have = [f.name for f in ws.fields("person")]
    cols = needed_columns(["email", "first_name", "last_name", "company", "country", "state",
                           *PICKLIST_LIKE["person"], *sorted(frame_fields(rules))], have)
    cond = query.condition(ws.db, "person", ws.config.sync.filter)
    df = profile.frame(ws.db, "person", cols, {"_syncs": sa.case((cond, True), else_=False), **checks.columns()})
    df = df.with_columns(email_key=pl.col("email").str.strip_chars().str.to_lowercase())  # writepath.keys.email_key
    df = add_codes(df, norm)
    return add_email_flags(df, ws.config.standards.email, norm)


def _company_frame(ws: "Workspace", norm: "Normalizer", rules: "RuleSet") -> pl.DataFrame:
    have = [f.name for f in ws.fields("company")]
    cols = needed_columns(["name", "country", "state", *sorted(frame_fields(rules))], have)
    return add_codes(profile.frame(ws.db, "company", cols), norm)


def _completeness(ws: "Workspace", person_filled: dict[str, int], people: int) -> dict[str, list[dict[str, Any]]]:
    """Per object and field: records with a value (merged-away records left out)."""
    out = {"person": [{"object": "person", "field": f, "filled": n, "total": people,
                       "share": n / people if people else 0.0} for f, n in person_filled.items()
                      if f in KEY_FIELDS or n]}
    for obj in ws.db.objects:
        if obj == "person":
            continue
        fields = [f.name for f in ws.fields(obj) if f.writable and f.name not in INTERNAL]
        total, filled = profile.filled_counts(ws.db, obj, fields)
        out[obj] = [{"object": obj, "field": f, "filled": filled[f], "total": total,
                     "share": filled[f] / total if total else 0.0} for f in fields]
    return out


def _spellings(df: pl.DataFrame, field: str, norm: "Normalizer", ws: "Workspace", obj: str) -> list[dict[str, Any]]:
    """Each distinct spelling with its count and what it normalizes to (most common first)."""
    if field not in {f.name for f in ws.fields(obj)}:
        return []
    if field == "state":
        if "state" not in df.columns or df.height == 0:
            return []
        counts = df.filter(pl.col("state").is_not_null()).group_by("state", "_cc").len() \
            .sort(["len", "state"], descending=[True, False])
        out = []
        for value, cc, n in counts.head(SPELLINGS_SHOWN).iter_rows():
            s = norm.state(value, cc) if cc else None
            out.append({"value": value, "count": n, "country": cc,
                        "normalizes_to": s.value if s is not None and s.code else None,
                        "code": s.code if s is not None else None})
        return out
    standard = _standard_values(ws, obj, field)
    out = []
    if field in df.columns:
        rows = df.filter(pl.col(field).is_not_null()).group_by(field).len() \
            .sort(["len", field], descending=[True, False]).head(SPELLINGS_SHOWN).iter_rows()
    else:
        rows = profile.value_counts(ws.db, obj, field, limit=SPELLINGS_SHOWN)
    for value, n in rows:
        entry: dict[str, Any] = {"value": value, "count": n}
        if field == "country":
            c = norm.country(value)
            entry["normalizes_to"], entry["code"] = (c.value if c.code else None), c.code
        elif standard is not None:
            entry["normalizes_to"] = standard.get(str(value).strip().casefold())
        else:  # no picklist (rule or CRM describe) to compare with: the spelling is only counted
            entry["normalizes_to"], entry["no_standard"] = None, True
        out.append(entry)
    return out


def _standard_values(ws: "Workspace", obj: str, field: str) -> dict[str, str] | None:
    """casefolded value or label → the API value, from a picklist rule or the CRM's describe."""
    mapping = ws.config.sync.lead if obj == "person" else ws.config.sync.related.get(obj)
    crm_field = mapping.fields.get(field) if mapping else None
    out: dict[str, str] = {}
    for rule in ws.config.standards.rules_for(obj):
        if rule.field == field and rule.kind == "picklist":
            out.update({v.strip().casefold(): v for v in rule.values})
    if crm_field and mapping:
        for e in describe_cache.picklist(ws.root, mapping.crm_object, crm_field) or []:
            for text in (e.get("value"), e.get("label")):
                if text:
                    out.setdefault(str(text).strip().casefold(), e["value"])
    return out or None


def _duplicates(df: pl.DataFrame) -> dict[str, Any]:
    """Groups by email match key and by first + last name + company key; records beyond the first, once."""
    if df.height == 0:
        empty = {"groups": 0, "extra_records": 0}
        return {"groups": {"same_email": empty, "same_name_and_company": dict(empty)}, "records": 0}
    df = map_distinct(df, ["company"], company_key, "_ck")
    lower = lambda c: pl.col(c).str.strip_chars().str.to_lowercase()  # noqa: E731
    df = df.with_columns(_fn=lower("first_name"), _ln=lower("last_name"), _em=pl.col("email_key"))
    keys = {"same_email": ["_em"], "same_name_and_company": ["_fn", "_ln", "_ck"]}
    groups, extra = {}, []
    for name, cols in keys.items():
        present = pl.all_horizontal([pl.col(c).is_not_null() & (pl.col(c) != "") for c in cols])
        sizes = df.filter(present).group_by(cols).len().filter(pl.col("len") > 1)
        groups[name] = {"groups": sizes.height, "extra_records": int((sizes["len"] - 1).sum()) if sizes.height else 0}
        extra.append(present & ~pl.struct(cols).is_first_distinct())
    both = int(df.select(pl.any_horizontal([e.fill_null(False) for e in extra]).sum()).item())
    return {"groups": groups, "records": both}
