"""The SOQL subset: SELECT fields | COUNT() FROM X [WHERE] [ORDER BY] [LIMIT] [OFFSET].

WHERE supports = != <> < > <= >= IN, NOT IN, LIKE, AND, OR, NOT, parentheses, null,
true/false, numbers, 'strings', date and datetime literals, and LAST_N_DAYS:n / TODAY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from leadbridge.sandbox.validation import RecordError

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^'\\]|\\.)*')
  | (?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
  | (?P<word>[A-Za-z_][A-Za-z0-9_.:]*)
)""", re.X)


def malformed(msg: str) -> RecordError:
    return RecordError("MALFORMED_QUERY", msg)


@dataclass
class Query:
    obj: str
    fields: list[str]
    count: bool
    where: Callable[[dict[str, Any]], bool] | None
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # field, descending, nulls_last
    limit: int | None = None
    offset: int = 0
    where_fields: set[str] = field(default_factory=set)


def parse_datetime(text: str) -> datetime:
    t = text.replace("Z", "+00:00")
    t = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", t)
    return datetime.fromisoformat(t).astimezone(timezone.utc)


class _P:
    def __init__(self, text: str):
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise malformed(f"unexpected token: '{text[pos:pos + 15]}'")
            self.toks.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
        self.i = 0
        self.used: set[str] = set()

    def peek(self, k: int = 0) -> tuple[str, str] | None:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

    def kw(self, *words: str) -> bool:
        t = self.peek()
        if t and t[0] == "word" and t[1].upper() == words[0]:
            if len(words) > 1:
                t2 = self.peek(1)
                if not (t2 and t2[0] == "word" and t2[1].upper() == words[1]):
                    return False
                self.i += 1
            self.i += 1
            return True
        return False

    def expect_kw(self, word: str) -> None:
        if not self.kw(word):
            raise malformed(f"expecting '{word}'")

    def op(self, sym: str) -> bool:
        t = self.peek()
        if t and t[0] == "op" and t[1] == sym:
            self.i += 1
            return True
        return False

    def word(self) -> str:
        t = self.peek()
        if not t or t[0] != "word":
            raise malformed(f"unexpected token: '{t[1] if t else 'end of query'}'")
        self.i += 1
        return t[1]

    def value(self) -> Any:
        t = self.peek()
        if t is None:
            raise malformed("unexpected end of query")
        self.i += 1
        kind, text = t
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "dt":
            return parse_datetime(text)
        if kind == "date":
            return date.fromisoformat(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "word":
            up = text.upper()
            if up == "NULL":
                return None
            if up in ("TRUE", "FALSE"):
                return up == "TRUE"
            if up == "TODAY":
                return _DateRange(date.today(), date.today())
            if up.startswith("LAST_N_DAYS:"):
                n = int(up.split(":")[1])
                return _DateRange(date.today() - timedelta(days=n), date.today())
        raise malformed(f"unexpected token: '{text}'")

    def cond(self) -> Callable[[dict], bool]:
        left = self.term()
        while self.kw("OR"):
            right, prev = self.term(), left
            left = lambda r, a=prev, b=right: a(r) or b(r)  # noqa: E731
        return left

    def term(self) -> Callable[[dict], bool]:
        left = self.factor()
        while self.kw("AND"):
            right, prev = self.factor(), left
            left = lambda r, a=prev, b=right: a(r) and b(r)  # noqa: E731
        return left

    def factor(self) -> Callable[[dict], bool]:
        if self.kw("NOT"):
            inner = self.factor()
            return lambda r: not inner(r)
        if self.op("("):
            inner = self.cond()
            if not self.op(")"):
                raise malformed("expecting ')'")
            return inner
        name = self.word()
        self.used.add(name)
        if self.kw("NOT", "IN") or (self.kw("NOT") and self.kw("IN")):
            values = self.list_()
            return lambda r: _get(r, name) is not None and not any(_eq(_get(r, name), v) for v in values)
        if self.kw("IN"):
            values = self.list_()
            return lambda r: any(_eq(_get(r, name), v) for v in values)
        if self.kw("LIKE"):
            pat = self.value()
            rx = re.compile("^" + "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pat)) + "$",
                            re.I | re.S)
            return lambda r: _get(r, name) is not None and bool(rx.match(str(_get(r, name))))
        t = self.peek()
        if not t or t[0] != "op" or t[1] in "(),":
            raise malformed(f"unexpected token: '{t[1] if t else 'end of query'}'")
        self.i += 1
        op, value = ("!=" if t[1] == "<>" else t[1]), self.value()
        return lambda r: _compare(_get(r, name), op, value)

    def list_(self) -> list[Any]:
        if not self.op("("):
            raise malformed("expecting '('")
        values = [self.value()]
        while self.op(","):
            values.append(self.value())
        if not self.op(")"):
            raise malformed("expecting ')'")
        return values


@dataclass
class _DateRange:
    start: date
    end: date


def _get(r: dict[str, Any], name: str) -> Any:
    for k, v in r.items():
        if k.lower() == name.lower():
            return v
    return None


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    if isinstance(right, datetime) and isinstance(left, str):
        left = parse_datetime(left)
    elif isinstance(right, date) and not isinstance(right, datetime) and isinstance(left, str):
        left = date.fromisoformat(left[:10])
    elif isinstance(left, str) and isinstance(right, str):
        return left.lower(), right.lower()
    return left, right


def _eq(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    a, b = _coerce(left, right)
    return a == b


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(right, _DateRange):
        if left is None:
            return False
        d = parse_datetime(left).date() if isinstance(left, str) and "T" in left else date.fromisoformat(str(left)[:10])
        inside = right.start <= d <= right.end
        return {"=": inside, "!=": not inside, ">": d > right.end, ">=": d >= right.start,
                "<": d < right.start, "<=": d <= right.end}[op]
    if op == "=":
        return _eq(left, right)
    if op == "!=":
        return not _eq(left, right)
    if left is None or right is None:
        return False
    a, b = _coerce(left, right)
    try:
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    except TypeError:
        return False


def parse(text: str) -> Query:
    p = _P(text)
    p.expect_kw("SELECT")
    count, fields = False, []
    if p.kw("COUNT"):
        if not (p.op("(") and p.op(")")):
            raise malformed("expecting 'COUNT()'")
        count = True
    else:
        fields.append(p.word())
        while p.op(","):
            fields.append(p.word())
    p.expect_kw("FROM")
    obj = p.word()
    where = p.cond() if p.kw("WHERE") else None
    q = Query(obj, fields, count, where, where_fields=set(p.used))
    if p.kw("ORDER", "BY"):
        while True:
            f = p.word()
            desc = p.kw("DESC") or (p.kw("ASC") and False)
            nulls_last = desc
            if p.kw("NULLS", "FIRST"):
                nulls_last = False
            elif p.kw("NULLS", "LAST"):
                nulls_last = True
            q.order.append((f, desc, nulls_last))
            if not p.op(","):
                break
    if p.kw("LIMIT"):
        q.limit = int(p.value())
    if p.kw("OFFSET"):
        q.offset = int(p.value())
    if p.peek():
        raise malformed(f"unexpected token: '{p.peek()[1]}'")
    return q


def run(q: Query, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [r for r in records if q.where is None or q.where(r)]
    for f, desc, nulls_last in reversed(q.order):
        present = [r for r in rows if _get(r, f) is not None]
        absent = [r for r in rows if _get(r, f) is None]
        present.sort(key=lambda r: _sort_key(_get(r, f)), reverse=desc)
        rows = present + absent if nulls_last else absent + present
    rows = rows[q.offset:]
    return rows[:q.limit] if q.limit is not None else rows


def _sort_key(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v
