"""Runs a parsed SOQL query against the org: names resolved once, typed comparisons, index lookups.

A top-level `Id = …`, `Id IN (…)`, or the same on an external-id or unique field reads the
index (200 ids over 100k records is 200 lookups, not a scan); everything else scans once with
a predicate compiled per query. Text compares case-insensitively, as SOQL does; datetimes
compare in UTC. `!=` matches records whose field is null (SOQL, unlike SQL) while `NOT IN`
leaves them out, as SOQL guides describe it (not checked against an org).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from leadbridge.sandbox import ids
from leadbridge.sandbox.date_literals import date_range
from leadbridge.sandbox.soql import Lit, Query
from leadbridge.sandbox.validation import RecordError, parse_datetime, sf_datetime

Row = dict[str, Any]
Getter = Callable[[Row], Any]
TEXT = {"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "id", "reference"}
NUMBER = {"int", "double", "currency", "percent"}
_SOAP = {"int": "int", "double": "double", "currency": "double", "percent": "double", "boolean": "boolean",
         "date": "date", "datetime": "dateTime"}


@dataclass
class Column:
    path: str  # the API spelling: Name or Account.Name
    getter: Getter
    type: str
    relationship: str | None = None  # Account
    target: str | None = None  # the parent object
    api_field: str = ""


@dataclass
class Plan:
    obj: str
    columns: list[Column]
    rows: list[Row]
    count: bool
    aggregates: list[tuple[str, str, str]]


def _no_column(name: str, obj: str) -> RecordError:
    return RecordError("INVALID_FIELD", f"No such column '{name}' on entity '{obj}'. If you are attempting to use a "
                       "custom field, be sure to append the '__c' after the custom field name. Please reference your "
                       "WSDL or the describe call for the appropriate names.", [name])


def _visible_field(org: Any, obj: str, name: str) -> str:
    api = org.schema.field_name(obj, name)
    p = org.config.permission(obj)
    if api is None or (p and api in p.hidden_fields):
        raise _no_column(name, obj)
    return api


def column(org: Any, obj: str, path: str) -> Column:
    """Resolve `Field` or `Relationship.Field` on `obj`."""
    if "." not in path:
        api = _visible_field(org, obj, path)
        return Column(api, lambda r, a=api: r.get(a), org.schema.fields(obj)[api].type, api_field=api)
    rel, _, name = path.partition(".")
    ref = next((f for f in org.schema.reference_fields[obj]
                if (f.name[:-3] + "__r" if f.name.endswith("__c") else re.sub(r"Id$", "", f.name)).lower() == rel.lower()),
               None)
    if ref is None or "." in name:
        raise RecordError("INVALID_FIELD", f"Didn't understand relationship '{rel}' in field path. If you are "
                          "attempting to use a custom relationship, be sure to append the '__r' after the custom "
                          "relationship name. Please reference your WSDL or the describe call for the appropriate "
                          "names.", [path])
    target = next(t for t in ref.reference_to if t != "Group")
    api = _visible_field(org, target, name)
    table = org.store.table(target)
    relname = ref.name[:-3] + "__r" if ref.name.endswith("__c") else re.sub(r"Id$", "", ref.name)

    def get(r: Row, f: str = ref.name, a: str = api) -> Any:
        parent = table.get(r.get(f)) if r.get(f) else None
        return parent.get(a) if parent else None
    return Column(f"{relname}.{api}", get, org.schema.fields(target)[api].type, relname, target, api)


def _type_error(col: Column, quoted: bool) -> RecordError:
    kind = _SOAP.get(col.type, "string")
    how = "should not be enclosed in quotes" if quoted else "should be enclosed in quotes"
    return RecordError("INVALID_QUERY_FILTER_OPERATOR", f"value of filter criterion for field '{col.path}' must be of "
                       f"type {kind} and {how}")


def _literal(col: Column, lit: Lit) -> Any:
    """A literal in the stored form of the column's type (strings casefolded, ids canonical, datetimes in UTC)."""
    if lit.kind == "null":
        return None
    t = col.type
    if t in TEXT:
        if lit.kind not in ("str",):
            raise _type_error(col, quoted=False)
        if t in ("id", "reference") and ids.looks_like_id(lit.value):
            return ids.canonical(lit.value)
        return lit.value.casefold()
    if t == "boolean":
        if lit.kind != "bool":
            raise _type_error(col, quoted=lit.kind == "str")
        return lit.value
    if t in NUMBER:
        if lit.kind != "num":
            raise _type_error(col, quoted=lit.kind == "str")
        return lit.value
    if t in ("date", "datetime"):
        if lit.kind == "range":
            start, end = date_range(lit.value)
            if t == "date":
                return (start.isoformat(), end.isoformat())
            return (f"{start.isoformat()}T00:00:00.000+0000", f"{end.isoformat()}T00:00:00.000+0000")
        if lit.kind == "date" and t == "date":
            return lit.value
        if lit.kind == "datetime" and t == "datetime":
            return sf_datetime(parse_datetime(lit.value))
        raise _type_error(col, quoted=lit.kind == "str")
    return lit.value


