"""Bulk API 2.0 above the threshold (the switch logged), against the sandbox; its row errors parsed."""

from __future__ import annotations

import logging

import pytest

from leadbridge.crm.salesforce.bulk import parse_error
from leadbridge.model import Change, SourceKind
from leadbridge.store import sync_state
from leadbridge.sync.engine import connect, run_cycle


@pytest.mark.parametrize("text, want", [
    ("STRING_TOO_LONG:Title: data value too large: xxx (max length=128):Title --",
     ("STRING_TOO_LONG", "Title: data value too large: xxx (max length=128)", ("Title",))),
    ("REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --",
     ("REQUIRED_FIELD_MISSING", "Required fields are missing: [Company]", ("Company",))),
    ("FIELD_INTEGRITY_EXCEPTION:bad value:Country;CountryCode --",
     ("FIELD_INTEGRITY_EXCEPTION", "bad value", ("Country", "CountryCode"))),
    ("DUPLICATES_DETECTED:Use one of these records?: --", ("DUPLICATES_DETECTED", "Use one of these records?", ())),
    ("INVALID_EMAIL_ADDRESS:Email: invalid email address: x", ("INVALID_EMAIL_ADDRESS", "Email: invalid email address: x", ())),
    ("", ("UNKNOWN", "no error given", ())),
])
def test_bulk_row_errors_are_parsed_without_the_trailing_dashes(text, want):
    err = parse_error(text)
    assert (err.code, err.message, err.fields) == want


def test_push_above_the_threshold_goes_through_bulk_and_keeps_row_errors(connected, caplog):
    ws, srv, _ = connected
    ws.config.sync.bulk_threshold = 10
    ids = ws.write([Change({"email": f"b{i}@example.com", "last_name": f"B{i}", "company": "Acme",
                            **({"title": "x" * 200} if i == 3 else {})}) for i in range(12)],
                   SourceKind.LIST_IMPORT).ids
    crm = connect(ws)
    with caplog.at_level(logging.INFO):
        res = run_cycle(ws, crm, do_pull=False)
    assert (res.pushed, res.failed) == (11, 1)
    assert any("Bulk API 2.0" in r.getMessage() for r in caplog.records)
    assert len(srv.org.store.table("Lead")) == 11
    [err] = sync_state.open_errors(ws.db)
    assert (err["record_id"], err["code"], err["fields"]) == (ids[3], "STRING_TOO_LONG", ["Title"])
    assert not err["message"].endswith("--") and "Title" in err["fix"]


def test_bulk_polls_back_off_but_not_past_the_jobs_expected_end():
    """Few API calls on a long job (0.5 s, 1 s, 2 s … 10 s apart), yet a job is seen done soon after it is."""
    from leadbridge.crm.salesforce.bulk import next_poll
    pause, pauses = 0.0, []
    for _ in range(7):  # no rows processed yet: plain back-off
        pause = next_poll(pause, 0.0, 100_000)
        pauses.append(pause)
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert next_poll(8.0, 10_000.0, 20_000) == 1.5  # 2 s of rows left at 10k rows/s: look again at 3/4 of it
    assert next_poll(1.0, 10_000.0, 1_000_000) == 2.0  # far from done: the back-off still holds
    assert next_poll(4.0, 10_000.0, 100) == 0.5  # never more often than every 0.5 s


def test_a_backlog_above_the_threshold_goes_out_as_one_bulk_job_not_one_per_claim(connected, caplog):
    ws, srv, _ = connected
    cfg = ws.config.sync
    cfg.bulk_threshold, cfg.claim_size, cfg.bulk_claim_size = 10, 10, 35
    ws.write([Change({"email": f"q{i}@example.com", "last_name": f"Q{i}", "company": "Acme"}) for i in range(40)],
             SourceKind.LIST_IMPORT)
    crm = connect(ws)
    with caplog.at_level(logging.INFO):
        first = run_cycle(ws, crm, do_pull=False)
    assert first.pushed == 35  # one claim of 10, topped up to 35, in one Bulk job
    assert sum("Bulk API 2.0" in r.getMessage() for r in caplog.records) == 1
    second = run_cycle(ws, crm, do_pull=False)
    assert second.pushed == 5 and len(srv.org.store.table("Lead")) == 40  # 5 left: below the threshold, no top-up
