"""The `--where` filter language: parse to an AST, evaluate on a record.

Grammar (keywords are case-insensitive)::

    expr      := term ("or" term)*
    term      := factor ("and" factor)*
    factor    := "not" factor | "(" expr ")" | predicate
    predicate := FIELD "is" ["not"] ("empty" | "null")
               | FIELD ("=" | "!=" | "<" | "<=" | ">" | ">=") VALUE
               | FIELD ["not"] "in" "(" VALUE ("," VALUE)* ")"
               | FIELD ["not"] ("contains" | "like" | "startswith") VALUE
    VALUE     := 'text' | "text" | number | true | false | date (2026-01-31)
               | relative time (-30d, -12h, -2w, +1d: from now) | bare-word

`is empty` is true for NULL and for ''. `like` uses % and _ as in SQL.
Comparisons are case-insensitive for text. The AST compiles to SQL
(store.where_sql) and to Polars (columnar.where_frame); it is never eval'd.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping, Union

from leadbridge.errors import FilterError

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
    | (?P<rel>[+-]\d+(?:\.\d+)?[mhdwy]\b)
    | (?P<date>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?)
    | (?P<num>[+-]?\d+(?:\.\d+)?\b)
    | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
    | (?P<word>[^\s'"(),=<>!]+)
    )""", re.VERBOSE)
_KEYWORDS = {"and", "or", "not", "is", "in", "empty", "null", "contains", "like", "startswith"}
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(weeks=1), "y": timedelta(days=365)}


@dataclass(frozen=True)
class RelativeTime:
    """`-30d`: an instant relative to when the filter runs."""

    offset: timedelta

    def resolve(self, now: datetime | None = None) -> datetime:
        return (now or datetime.now(timezone.utc)) + self.offset


@dataclass(frozen=True)
class Compare:
    field: str
    op: str  # = != < <= > >= in not_in contains like startswith empty
    value: Any = None
    negate: bool = False


@dataclass(frozen=True)
class And:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    item: "Node"


@dataclass(frozen=True)
class TrueNode:
    """The empty filter: matches everything."""


