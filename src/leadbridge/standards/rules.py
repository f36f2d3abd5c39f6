"""Check records against the configured rules (pure): which rules fail, with their action and message.

Rules are compiled once per config and object: `when` filters parsed (country literals
normalized to ISO codes), field names checked against the object, picklists read from
config or the CRM's cached describe. A `when` is evaluated on a view of the record in which
`country` is its ISO alpha-2 code and `state` its ISO 3166-2 subdivision code, so
`country = US` holds whether the stored value is 'United States', 'US' or the CRM's label.
Each check result is cached per distinct value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any, Callable, Iterable

from leadbridge.errors import ConfigError
from leadbridge.model import where as w
from leadbridge.model.types import is_blank
from leadbridge.standards.config import Rule, StandardsConfig
from leadbridge.standards.country import normalize_country
from leadbridge.standards.website import is_url

if TYPE_CHECKING:
    from leadbridge.standards.normalizer import Normalizer

PHONE_LIKE = {"phone", "state"}
_MISSING = object()  # formats whose result depends on the record's country


@dataclass(frozen=True)
class Violation:
    rule: str
    field: str
    action: str
    severity: str
    message: str


def _special_ok(text: str, allowed: str) -> bool:
    return all(c.isalnum() or c in allowed or unicodedata.category(c).startswith("M") for c in text)


def _iso_literals(node: w.Node) -> w.Node:
    """The filter with country names in it ('United States', Deutschland) replaced by ISO codes."""
    if isinstance(node, w.Compare):
        if node.field != "country" or node.op not in ("=", "!=", "in"):
            return node
        fix = lambda v: (normalize_country(v).code or v) if isinstance(v, str) else v  # noqa: E731
        value = tuple(fix(v) for v in node.value) if node.op == "in" else fix(node.value)
        return replace(node, value=value)
    if isinstance(node, (w.And, w.Or)):
        return type(node)(tuple(_iso_literals(i) for i in node.items))
    if isinstance(node, w.Not):
        return w.Not(_iso_literals(node.item))
    return node


class CompiledRule:
    """One rule, ready to check many values."""

    def __init__(self, rule: Rule, fields: set[str], picklist: dict[str, str] | None):
        self.rule = rule
        if rule.field not in fields:
            raise ConfigError(f"standards rule {rule.name!r} checks unknown field {rule.object}.{rule.field}",
                              hint=f"`leadbridge fields list --object {rule.object}` shows the fields")
        self.when = _iso_literals(w.parse(rule.when, fields)) if rule.when else None  # unknown fields: FilterError
        self.when_fields = tuple(sorted(w.fields_used(self.when))) if self.when else ()
        self.picklist = picklist  # casefolded value or label → the API value; None: not known yet
        self.pattern = re.compile(rule.pattern) if rule.pattern else None
        self.by_country = rule.kind == "format" and rule.format in PHONE_LIKE
        self._memo: dict[Any, str | None] = {}

    @property
    def reads(self) -> set[str]:
        return {self.rule.field, *self.when_fields, *(("country",) if self.by_country else ())}

    def problem(self, value: Any, cc: str | None, norm: "Normalizer") -> str | None:
        """None when the rule holds for `value` (in a record of country `cc`), else what is wrong."""
        k = (value, cc) if self.by_country else value
        try:
            return self._memo[k]
        except KeyError:
            pass
        except TypeError:  # an unhashable value: check it uncached
            return self._check(value, cc, norm)
        if len(self._memo) > 200_000:
            self._memo.clear()
        out = self._memo[k] = self._check(value, cc, norm)
        return out

    def _check(self, value: Any, cc: str | None, norm: "Normalizer") -> str | None:
        rule = self.rule
        if rule.kind == "required":
            return f"{rule.field} is required" if is_blank(value) else None
        if is_blank(value):
            return None
        text = str(value)
        if rule.kind == "max_length":
            return f"{rule.field} is {len(text)} characters (max {rule.max_length})" \
                if len(text) > rule.max_length else None
        if rule.kind == "no_special_chars":
            return None if _special_ok(text, rule.allowed) else f"{rule.field} {text!r} has special characters"
        if rule.kind == "picklist":
            if self.picklist is None:
                return None  # the CRM's describe is not cached yet (`leadbridge mapping check` fetches it)
            return None if text.strip().casefold() in self.picklist else \
                f"{rule.field} {text!r} is not one of the allowed values"
        if rule.kind == "regex":
            return None if self.pattern.fullmatch(text) else f"{rule.field} {text!r} does not match {rule.pattern}"
        return _format_problem(rule, text, cc, norm)


def _format_problem(rule: Rule, text: str, cc: str | None, norm: "Normalizer") -> str | None:
    fmt = rule.format
    if fmt == "email":
        n = norm.email(text)
        return None if n.ok else f"invalid email: {n.reason}"
    if fmt == "phone":
        n = norm.phone(text, cc)
        return None if n.ok else f"{rule.field} {text!r}: {n.reason}"
    if fmt == "country":
        n = norm.country(text)
        return None if n.code and n.ok else n.reason
    if fmt == "state":
        n = norm.state(text, cc)
        return None if n.ok else n.reason
    if fmt == "url":
        return None if is_url(text) else f"{text!r} is not a web address"
    if fmt in ("date", "datetime"):
        try:
            if fmt == "date":
                date.fromisoformat(text.strip())
            else:
                datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
            return None
        except ValueError:
            return f"{text!r} is not a {fmt} (YYYY-MM-DD{'' if fmt == 'date' else 'THH:MM:SS'})"
    return None


class RuleSet:
    """The compiled rules of one object, and how to evaluate them on records."""

    def __init__(self, rules: list[CompiledRule]):
        self.rules = rules
        self.fields = set().union(*(r.reads for r in rules)) if rules else set()
        self.when_fields = set().union(*(r.when_fields for r in rules)) if rules else set()
        self._when_memo: dict[tuple, bool] = {}

        self.picklists: dict[str, list[dict[str, str]]] = {}
        for r in rules:
            if r.picklist:
                self.picklists.setdefault(r.rule.field, []).append(r.picklist)

    def picklist_fix(self, field: str, value: Any) -> str | None:
        """The API value a picklist rule stores for a label or a differently cased value, if any."""
        maps = self.picklists.get(field)
        if not maps or not isinstance(value, str):
            return None
        for m in maps:
            api = m.get(value.strip().casefold())
            if api is not None and api != value:
                return api
        return None

    def _when_rows(self, r: CompiledRule, when_cols: dict[str, list[Any]], n: int) -> list[int]:
        """The rows where the rule's `when` holds (memoized per distinct combination of the values it reads)."""
        keys = list(zip(*(when_cols[f] for f in r.when_fields))) if r.when_fields else [()] * n
        memo, hits = self._when_memo, []
        for k in keys:
            mk = (r.when, *k)
            hit = memo.get(mk)
            if hit is None:
                if len(memo) > 200_000:
                    memo.clear()
                hit = memo[mk] = w.evaluate(r.when, dict(zip(r.when_fields, k)))
            hits.append(hit)
        return [i for i in range(n) if hits[i]]

    def check_many(self, records: list[dict[str, Any]], ccs: list[str | None], norm: "Normalizer",
                   columns: dict[str, list[Any]] | None = None) -> list[list[Violation]]:
        """`check` for a batch, rule by rule over columns: each distinct value is checked once.

        `columns` may give fields already read (field → each record's current value, in order)."""
        out: list[list[Violation]] = [[] for _ in records]
        when_cols: dict[str, list[Any]] = {}
        for f in self.when_fields:
            if f == "country":
                when_cols[f] = ccs
            elif f == "state":
                when_cols[f] = [norm.state_code(rec.get("state"), cc) or rec.get("state")
                                for rec, cc in zip(records, ccs)]
            else:
                when_cols[f] = [rec.get(f) for rec in records]
        columns = dict(columns or {})
        when_rows: dict[Any, list[int]] = {}  # rules with the same condition share its evaluation
        for r in self.rules:
            rule = r.rule
            values = columns.get(rule.field)
            if values is None:
                values = columns[rule.field] = list(map(dict.get, records, repeat(rule.field)))
            if rule.kind != "required" and values.count(None) == len(values):
                continue  # nobody in the batch has the field: nothing to check
            rows = range(len(records))
            if r.when is not None:
                rows = when_rows.get(r.when)
                if rows is None:
                    rows = when_rows[r.when] = self._when_rows(r, when_cols, len(records))
            whole = r.when is None  # the rule applies to every row of the batch
            if rule.kind == "required":
                if whole:
                    bad = [(i, f"{rule.field} is required") for i, v in enumerate(values)
                           if v is None or (type(v) is str and not v.strip())]
                else:
                    bad = [(i, f"{rule.field} is required") for i in rows
                           if values[i] is None or (type(values[i]) is str and not values[i].strip())]
            elif rule.kind == "max_length":
                n = rule.max_length
                if whole and max(map(len, map(str, filter(None, values))), default=0) <= n:
                    continue  # the longest value fits: nothing to report (the common case, checked in C)
                bad = [(i, f"{rule.field} is {len(str(values[i]))} characters (max {n})") for i in rows
                       if values[i] is not None and len(str(values[i])) > n]
            elif rule.kind == "format" and rule.format == "email":  # the normalizer's cache has every address
                email = norm.email
                bad = [(i, f"invalid email: {n.reason}") for i in rows if values[i] is not None
                       for n in (email(values[i]),) if not n.ok]
            else:  # each distinct value (and country) checked once, through the rule's memo
                memo, miss = r._memo, _MISSING
                if r.by_country:
                    keys = list(zip(values, ccs)) if whole else [(values[i], ccs[i]) for i in rows]
                else:
                    keys = values if whole else [values[i] for i in rows]
                found = [memo.get(k, miss) for k in keys]
                if miss in found:  # found holds None, problem strings and `miss`: `in` finds it in C
                    if len(memo) > 200_000:
                        memo.clear()
                    for j, (k, p) in enumerate(zip(keys, found)):
                        if p is miss:
                            v, cc = k if r.by_country else (k, None)
                            p = found[j] = None if v is None else r._check(v, cc, norm)
                            try:
                                memo[k] = p
                            except TypeError:  # an unhashable value: checked, not remembered
                                pass
                bad = [(i, p) for i, p in zip(rows, found) if p] if any(found) else ()
            for i, problem in bad:
                out[i].append(Violation(rule.name, rule.field, rule.action, rule.severity, rule.message or problem))
        return out

    def check(self, record: dict[str, Any], cc: str | None, norm: "Normalizer") -> list[Violation]:
        """The rules `record` fails; `cc` is the ISO code of its country."""
        out = []
        view = None
        for r in self.rules:
            if r.when is not None:
                if view is None:
                    view = {f: record.get(f) for f in self.when_fields}
                    view["country"] = cc
                    if "state" in view:
                        view["state"] = norm.state_code(record.get("state"), cc) or record.get("state")
                k = (id(r), *(view.get(f) for f in r.when_fields))
                hit = self._when_memo.get(k)
                if hit is None:
                    if len(self._when_memo) > 200_000:
                        self._when_memo.clear()
                    hit = self._when_memo[k] = w.evaluate(r.when, view)
                if not hit:
                    continue
            problem = r.problem(record.get(r.rule.field), cc, norm)
            if problem:
                rule = r.rule
                out.append(Violation(rule.name, rule.field, rule.action, rule.severity, rule.message or problem))
        return out


