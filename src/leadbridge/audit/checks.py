"""Rule failures and CRM readiness, computed from the stored values (not from stored flags).

Rules are re-evaluated with the same compiled rules and normalizers as the write path, once
per distinct combination of the columns a rule reads. The CRM checks come from the CRM's
cached describe (field lengths, required fields, restricted picklists, the country and state
picklists) for the records the sync filter would push; without a cached describe they fall back
to Salesforce's default Lead lengths and required fields, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from leadbridge.audit.data import map_distinct
from leadbridge.crm import describe_cache
from leadbridge.model import where as w
from leadbridge.standards.config import PERSON_LENGTHS
from leadbridge.standards.normalizer import Normalizer
from leadbridge.standards.rules import RuleSet

if TYPE_CHECKING:
    from leadbridge.standards.picklists import CrmPicklists
    from leadbridge.workspace import Workspace

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def sql_check(r) -> tuple[str, str, object] | None:
    """(kind, field, param) when the store can count the rule's failures in SQL (no Python per value)."""
    rule = r.rule
    if r.when is not None:
        return None
    if rule.kind == "required":
        return ("blank", rule.field, None)
    if rule.kind == "max_length":
        return ("longer", rule.field, rule.max_length)
    if rule.kind == "picklist" and r.picklist is not None and all(k.isascii() for k in r.picklist):
        return ("not_in_folded", rule.field, set(r.picklist))  # SQLite's lower() folds ASCII only
    return None


def frame_fields(rules: RuleSet) -> set[str]:
    """The columns the rules that need Python per value read."""
    return set().union(*(r.reads for r in rules.rules if sql_check(r) is None)) if rules.rules else set()


def sql_rule_conditions(ws: "Workspace", rules: RuleSet, obj: str) -> dict[str, Any]:
    """rule index → the SQL condition of the rules the store can check itself."""
    from leadbridge.store import profile
    out = {}
    for i, r in enumerate(rules.rules):
        spec = sql_check(r)
        if spec is not None and spec[1] in ws.db.object_table(obj).c:
            out[f"rule{i}"] = profile.check_condition(ws.db, obj, *spec)
    return out


def rule_failures(df: pl.DataFrame, rules: RuleSet, norm: Normalizer, obj: str,
                  sql_counts: dict[str, int]) -> list[dict[str, Any]]:
    """Per rule: how many records fail it now (`sql_counts` from the store, the rest on distinct values)."""
    out = []
    for i, r in enumerate(rules.rules):
        rule = r.rule
        n = sql_counts[f"rule{i}"] if f"rule{i}" in sql_counts else _count_failing(df, r, rules, norm)
        if n:
            out.append({"object": obj, "rule": rule.name, "field": rule.field, "kind": rule.kind,
                        "action": rule.action, "severity": rule.severity, "count": n})
    return sorted(out, key=lambda x: (SEVERITY_ORDER[x["severity"]], -x["count"]))


def _count_failing(df: pl.DataFrame, r, rules: RuleSet, norm: Normalizer) -> int:
    rule = r.rule
    if rule.field not in df.columns:
        return 0
    fails = _vector_check(r, df)
    if fails is None:  # a check that needs Python: once per distinct value (and country)
        cols = [rule.field] + (["_cc"] if r.by_country else [])
        df = map_distinct(df, cols, lambda v, cc=None: r.problem(v, cc, norm) is not None, "_fail", pl.Boolean)
        fails = pl.col("_fail")
    if r.when is not None:
        cols = list(dict.fromkeys([*[f for f in r.when_fields if f in df.columns], "_cc"]))

        def applies(*values) -> bool:
            view = dict(zip(cols, values))
            view["country"] = view.pop("_cc")
            if "state" in view:
                view["state"] = norm.state_code(view["state"], view["country"]) or view["state"]
            return w.evaluate(r.when, view)
        df = map_distinct(df, cols, applies, "_applies", pl.Boolean)
        fails = fails & pl.col("_applies")
    return int(df.select(fails.fill_null(False).sum()).item())