Node = Union[Compare, And, Or, Not, TrueNode]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError(f"cannot read the filter at {text[pos:pos + 20]!r}",
                              hint="see `leadbridge people list --help` for the --where language")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, fields: Iterable[str] | None):
        self.text, self.toks, self.i = text, _tokens(text), 0
        self.fields = set(fields) if fields is not None else None

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def kw(self, word: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "word" and tok[1].lower() == word:
            self.i += 1
            return True
        return False

    def op(self, symbol: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] == symbol:
            self.i += 1
            return True
        return False

    def fail(self, what: str) -> FilterError:
        tok = self.peek()
        where = f"near {tok[1]!r}" if tok else "at the end"
        return FilterError(f"{what} {where} in filter {self.text!r}",
                           hint="examples: \"country is empty\", \"lead_score > 50 and email is not empty\", "
                                "\"updated_at < -30d\"")

    def parse(self) -> Node:
        if not self.toks:
            return TrueNode()
        node = self.expr()
        if self.peek():
            raise self.fail("unexpected text")
        return node

    def expr(self) -> Node:
        items = [self.term()]
        while self.kw("or"):
            items.append(self.term())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def term(self) -> Node:
        items = [self.factor()]
        while self.kw("and"):
            items.append(self.factor())
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self) -> Node:
        if self.kw("not"):
            return Not(self.factor())
        if self.op("("):
            node = self.expr()
            if not self.op(")"):
                raise self.fail("expected ')'")
            return node
        return self.predicate()

    def field_name(self) -> str:
        tok = self.peek()
        if not tok or tok[0] != "word" or tok[1].lower() in _KEYWORDS:
            raise self.fail("expected a field name")
        self.i += 1
        name = tok[1]
        if self.fields is not None and name not in self.fields:
            close = sorted(f for f in self.fields if f.startswith(name[:3]))[:5]
            hint = f"did you mean: {', '.join(close)}?" if close else "`leadbridge fields list` shows the fields"
            raise FilterError(f"unknown field {name!r} in filter {self.text!r}", hint=hint)
        return name

    def predicate(self) -> Node:
        name = self.field_name()
        if self.kw("is"):
            negate = self.kw("not")
            if not (self.kw("empty") or self.kw("null")):
                raise self.fail("expected 'empty' after 'is'")
            return Compare(name, "empty", negate=negate)
        negate = self.kw("not")
        if self.kw("in"):
            if not self.op("("):
                raise self.fail("expected '(' after 'in'")
            values = [self.value()]
            while self.op(","):
                values.append(self.value())
            if not self.op(")"):
                raise self.fail("expected ')' to close the list")
            return Compare(name, "in", tuple(values), negate=negate)
        for word in ("contains", "like", "startswith"):
            if self.kw(word):
                return Compare(name, word, self.value(), negate=negate)
        if negate:
            raise self.fail("expected 'in', 'contains', 'like' or 'startswith' after 'not'")
        tok = self.peek()
        if not tok or tok[0] != "op" or tok[1] in "(),":
            raise self.fail(f"expected an operator after {name!r}")
        self.i += 1
        op = "!=" if tok[1] == "<>" else tok[1]
        return Compare(name, op, self.value())

    def value(self) -> Any:
        tok = self.peek()
        if not tok:
            raise self.fail("expected a value")
        kind, text = tok
        self.i += 1
        if kind == "str":
            body = text[1:-1]
            return body.replace("''", "'").replace("\\'", "'").replace('\\"', '"') \
                if text[0] == "'" else body.replace('\\"', '"')
        if kind == "rel":
            sign = -1 if text[0] == "-" else 1
            return RelativeTime(sign * float(text[1:-1]) * _UNITS[text[-1]])
        if kind == "date":
            return _parse_date(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "word":
            low = text.lower()
            if low in ("true", "false"):
                return low == "true"
            if low in _KEYWORDS:
                raise self.fail("expected a value")
            return text
        raise self.fail("expected a value")


def _parse_date(text: str) -> date | datetime:
    if len(text) == 10:
        return date.fromisoformat(text)
    text = text.replace("Z", "+00:00").replace(" ", "T")
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def parse(text: str | None, fields: Iterable[str] | None = None) -> Node:
    """Parse a filter; `fields` (if given) are the names it may use."""
    return _Parser(text or "", fields).parse()


def fields_used(node: Node) -> set[str]:
    """The field names a filter reads."""
    if isinstance(node, Compare):
        return {node.field}
    if isinstance(node, (And, Or)):
        return set().union(*(fields_used(i) for i in node.items))
    if isinstance(node, Not):
        return fields_used(node.item)
    return set()


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return value


def _comparable(left: Any, right: Any, now: datetime) -> tuple[Any, Any]:
    if isinstance(right, RelativeTime):
        right = right.resolve(now)
    if isinstance(left, str) and isinstance(right, (datetime, date)):
        try:
            left = _parse_date(left[:10] if isinstance(right, date) and not isinstance(right, datetime) else left)
        except ValueError:
            return str(left), str(right)
    if isinstance(right, datetime) and isinstance(left, date) and not isinstance(left, datetime):
        left = datetime(left.year, left.month, left.day, tzinfo=timezone.utc)
    if isinstance(right, date) and not isinstance(right, datetime) and isinstance(left, datetime):
        left = left.date()
    if isinstance(left, str) and isinstance(right, (int, float)) and not isinstance(right, bool):
        try:
            left = float(left)
        except ValueError:
            return left, str(right)
    if isinstance(right, str) and isinstance(left, (int, float)) and not isinstance(left, bool):
        try:
            right = float(right)
        except ValueError:
            return str(left), right
    return _norm(left), _norm(right)


def _like(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern.lower())
    return re.compile(f"^{body}$", re.DOTALL)


def evaluate(node: Node, record: Mapping[str, Any], now: datetime | None = None) -> bool:
    """Evaluate a parsed filter on one record (SQL NULL semantics: NULL compares false)."""
    now = now or datetime.now(timezone.utc)
    if isinstance(node, TrueNode):
        return True
    if isinstance(node, And):
        return all(evaluate(i, record, now) for i in node.items)
    if isinstance(node, Or):
        return any(evaluate(i, record, now) for i in node.items)
    if isinstance(node, Not):
        return not evaluate(node.item, record, now)
    value = record.get(node.field)
    if value is None and node.op != "empty":
        return False  # NULL compares false, also under "not in" / "not contains" (as in SQL)
    result = _compare(node, value, now)
    return not result if node.negate else result


def _compare(node: Compare, value: Any, now: datetime) -> bool:
    if node.op == "empty":
        return value is None or (isinstance(value, str) and not value.strip())
    if value is None:
        return False
    if node.op == "in":
        return any(_eq(*_comparable(value, v, now)) for v in node.value)
    if node.op in ("contains", "like", "startswith"):
        text, pat = str(value).lower(), str(node.value).lower()
        if node.op == "contains":
            return pat in text
        if node.op == "startswith":
            return text.startswith(pat)
        return bool(_like(pat).match(text))
    left, right = _comparable(value, node.value, now)
    try:
        return {"=": _eq, "!=": lambda a, b: not _eq(a, b), "<": lambda a, b: a < b,
                "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[node.op](left, right)
    except TypeError:
        return False


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b) if isinstance(a, bool) and isinstance(b, bool) else str(a).lower() == str(b).lower()
    return a == b


def predicate(text: str | None, fields: Iterable[str] | None = None) -> Callable[[Mapping[str, Any]], bool]:
    """Compile a filter to a Python predicate over record dicts."""
    node = parse(text, fields)
    return lambda record: evaluate(node, record)
