"""Who wins a merge and which value each field keeps: every winner criterion and survivorship rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from leadbridge.config import load_config
from leadbridge.dedupe.config import DedupeConfig
from leadbridge.dedupe.survivorship import Candidate, choose_winner, survive

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def person(i: int, days_old: int, updated_days_ago: int, crm: set[str] = frozenset(), times=None, sources=None,
           **fields) -> Candidate:
    row = {"id": i, "created_at": T0 - timedelta(days=days_old), "updated_at": T0 - timedelta(days=updated_days_ago),
           **fields}
    return Candidate(row, frozenset(crm), times, sources)


def at(days_ago: int) -> datetime:
    return T0 - timedelta(days=days_ago)


OLD = person(1, 900, 300, title="CTO", city="Austin")
NEW = person(2, 10, 1, title="CTO", city="Austin", phone="+14155550101", company="Acme")
LEAD = person(3, 50, 40, {"Lead"}, title="CTO")
CONTACT = person(4, 20, 20, {"Contact"})


@pytest.mark.parametrize("order,cands,winner,why", [
    (["crm_contact", "crm_lead", "oldest"], [OLD, NEW, LEAD, CONTACT], 4, "is a CRM Contact"),
    (["crm_contact", "crm_lead", "oldest"], [OLD, NEW, LEAD], 3, "is a CRM Lead"),
    (["crm_contact", "crm_lead", "oldest"], [OLD, NEW], 1, "oldest record"),
    (["crm_contact", "crm_lead", "most_recent"], [OLD, NEW], 2, "most recently updated"),
    (["most_complete"], [OLD, NEW], 2, "most complete"),
    (["oldest"], [person(7, 5, 5), person(6, 5, 5)], 6, "lowest id"),        # a tie: the lowest id
])
def test_winner_selection(order, cands, winner, why):
    chosen, reason = choose_winner(cands, order)
    assert (chosen.id, reason) == (winner, why)


def cfg(**rules) -> DedupeConfig:
    return DedupeConfig(survivorship=rules, source_priority=["crm", "form", "list_import"])


WIN = person(1, 100, 5, title="Engineer", phone=None, comments="likes demos",
             times={"title": at(50), "city": at(50)}, sources={"title": "list_import", "city": "form"},
             city="Boston")
LOSE = person(2, 10, 1, title="Chief Technology Officer", phone="+14155550101", comments="asked for pricing",
              times={"title": at(2), "city": at(80)}, sources={"title": "crm", "city": "list_import"},
              city="Austin")


@pytest.mark.parametrize("field,rule,value", [
    ("title", "winner", None),                          # the winner's value stays: nothing to change
    ("title", "most_recent", "Chief Technology Officer"),
    ("city", "most_recent", None),                      # the winner's city is the more recent one
    ("city", "oldest", "Austin"),
    ("title", "oldest", None),
    ("title", "most_complete", "Chief Technology Officer"),
    ("title", "source_priority", "Chief Technology Officer"),  # crm before list_import
    ("city", "source_priority", None),                  # form before list_import: the winner's
    ("comments", "append", "likes demos\nasked for pricing"),
])
def test_each_survivorship_rule(field, rule, value):
    out = survive(WIN, [LOSE], ["title", "city", "comments"], cfg(**{field: rule}))
    assert out.get(field, (None, None))[0] == value
    if value is not None:
        assert out[field][1] == rule


def test_a_blank_never_overwrites_a_value():
    out = survive(WIN, [LOSE], ["phone"], cfg(phone="winner"))     # the winner has no phone
    assert out["phone"] == ("+14155550101", "most recent non-blank")
    blank_loser = person(2, 10, 1, title="  ", times={"title": at(1)})
    assert "title" not in survive(WIN, [blank_loser], ["title"], cfg(title="most_recent"))


def test_survivorship_is_configured_in_leadbridge_yaml(tmp_path: Path):
    (tmp_path / "leadbridge.yaml").write_text(
        "dedupe:\n"
        "  winner: [crm_contact, most_complete]\n"
        "  survivorship_default: most_recent\n"
        "  survivorship: {title: source_priority, comments: append}\n"
        "  source_priority: [crm, ui]\n", encoding="utf-8")
    d = load_config(tmp_path / "leadbridge.yaml").dedupe
    assert d.winner == ["crm_contact", "most_complete"] and d.survivorship_default == "most_recent"
    assert d.survivorship == {"title": "source_priority", "comments": "append"} and d.source_priority == ["crm", "ui"]
    (tmp_path / "leadbridge.yaml").write_text("dedupe:\n  survivorship: {title: loudest}\n", encoding="utf-8")
    with pytest.raises(Exception, match="loudest|survivorship"):
        load_config(tmp_path / "leadbridge.yaml")
