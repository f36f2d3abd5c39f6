"""The SOQL subset, parsed into a small syntax tree (query_engine.py resolves and runs it).

    SELECT f1, Parent.f2 | COUNT() | COUNT(f) [alias] FROM X [WHERE …] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], …]
    [LIMIT n] [OFFSET n]

WHERE: = != <> < > <= >= IN, NOT IN, LIKE, AND, OR, NOT, parentheses; null, true/false,
numbers, 'strings' (with SOQL's backslash escapes), date and datetime literals, and the date
literals of date_literals.py. Keywords are case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from leadbridge.sandbox.validation import RecordError

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^'\\]|\\.)*')
  | (?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*(?::\d+)?)
)""", re.X)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
MAX_OFFSET = 2000


def malformed(msg: str) -> RecordError:
    return RecordError("MALFORMED_QUERY", msg)


@dataclass
class Lit:
    kind: str  # str, num, bool, null, date, datetime, range
    value: Any
    raw: str = ""


@dataclass
class Query:
    obj: str
    fields: list[str]
    count: bool
    where: Any
    aggregates: list[tuple[str, str, str]] = field(default_factory=list)  # (function, field, alias)
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # field, descending, nulls_last
    limit: int | None = None
    offset: int = 0

    def where_fields(self) -> list[str]:
        out: list[str] = []

        def walk(node: Any) -> None:
            if node is None:
                return
            if node[0] in ("and", "or"):
                for c in node[1]:
                    walk(c)
            elif node[0] == "not":
                walk(node[1])
            else:
                out.append(node[1])
        walk(self.where)
        return out


def unescape(text: str, like: bool = False) -> str:
    """A SOQL string literal's value; in LIKE patterns \\% and \\_ stay escaped for the matcher."""
    def sub(m: re.Match[str]) -> str:
        c = m.group(1)
        if c in "%_":
            return "\\" + c if like else c
        if c not in _ESCAPES:
            raise malformed(f"Invalid string literal: \\{c} is not a valid escape sequence")
        return _ESCAPES[c]
    return re.sub(r"\\(.)", sub, text, flags=re.S)


class _P:
    def __init__(self, text: str):
        self.toks: list[tuple[str, str]] = []
        pos, text = 0, text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise malformed(f"unexpected token: '{text[pos:pos + 15].strip()}'")
            self.toks.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def peek(self, k: int = 0) -> tuple[str, str] | None:
        return self.toks[self.i + k] if self.i + k < len(self.toks) else None

    def kw(self, *words: str) -> bool:
        for k, w in enumerate(words):
            t = self.peek(k)
            if not (t and t[0] == "word" and t[1].upper() == w):
                return False
        self.i += len(words)
        return True

    def expect_kw(self, word: str) -> None:
        if not self.kw(word):
            t = self.peek()
            raise malformed(f"unexpected token: '{t[1] if t else 'end of query'}', expecting '{word}'")

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

    def value(self, like: bool = False) -> Lit:
        t = self.peek()
        if t is None:
            raise malformed("unexpected end of query")
        self.i += 1
        kind, text = t
        if kind == "str":
            return Lit("str", unescape(text[1:-1], like), text)
        if kind in ("dt", "date"):
            return Lit("datetime" if kind == "dt" else "date", text, text)
        if kind == "num":
            return Lit("num", float(text) if "." in text else int(text), text)
        if kind == "word":
            up = text.upper()
            if up == "NULL":
                return Lit("null", None, text)
            if up in ("TRUE", "FALSE"):
                return Lit("bool", up == "TRUE", text)
            from leadbridge.sandbox.date_literals import date_range
            if date_range(up) is not None:
                return Lit("range", up, text)
        raise malformed(f"unexpected token: '{text}'")

    def cond(self) -> Any:
        parts = [self.term()]
        while self.kw("OR"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def term(self) -> Any:
        parts = [self.factor()]
        while self.kw("AND"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def factor(self) -> Any:
        if self.kw("NOT"):
            return ("not", self.factor())
        if self.op("("):
            inner = self.cond()
            if not self.op(")"):
                raise malformed("expecting ')'")
            return inner
        name = self.word()
        if self.kw("NOT", "IN"):
            return ("in", name, self.list_(), True)
        if self.kw("IN"):
            return ("in", name, self.list_(), False)
        if self.kw("LIKE"):
            pat = self.value(like=True)
            if pat.kind != "str":
                raise malformed("LIKE needs a quoted string pattern")
            return ("like", name, pat.value)
        t = self.peek()
        if not t or t[0] != "op" or t[1] in "(),":
            raise malformed(f"unexpected token: '{t[1] if t else 'end of query'}'")
        self.i += 1
        return ("cmp", name, "!=" if t[1] == "<>" else t[1], self.value())

    def list_(self) -> list[Lit]:
        if not self.op("("):
            raise malformed("expecting '('")
        values = [self.value()]
        while self.op(","):
            values.append(self.value())
        if not self.op(")"):
            raise malformed("expecting ')'")
        return values

    def integer(self, what: str) -> int:
        v = self.value()
        if v.kind != "num" or not isinstance(v.value, int) or v.value < 0:
            raise malformed(f"{what} must be a non-negative integer")
        return v.value


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise malformed("A query string has to be specified")
    p = _P(text)
    p.expect_kw("SELECT")
    count, fields, aggregates = False, [], []
    first = p.peek()
    if first and first[0] == "word" and first[1].upper() == "COUNT" and p.peek(1) == ("op", "(") \
            and p.peek(2) == ("op", ")"):
        p.i += 3
        count = True
    else:
        while True:
            t, t2 = p.peek(), p.peek(1)
            if t and t[0] == "word" and t[1].upper() in ("COUNT", "COUNT_DISTINCT") and t2 == ("op", "("):
                p.i += 2
                f = p.word()
                if not p.op(")"):
                    raise malformed("expecting ')'")
                nxt = p.peek()
                alias = f"expr{len(aggregates)}"
                if nxt and nxt[0] == "word" and nxt[1].upper() != "FROM":
                    alias = p.word()
                aggregates.append((t[1].upper(), f, alias))
            else:
                fields.append(p.word())
            if not p.op(","):
                break
    p.expect_kw("FROM")
    obj = p.word()
    where = p.cond() if p.kw("WHERE") else None
    q = Query(obj, fields, count, where, aggregates)
    if p.kw("GROUP", "BY"):
        raise malformed("GROUP BY is not supported by the sandbox")
    if p.kw("ORDER", "BY"):
        while True:
            f = p.word()
            desc = p.kw("DESC")
            if not desc:
                p.kw("ASC")
            nulls_last = desc
            if p.kw("NULLS", "FIRST"):
                nulls_last = False
            elif p.kw("NULLS", "LAST"):
                nulls_last = True
            q.order.append((f, desc, nulls_last))
            if not p.op(","):
                break
    if p.kw("LIMIT"):
        q.limit = p.integer("LIMIT")
    if p.kw("OFFSET"):
        q.offset = p.integer("OFFSET")
        if q.offset > MAX_OFFSET:
            raise RecordError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
    if p.peek():
        raise malformed(f"unexpected token: '{p.peek()[1]}'")
    if aggregates and fields:
        raise malformed("Field must be grouped or aggregated: " + fields[0])
    return q
