"""Compile a `--where` AST (model.where) to a SQLAlchemy boolean expression."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Mapping

import sqlalchemy as sa

from leadbridge.errors import CoercionError, FilterError
from leadbridge.model import where as w
from leadbridge.model.fields import FieldDef
from leadbridge.model.types import FieldType as T

_SYSTEM = {
    "id": FieldDef("id", T.INTEGER), "created_at": FieldDef("created_at", T.DATETIME),
    "updated_at": FieldDef("updated_at", T.DATETIME),
}


def filter_fields(fields: Mapping[str, FieldDef]) -> dict[str, FieldDef]:
    """Every name a filter may use on an object: its fields plus id/created_at/updated_at."""
    return {**_SYSTEM, **fields}


def compile_where(node: w.Node, table: sa.Table, fields: Mapping[str, FieldDef],
                  now: datetime | None = None) -> sa.ColumnElement[bool]:
    """A SQL condition equivalent to `model.where.evaluate(node, row)` (NULL compares false)."""
    now = now or datetime.now(timezone.utc)
    defs = filter_fields(fields)

    def build(n: w.Node) -> sa.ColumnElement[bool]:
        if isinstance(n, w.TrueNode):
            return sa.true()
        if isinstance(n, w.And):
            return sa.and_(*(build(i) for i in n.items))
        if isinstance(n, w.Or):
            return sa.or_(*(build(i) for i in n.items))
        if isinstance(n, w.Not):
            inner = build(n.item)
            return sa.not_(sa.func.coalesce(inner, sa.false()))
        return _predicate(n, table.c[n.field], defs[n.field], now)

    return build(node)


def _literal(fd: FieldDef, value: Any, now: datetime) -> Any:
    if isinstance(value, w.RelativeTime):
        value = value.resolve(now)
    if fd.type in (T.DATE, T.DATETIME) and isinstance(value, (date, datetime)):
        if fd.type is T.DATE:
            return value.date() if isinstance(value, datetime) else value
        if not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    try:
        coerced = fd.coerce(value)
    except CoercionError as exc:
        raise FilterError(f"{exc}", hint=f"'{fd.name}' is a {fd.type.value} field") from None
    if isinstance(coerced, datetime):
        return coerced.replace(tzinfo=None)
    return coerced


def _predicate(n: w.Compare, col: sa.ColumnElement, fd: FieldDef, now: datetime) -> sa.ColumnElement[bool]:
    textual = fd.type.is_text
    if n.op == "empty":
        cond = sa.or_(col.is_(None), sa.func.trim(col) == "") if textual else col.is_(None)
        return sa.not_(cond) if n.negate else cond
    if n.op in ("contains", "like", "startswith"):
        pattern = str(n.value).lower()
        if n.op == "contains":
            pattern = "%" + pattern.replace("%", r"\%").replace("_", r"\_") + "%"
        elif n.op == "startswith":
            pattern = pattern.replace("%", r"\%").replace("_", r"\_") + "%"
        expr = sa.func.lower(sa.cast(col, sa.Text)).like(pattern, escape="\\" if n.op != "like" else None)
        return sa.and_(col.isnot(None), sa.not_(expr)) if n.negate else expr
    left = sa.func.lower(col) if textual else col
    if n.op == "in":
        values = [_literal(fd, v, now) for v in n.value]
        values = [v.lower() if isinstance(v, str) and textual else v for v in values]
        expr = left.in_(values)
        return sa.and_(col.isnot(None), sa.not_(expr)) if n.negate else expr
    value = _literal(fd, n.value, now)
    if textual and isinstance(value, str):
        value = value.lower()
    ops = {"=": left.__eq__, "!=": left.__ne__, "<": left.__lt__, "<=": left.__le__,
           ">": left.__gt__, ">=": left.__ge__}
    return ops[n.op](value)
