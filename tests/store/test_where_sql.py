"""The SQL compilation of a filter selects exactly the records Python evaluation accepts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadbridge.model import Change, SourceKind
from leadbridge.model import where as w
from leadbridge.workspace import Workspace

NOW = datetime.now(timezone.utc)
PEOPLE = [
    {"email": "a@x.com", "country": "US", "state": "CA", "lead_score": 10, "title": "CTO", "unsubscribed": True},
    {"email": "b@x.com", "country": "us", "state": None, "lead_score": 60, "title": "", "unsubscribed": False},
    {"email": "c@x.com", "country": None, "state": "NY", "lead_score": None, "title": "VP Sales"},
    {"email": "d@x.com", "country": "DE", "state": "BY", "lead_score": 99, "title": "Data 100%_analyst"},
    {"email": "e@x.com", "country": "", "lead_score": 50, "title": "o'brien"},
    {"email": None, "country": "FR", "lead_score": 0, "title": "CEO", "last_name": "NoEmail"},
]

atoms = st.sampled_from([
    "country is empty", "country is not empty", "country = us", "country != DE", "country in (US, FR)",
    "country not in (US, FR)", "lead_score > 50", "lead_score <= 10", "lead_score = 0", "title contains 'vp'",
    "title like '%o%'", "title startswith c", "title contains '100%_'", "state is empty", "unsubscribed = true",
    "unsubscribed = false", "title = 'o''brien'", "created_at < -1d", "updated_at > -1h", "email like '%@x.com'",
    "title not contains 'c'", "id >= 3",
])
filters = st.recursive(atoms, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    inner.map(lambda t: f"not {t}")), max_leaves=5)


@pytest.fixture
def loaded(workspace: Workspace) -> Workspace:
    workspace.write([Change(p) for p in PEOPLE], SourceKind.API)
    return workspace


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=filters)
def test_sql_and_python_agree(loaded: Workspace, text: str):
    rows = loaded.list("person")
    expected = sorted(r["id"] for r in rows if w.evaluate(w.parse(text), r, NOW))
    got = sorted(r["id"] for r in loaded.list("person", text))
    assert got == expected, text


def test_filter_values_are_never_sql(loaded: Workspace):
    assert loaded.list("person", "title = 'x''; DROP TABLE person; --'") == []
    assert loaded.count() == len(PEOPLE)