def _vector_check(r, df: pl.DataFrame) -> pl.Expr | None:
    """The rule as a Polars expression (True: fails), for the kinds that need no Python per value."""
    rule, col = r.rule, pl.col(r.rule.field)
    text = col.cast(pl.String)
    blank = col.is_null() | (text.str.strip_chars() == "")
    if rule.kind == "required":
        return blank
    if rule.kind == "max_length":
        return ~blank & (text.str.len_chars() > rule.max_length)
    if rule.kind == "picklist":
        if r.picklist is None:
            return pl.lit(False)
        return ~blank & ~text.str.strip_chars().str.to_lowercase().is_in(list(r.picklist))
    if rule.kind == "regex":
        expr = ~blank & ~text.str.contains(f"^(?:{rule.pattern})$")
        try:
            df.head(1).select(expr)
        except pl.exceptions.ComputeError:  # a Python-only regex feature (lookaround): per distinct value
            return None
        return expr
    if rule.kind == "format" and rule.format == "email" and "_e_invalid" in df.columns:
        return ~blank & pl.col("_e_invalid")
    return None


@dataclass
class CrmField:
    local: str
    crm: str
    type: str
    length: int
    required: bool
    restricted: frozenset[str] | None  # values and labels of a restricted picklist


def lead_expectations(ws: "Workspace") -> tuple[list[CrmField], str]:
    """What the CRM's Lead accepts for each mapped field, from the cached describe (or defaults)."""
    mapping = ws.config.sync.lead
    cached = describe_cache.load(ws.root, mapping.crm_object)
    local = {f.name for f in ws.fields("person")}
    out = []
    if cached is None:
        for lf, cf in mapping.fields.items():
            if lf in local:
                out.append(CrmField(lf, cf, "string", PERSON_LENGTHS.get(lf, 0), cf in ("LastName", "Company"), None))
        return out, "Salesforce defaults (no CRM describe cached: `leadbridge mapping check` fetches it)"
    fields = {f["name"]: f for f in cached["describe"].get("fields", [])}
    for lf, cf in mapping.fields.items():
        f = fields.get(cf)
        if f is None or lf not in local:
            continue
        required = f.get("createable", True) and not f.get("nillable", True) and not f.get("defaultedOnCreate") \
            and f.get("type") not in ("boolean", "reference", "id")
        restricted = None
        if f.get("type") == "picklist" and f.get("restrictedPicklist"):
            restricted = frozenset(v for p in f.get("picklistValues") or [] if p.get("active", True)
                                   for v in (p.get("value"), p.get("label")) if v)
        length = int(f.get("length") or 0) if f.get("type") in ("string", "textarea", "email", "phone", "url") else 0
        out.append(CrmField(lf, cf, f.get("type", "string"), length, bool(required), restricted))
    return out, f"the CRM's describe of {mapping.crm_object} (cached {cached.get('fetched_at', '')[:19]})"


def crm_sql_reasons(ws: "Workspace", fields: list[CrmField],
                    picks: "CrmPicklists | None") -> list[tuple[str, str, Any]]:
    """(reason, CRM error code, SQL condition) for the CRM checks the store can evaluate itself."""
    from leadbridge.store import profile
    have = ws.db.object_table("person").c
    out = []
    for f in fields:
        if f.local not in have:
            continue
        if f.required:
            out.append((f"required field missing: {f.crm}", "REQUIRED_FIELD_MISSING",
                        profile.check_condition(ws.db, "person", "blank", f.local)))
        if f.length:
            out.append((f"{f.local} longer than {f.length} ({f.crm})", "STRING_TOO_LONG",
                        profile.check_condition(ws.db, "person", "longer", f.local, f.length)))
        if f.restricted is not None and f.local not in ("country", "state"):
            out.append((f"{f.local} not in the CRM's restricted picklist {f.crm}",
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        profile.check_condition(ws.db, "person", "not_in", f.local, f.restricted)))
    if "country" in {f.local for f in fields} and picks is not None and picks.countries:
        out.append(("country not in the CRM's country picklist", "FIELD_INTEGRITY_EXCEPTION",
                    profile.check_condition(ws.db, "person", "not_in", "country", set(picks.country_of))))
    return out


