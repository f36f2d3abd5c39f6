"""SOQL date literals (TODAY, LAST_N_DAYS:n, THIS_QUARTER, N_MONTHS_AGO:n …) as half-open date ranges.

Ranges follow SOQL's "Date Formats and Date Literals" reference: the org's time zone is GMT
(the sandbox's), weeks start on Sunday (en_US locale), the fiscal year is the calendar year
(Salesforce's default), `LAST_N_DAYS:n` includes today (LAST_N_DAYS:1 = yesterday and today)
while `NEXT_N_DAYS:n` starts tomorrow, and the LAST_N / NEXT_N forms of weeks, months, quarters
and years exclude the current one.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_N = re.compile(r"^(LAST_N|NEXT_N|N)_(DAYS|WEEKS|MONTHS|QUARTERS|YEARS|FISCAL_QUARTERS|FISCAL_YEARS)(_AGO)?:(\d+)$")


def today() -> date:
    return datetime.now(timezone.utc).date()


def _add_months(d: date, months: int) -> date:
    m = d.year * 12 + d.month - 1 + months
    return date(m // 12, m % 12 + 1, 1)


def _unit_start(d: date, unit: str) -> date:
    if unit == "WEEKS":
        return d - timedelta(days=(d.weekday() + 1) % 7)  # Sunday
    if unit == "MONTHS":
        return d.replace(day=1)
    if unit == "QUARTERS":
        return date(d.year, (d.month - 1) // 3 * 3 + 1, 1)
    return date(d.year, 1, 1)


def _shift(start: date, unit: str, k: int) -> date:
    if unit == "WEEKS":
        return start + timedelta(weeks=k)
    return _add_months(start, k * {"MONTHS": 1, "QUARTERS": 3, "YEARS": 12}[unit])


def date_range(literal: str, now: date | None = None) -> tuple[date, date] | None:
    """[start, end) of a date literal, or None when `literal` is not one."""
    t = now or today()
    lit = literal.upper().replace("FISCAL_", "")
    one_day = timedelta(days=1)
    fixed = {"YESTERDAY": (t - one_day, t), "TODAY": (t, t + one_day), "TOMORROW": (t + one_day, t + 2 * one_day),
             "LAST_90_DAYS": (t - timedelta(days=90), t + one_day),
             "NEXT_90_DAYS": (t + one_day, t + timedelta(days=91))}
    if lit in fixed:
        return fixed[lit]
    m = re.fullmatch(r"(THIS|LAST|NEXT)_(WEEK|MONTH|QUARTER|YEAR)", lit)
    if m:
        unit = m.group(2) + "S"
        start = _unit_start(t, unit)
        k = {"THIS": 0, "LAST": -1, "NEXT": 1}[m.group(1)]
        return _shift(start, unit, k), _shift(start, unit, k + 1)
    m = _N.match(lit)
    if not m:
        return None
    kind, unit, ago, n = m.group(1), m.group(2).replace("FISCAL_", ""), m.group(3), int(m.group(4))
    if (kind == "N") != bool(ago):
        return None
    if unit == "DAYS":
        if kind == "LAST_N":
            return t - timedelta(days=n), t + one_day
        if kind == "NEXT_N":
            return t + one_day, t + timedelta(days=n + 1)
        return t - timedelta(days=n), t - timedelta(days=n - 1)
    start = _unit_start(t, unit)
    if kind == "LAST_N":
        return _shift(start, unit, -n), start
    if kind == "NEXT_N":
        return _shift(start, unit, 1), _shift(start, unit, n + 1)
    return _shift(start, unit, -n), _shift(start, unit, -n + 1)