def _stored(col: Column) -> Getter:
    get = col.getter
    if col.type in TEXT and col.type not in ("id", "reference"):
        return lambda r: (v.casefold() if isinstance(v := get(r), str) and v != "" else None if v == "" else v)
    return get


def _compare(get: Getter, op: str, v: Any) -> Callable[[Row], bool]:
    if isinstance(v, tuple):  # a date literal's [start, end)
        lo, hi = v
        fn = {"=": lambda x: lo <= x < hi, "!=": lambda x: not lo <= x < hi, ">": lambda x: x >= hi,
              ">=": lambda x: x >= lo, "<": lambda x: x < lo, "<=": lambda x: x < hi}[op]
        return lambda r: (x := get(r)) is not None and fn(x)
    if v is None:
        if op not in ("=", "!="):
            raise RecordError("MALFORMED_QUERY", "null can only be compared with = or !=")
        return (lambda r: get(r) is None) if op == "=" else (lambda r: get(r) is not None)
    if op == "=":
        return lambda r: get(r) == v
    if op == "!=":
        return lambda r: get(r) != v
    fn = {"<": lambda x: x < v, ">": lambda x: x > v, "<=": lambda x: x <= v, ">=": lambda x: x >= v}[op]
    return lambda r: (x := get(r)) is not None and fn(x)


def _like(get: Getter, pattern: str) -> Callable[[Row], bool]:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    rx = re.compile("^" + "".join(out) + "$", re.I | re.S)
    return lambda r: (x := get(r)) is not None and bool(rx.match(str(x)))


def predicate(org: Any, obj: str, node: Any) -> Callable[[Row], bool]:
    kind = node[0]
    if kind in ("and", "or"):
        parts = [predicate(org, obj, c) for c in node[1]]
        return (lambda r: all(p(r) for p in parts)) if kind == "and" else (lambda r: any(p(r) for p in parts))
    if kind == "not":
        inner = predicate(org, obj, node[1])
        return lambda r: not inner(r)
    col = column(org, obj, node[1])
    get = _stored(col)
    if kind == "like":
        return _like(col.getter, node[2])
    if kind == "in":
        values = [_literal(col, lit) for lit in node[2]]
        if any(isinstance(v, tuple) for v in values):
            raise RecordError("MALFORMED_QUERY", "date literals cannot be used with IN")
        wanted = frozenset(v for v in values if v is not None)
        with_null = any(v is None for v in values)
        if node[3]:
            return lambda r: (x := get(r)) is not None and x not in wanted
        return lambda r: (x := get(r)) in wanted or (with_null and x is None)
    return _compare(get, node[2], _literal(col, node[3]))