def would_fail(df: pl.DataFrame, fields: list[CrmField], sql_reasons: list[tuple[str, str, Any]],
               picks: "CrmPicklists | None") -> dict[str, Any]:
    """Records the CRM would refuse if pushed now, by reason, and the records failing any reason (each once).

    `count`/`records` cover every record; `pushed_now`/`records_pushed` only those the sync filter
    lets through today (flagged and test records are held back, so they fail nothing yet). The SQL
    reasons arrive as (reason, code, Polars expression on the frame's check bits).
    """
    reasons: list[tuple[str, str, pl.Expr]] = [(reason, code, bit) for reason, code, bit in sql_reasons]
    mapped = {f.local for f in fields}
    if "email" in mapped and "_e_invalid" in df.columns:
        reasons.append(("email the CRM refuses (syntax or non-ASCII)", "INVALID_EMAIL_ADDRESS",
                        pl.col("_e_invalid") | pl.col("_e_non_ascii")))
    if "country" in mapped and "country" in df.columns and not (picks is not None and picks.countries):
        reasons.append(("country not recognized", "FIELD_INTEGRITY_EXCEPTION",
                        pl.col("country").is_not_null() & pl.col("_cc").is_null()))
    if "state" in mapped and "state" in df.columns and picks is not None and picks.states:
        df = _mark_bad_states(df, picks)
        reasons.append(("state not in the CRM's state picklist for its country", "FIELD_INTEGRITY_EXCEPTION",
                        pl.col("_bad_state")))
    if not reasons:
        return {"reasons": [], "records": 0, "records_estimate": 0, "records_pushed": 0}
    syncs = pl.col("_syncs") if "_syncs" in df.columns else pl.lit(True)
    exprs = [e.fill_null(False).alias(f"_r{i}") for i, (_, _, e) in enumerate(reasons)]
    flags = df.select(*exprs, syncs.alias("_syncs"))
    cols = [f"_r{i}" for i in range(len(reasons))]
    pushed = flags.filter(pl.col("_syncs"))
    all_sums, pushed_sums = flags.select(cols).sum().row(0), pushed.select(cols).sum().row(0)
    merged: dict[tuple[str, str], list[int]] = {}
    for (reason, code, _), n, p in zip(reasons, all_sums, pushed_sums):
        if n:
            acc = merged.setdefault((reason, code), [0, 0])
            acc[0] += int(n)
            acc[1] += int(p)
    rows = [{"reason": r, "code": c, "count": n, "pushed_now": p}
            for (r, c), (n, p) in sorted(merged.items(), key=lambda kv: -kv[1][0])]
    union = int(flags.select(pl.any_horizontal(cols).sum()).item())
    union_pushed = int(pushed.select(pl.any_horizontal(cols).sum()).item()) if pushed.height else 0
    return {"reasons": rows, "records": union, "records_estimate": union, "records_pushed": union_pushed}


def _mark_bad_states(df: pl.DataFrame, picks: "CrmPicklists") -> pl.DataFrame:
    pairs = df.select("state", "_cc").unique().drop_nulls()
    bad = [(s, cc) for s, cc in pairs.iter_rows() if picks.has_states(cc) and (cc, s) not in picks.state_of]
    marks = pl.DataFrame({"state": [b[0] for b in bad], "_cc": [b[1] for b in bad], "_bad_state": [True] * len(bad)},
                         schema={"state": pl.String, "_cc": pl.String, "_bad_state": pl.Boolean})
    return df.join(marks, on=["state", "_cc"], how="left").with_columns(pl.col("_bad_state").fill_null(False))
