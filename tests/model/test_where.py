"""The --where language: parsing, errors, evaluation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from leadbridge.errors import FilterError
from leadbridge.model import where as w

FIELDS = ["email", "country", "lead_score", "updated_at", "state", "title"]


@pytest.mark.parametrize("text,record,expected", [
    ("country is empty", {"country": None}, True),
    ("country is empty", {"country": "  "}, True),
    ("country is not empty", {"country": "US"}, True),
    ("email is not empty and lead_score > 50", {"email": "a@b.c", "lead_score": 51}, True),
    ("email is not empty and lead_score > 50", {"email": "a@b.c", "lead_score": 50}, False),
    ("country = us", {"country": "US"}, True),
    ("country in (US, 'CA') or state = 'NY'", {"country": "DE", "state": "ny"}, True),
    ("country not in (US, CA)", {"country": None}, False),
    ("not (country = DE)", {"country": None}, True),
    ("email like '%@gmail.com'", {"email": "X@Gmail.com"}, True),
    ("title contains 'market'", {"title": "VP Marketing"}, True),
    ("title startswith vp", {"title": "VP Marketing"}, True),
    ("updated_at < -30d", {"updated_at": datetime.now(timezone.utc) - timedelta(days=31)}, True),
    ("updated_at < -30d", {"updated_at": datetime.now(timezone.utc) - timedelta(days=29)}, False),
    ("updated_at >= 2026-01-01", {"updated_at": datetime(2026, 2, 1, tzinfo=timezone.utc)}, True),
    ("lead_score != 5", {"lead_score": None}, False),
    ("", {}, True),
])
def test_evaluate(text, record, expected):
    assert w.evaluate(w.parse(text, FIELDS), record) is expected


@pytest.mark.parametrize("text,message", [
    ("countyr is empty", "unknown field 'countyr'"),
    ("country is", "expected 'empty'"),
    ("lead_score >", "expected a value"),
    ("(country = US", "expected ')'"),
    ("country = US extra", "unexpected text"),
    ("country in US", "expected '('"),
    ("country ~ 3", "expected an operator"),
    ("email = 'unterminated", "cannot read the filter"),
])
def test_errors_are_clear(text, message):
    with pytest.raises(FilterError) as exc:
        w.parse(text, FIELDS)
    assert message in str(exc.value) and exc.value.hint


def test_quoted_strings_keep_quotes_and_injection_is_data():
    node = w.parse("title = 'O''Brien; DROP TABLE person'", FIELDS)
    assert node.value == "O'Brien; DROP TABLE person"
    assert w.fields_used(w.parse("country = US and (state = CA or title is empty)", FIELDS)) == \
        {"country", "state", "title"}