def _indexed_lookup(org: Any, obj: str, node: Any) -> tuple[str, list[Any]] | None:
    """(field, values) when `node` (or a conjunct of it) is an equality on Id or an indexed field."""
    for part in (node[1] if node and node[0] == "and" else [node] if node else []):
        if part[0] == "cmp" and part[2] == "=" and "." not in part[1]:
            field, lits = part[1], [part[3]]
        elif part[0] == "in" and not part[3] and "." not in part[1]:
            field, lits = part[1], part[2]
        else:
            continue
        api = org.schema.field_name(obj, field)
        f = org.schema.fields(obj).get(api) if api else None
        if f is None or not (api == "Id" or f.external_id or f.unique) or any(l.kind != "str" for l in lits):
            continue
        return api, [lit.value for lit in lits]
    return None


def execute(org: Any, q: Query, include_deleted: bool) -> Plan:
    obj = org.object_name(q.obj)
    if obj is None:
        raise RecordError("INVALID_TYPE", f"sObject type '{q.obj}' is not supported. If you are attempting to use a "
                          "custom object, be sure to append the '__c' after the entity name. Please reference your WSDL "
                          "or the describe call for the appropriate names.")
    columns = [column(org, obj, f) for f in q.fields]
    for _, f, _ in q.aggregates:
        column(org, obj, f)
    pred = predicate(org, obj, q.where) if q.where is not None else None
    live, gone = org.store.table(obj), org.store.deleted.get(obj, {}) if include_deleted else {}
    lookup = _indexed_lookup(org, obj, q.where)
    if lookup is None:
        source: Any = list(live.values()) + list(gone.values())
    elif lookup[0] == "Id":
        keys = list(dict.fromkeys(ids.canonical(v) for v in lookup[1] if ids.looks_like_id(v)))
        source = [t[k] for k in keys for t in (live, gone) if k in t]
    else:
        found = set().union(*(org.indexes.lookup(obj, (lookup[0],), [v]) for v in lookup[1]))
        source = [live[i] for i in sorted(found) if i in live] + list(gone.values())  # ids sort in creation order
    rows = [r for r in source if pred is None or pred(r)]
    for f, desc, nulls_last in reversed(q.order):
        get = _stored(column(org, obj, f))
        present = [r for r in rows if get(r) is not None]
        absent = [r for r in rows if get(r) is None]
        present.sort(key=get, reverse=desc)
        rows = present + absent if nulls_last else absent + present
    rows = rows[q.offset:]
    if q.limit is not None:
        rows = rows[:q.limit]
    return Plan(obj, columns, rows, q.count, q.aggregates)


def render(org: Any, plan: Plan, row: Row, version: str) -> dict[str, Any]:
    """One record of a query result: the selected fields (API names), parents as nested records."""
    obj = plan.obj
    out: dict[str, Any] = {"attributes": {"type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{row['Id']}"}}
    for col in plan.columns:
        if col.relationship is None:
            out[col.path] = row.get(col.path)
            continue
        parent_id = row.get(next(f.name for f in org.schema.reference_fields[obj]
                                 if (f.name[:-3] + "__r" if f.name.endswith("__c") else re.sub(r"Id$", "", f.name))
                                 == col.relationship))
        parent = org.store.get(col.target, parent_id) if parent_id else None
        if parent is None:
            out[col.relationship] = None
            continue
        nested = out.get(col.relationship) or {"attributes": {
            "type": col.target, "url": f"/services/data/v{version}/sobjects/{col.target}/{parent['Id']}"}}
        nested[col.api_field] = parent.get(col.api_field)
        out[col.relationship] = nested
    return out


def aggregate_rows(org: Any, plan: Plan) -> list[dict[str, Any]]:
    out: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
    for fn, f, alias in plan.aggregates:
        get = column(org, plan.obj, f).getter
        values = [get(r) for r in plan.rows if get(r) is not None]
        out[alias] = len(set(values)) if fn == "COUNT_DISTINCT" else len(values)
    return [out]
