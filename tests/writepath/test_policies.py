"""Every field rule × source × blank/non-blank × conflict, through the real write path."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from leadbridge.config import load_config
from leadbridge.model import Change, Source, SourceKind
from leadbridge.workspace import Workspace

RULES = ["crm_wins", "ma_wins", "latest_wins", "crm_unless_blank", "ma_unless_blank", "fill_only", "append", "none"]
OLD, NEW = "old value", "new value"
APPENDED = "APPENDED"  # expected value: OLD + newline + stamped NEW

# (rule, source, current, incoming, conflict) → (final value, outbox entry made)
# conflict: the incoming change happened *before* the stored value was last changed.
EXPECTED = {
    # crm_wins: the CRM overwrites (even with blank); marketing edits stay local
    ("crm_wins", "crm", OLD, NEW, False): (NEW, False), ("crm_wins", "crm", OLD, "", False): (None, False),
    ("crm_wins", "crm", None, NEW, False): (NEW, False), ("crm_wins", "crm", OLD, NEW, True): (NEW, False),
    ("crm_wins", "form", OLD, NEW, False): (NEW, False), ("crm_wins", "form", OLD, "", False): (None, False),
    ("crm_wins", "form", None, NEW, False): (NEW, False),
    # ma_wins: CRM ignored, marketing pushed
    ("ma_wins", "crm", OLD, NEW, False): (OLD, False), ("ma_wins", "crm", OLD, "", False): (OLD, False),
    ("ma_wins", "crm", None, NEW, False): (None, False), ("ma_wins", "crm", OLD, NEW, True): (OLD, False),
    ("ma_wins", "form", OLD, NEW, False): (NEW, True), ("ma_wins", "form", OLD, "", False): (None, True),
    ("ma_wins", "form", None, NEW, False): (NEW, True),
    # latest_wins: the more recent change wins
    ("latest_wins", "crm", OLD, NEW, False): (NEW, False), ("latest_wins", "crm", OLD, "", False): (None, False),
    ("latest_wins", "crm", None, NEW, False): (NEW, False), ("latest_wins", "crm", OLD, NEW, True): (OLD, False),
    ("latest_wins", "form", OLD, NEW, False): (NEW, True), ("latest_wins", "form", OLD, "", False): (None, True),
    ("latest_wins", "form", None, NEW, False): (NEW, True),
    # crm_unless_blank: CRM master, but a CRM blank never overwrites
    ("crm_unless_blank", "crm", OLD, NEW, False): (NEW, False),
    ("crm_unless_blank", "crm", OLD, "", False): (OLD, False),
    ("crm_unless_blank", "crm", None, NEW, False): (NEW, False),
    ("crm_unless_blank", "crm", OLD, NEW, True): (NEW, False),
    ("crm_unless_blank", "form", OLD, NEW, False): (NEW, False),
    ("crm_unless_blank", "form", OLD, "", False): (None, False),
    ("crm_unless_blank", "form", None, NEW, False): (NEW, False),
    # ma_unless_blank: marketing master; CRM only fills a blank; a marketing blank is not pushed
    ("ma_unless_blank", "crm", OLD, NEW, False): (OLD, False),
    ("ma_unless_blank", "crm", OLD, "", False): (OLD, False),
    ("ma_unless_blank", "crm", None, NEW, False): (NEW, False),
    ("ma_unless_blank", "crm", OLD, NEW, True): (OLD, False),
    ("ma_unless_blank", "form", OLD, NEW, False): (NEW, True),
    ("ma_unless_blank", "form", OLD, "", False): (None, False),
    ("ma_unless_blank", "form", None, NEW, False): (NEW, True),
    # fill_only: either side writes only where the field is empty
    ("fill_only", "crm", OLD, NEW, False): (OLD, False), ("fill_only", "crm", OLD, "", False): (OLD, False),
    ("fill_only", "crm", None, NEW, False): (NEW, False), ("fill_only", "crm", OLD, NEW, True): (OLD, False),
    ("fill_only", "form", OLD, NEW, False): (OLD, False), ("fill_only", "form", OLD, "", False): (OLD, False),
    ("fill_only", "form", None, NEW, False): (NEW, True),
    # append: new text appended with a stamp; blanks add nothing
    ("append", "crm", OLD, NEW, False): (APPENDED, False), ("append", "crm", OLD, "", False): (OLD, False),
    ("append", "crm", None, NEW, False): ("STAMPED", False), ("append", "crm", OLD, NEW, True): (APPENDED, False),
    ("append", "form", OLD, NEW, False): (APPENDED, True), ("append", "form", OLD, "", False): (OLD, False),
    ("append", "form", None, NEW, False): ("STAMPED", True),
    # none: never synced; CRM ignored, local edits stay local
    ("none", "crm", OLD, NEW, False): (OLD, False), ("none", "crm", OLD, "", False): (OLD, False),
    ("none", "crm", None, NEW, False): (None, False), ("none", "crm", OLD, NEW, True): (OLD, False),
    ("none", "form", OLD, NEW, False): (NEW, False), ("none", "form", OLD, "", False): (None, False),
    ("none", "form", None, NEW, False): (NEW, False),
}


def test_table_covers_every_rule_source_and_blankness():
    for rule in RULES:
        for source in ("crm", "form"):
            for current, incoming in ((OLD, NEW), (OLD, ""), (None, NEW)):
                assert (rule, source, current, incoming, False) in EXPECTED
        assert (rule, "crm", OLD, NEW, True) in EXPECTED


@pytest.fixture
def policy_ws(workspace: Workspace) -> Workspace:
    policies = {f"comments_{r}": {"rule": r} for r in RULES}
    workspace.config = load_config(None, environ={}, overrides={
        "policies": policies, "fields": [{"name": f"comments_{r}", "type": "text"} for r in RULES]})
    workspace.pipeline.config = workspace.config
    workspace.ensure_config_fields()
    return workspace


def _outbox_count(ws: Workspace, pid: int) -> int:
    t = ws.db.table("outbox")
    with ws.db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(t.c.record_id == pid)).scalar_one()


@pytest.mark.parametrize("case", sorted(EXPECTED, key=str), ids=lambda c: "-".join(map(str, c)).replace(" ", ""))
def test_field_rule(policy_ws: Workspace, case):
    rule, source, current, incoming, conflict = case
    final, outboxed = EXPECTED[case]
    field = f"comments_{rule}"
    ws = policy_ws
    created = ws.write([Change({"email": "p@example.com", "last_name": "P", field: current})], SourceKind.API)
    pid = created.items[0].id
    before = _outbox_count(ws, pid)
    stored_at = datetime.now(timezone.utc)
    when = stored_at - timedelta(hours=1) if conflict else stored_at + timedelta(seconds=1)
    result = ws.write([Change({field: incoming}, id=pid, occurred_at=when)], Source(SourceKind(source)))
    assert result.items[0].outcome.value in ("updated", "unchanged")
    value = ws.get(pid)[field]
    if final == APPENDED:
        assert value.startswith(OLD + "\n[") and value.endswith("] " + NEW)
    elif final == "STAMPED":
        assert value.startswith("[") and value.endswith("] " + NEW)
    else:
        assert value == final
    assert (_outbox_count(ws, pid) > before) is outboxed


def test_blocked_source_cannot_change_a_set_field(workspace: Workspace):
    # default config: country is blocked for form fills once it has a value
    pid = workspace.write([Change({"email": "b@example.com", "country": "DE"})], SourceKind.LIST_IMPORT).items[0].id
    res = workspace.write([Change({"country": "FR"}, id=pid)], SourceKind.FORM).items[0]
    assert workspace.get(pid)["country"] == "Germany"  # stored as the CRM picklist label
    assert "blocked" in res.ignored["country"]
    workspace.write([Change({"country": "FR"}, id=pid)], SourceKind.UI)
    assert workspace.get(pid)["country"] == "France"


def test_blocked_source_may_fill_an_empty_field(workspace: Workspace):
    pid = workspace.write([Change({"email": "c@example.com"})], SourceKind.LIST_IMPORT).items[0].id
    workspace.write([Change({"country": "FR"}, id=pid)], SourceKind.FORM)
    assert workspace.get(pid)["country"] == "France"