def compile_rules(cfg: StandardsConfig, obj: str, fields: Iterable[str],
                  crm_picklist: Callable[[str], list[dict[str, Any]] | None]) -> RuleSet:
    """Compile the rules of `obj`; `crm_picklist('Lead.Industry')` reads the CRM's entries (None: not cached)."""
    names = set(fields)
    out = []
    for rule in cfg.rules_for(obj):
        picklist: dict[str, str] | None = None
        if rule.kind == "picklist":
            entries = [{"value": v, "label": v} for v in rule.values]
            if rule.crm_picklist:
                crm = crm_picklist(rule.crm_picklist)
                entries = None if crm is None else crm + entries
            if entries is not None:
                picklist = {}
                for e in entries:
                    for text in (e.get("label"), e.get("value")):
                        if text:
                            picklist.setdefault(str(text).strip().casefold(), e["value"])
        try:
            out.append(CompiledRule(rule, names, picklist))
        except w.FilterError as exc:
            raise ConfigError(f"standards rule {rule.name!r}: {exc}", hint=exc.hint) from None
    return RuleSet(out)


def check_record(record: dict[str, Any], cfg: StandardsConfig, fields: set[str] | None = None,
                 obj: str = "person") -> list[Violation]:
    """Failing rules of one record (for `fields` only, when given); no CRM picklists."""
    from leadbridge.model.objects import STANDARD_OBJECTS
    from leadbridge.standards.normalizer import Normalizer
    norm = Normalizer(cfg)
    rules = compile_rules(cfg, obj, set(STANDARD_OBJECTS[obj].field_names) | set(record), lambda _: None)
    if fields is not None:
        rules = RuleSet([r for r in rules.rules if r.rule.field in fields])
    cc = norm.country_iso(record.get("country"))
    return rules.check(record, cc, norm)
