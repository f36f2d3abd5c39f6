"""Hygiene rules checked against the schema and compiled once: filters parsed, `set` values coerced."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadbridge.errors import CoercionError, ConfigError, FilterError
from leadbridge.hygiene.config import HygieneConfig, HygieneRule
from leadbridge.model import where as w
from leadbridge.model.changes import SourceKind
from leadbridge.model.objects import ObjectDef
from leadbridge.store.where_sql import filter_fields

NORMALIZABLE = ("country", "state", "email", "phone", "mobile_phone", "first_name", "last_name", "company")
_HINT = "fix the rule under hygiene.rules in leadbridge.yaml (`leadbridge fields list` shows the fields)"


@dataclass(frozen=True)
class CompiledRule:
    rule: HygieneRule
    when: w.Node | None
    sources: frozenset[SourceKind]
    fields: frozenset[str]
    actions: tuple[tuple[str, Any], ...]  # (kind, argument): set → ((field, value), ...), flag → issue text

    @property
    def name(self) -> str:
        return self.rule.name

    def flag_issues(self) -> list[str]:
        return [arg for kind, arg in self.actions if kind == "flag"]


def issue_text(rule: str, reason: str) -> str:
    """How a hygiene flag is written into data_issues (the standards stage keeps entries with this prefix)."""
    return f"hygiene: {rule}: {reason}"


def compile_rules(cfg: HygieneConfig, obj: ObjectDef) -> list[CompiledRule]:
    """The enabled rules, checked against `obj`'s fields; ConfigError names the rule and the problem."""
    fields = filter_fields(obj.by_name)
    out = []
    for rule in cfg.rules:
        if not rule.enabled:
            continue

        def bad(message: str, rule=rule) -> ConfigError:
            return ConfigError(f"hygiene rule {rule.name!r}: {message}", hint=_HINT)

        try:
            when = w.parse(rule.when, fields) if rule.when else None
        except FilterError as exc:
            raise bad(f"when: {exc}") from None
        unknown = [f for f in rule.fields if f not in obj.by_name]
        if unknown:
            raise bad(f"fields: unknown field(s) {', '.join(unknown)}")
        out.append(CompiledRule(rule, when, frozenset(rule.sources), frozenset(rule.fields),
                                tuple(_action(a, obj, bad, rule.name) for a in rule.actions)))
    return out


def _action(action, obj: ObjectDef, bad, rule: str) -> tuple[str, Any]:
    if action.set:
        values = []
        for name, raw in action.set.items():
            fd = obj.by_name.get(name)
            if fd is None:
                raise bad(f"set: unknown field {name!r}")
            if not fd.writable or name in ("data_issues", "data_invalid"):
                raise bad(f"set: {name} is set by leadbridge itself (use `flag` to mark a person invalid)")
            try:
                values.append((name, fd.coerce(raw)))
            except CoercionError as exc:
                raise bad(f"set: {exc}") from None
        return "set", tuple(values)
    if action.normalize:
        if action.normalize not in NORMALIZABLE:
            raise bad(f"normalize: no normalizer for {action.normalize!r} (there are: {', '.join(NORMALIZABLE)})")
        return "normalize", action.normalize
    if action.flag:
        return "flag", issue_text(rule, action.flag.strip())
    if action.derive_source:
        return "derive_source", None
    if action.route:
        return "route", None
    if action.add_to_list:
        return "add_to_list", action.add_to_list.strip()
    return "request_sync", None
