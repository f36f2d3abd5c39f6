"""The audit: the numbers a marketing-ops admin acts on, computed from the stored data, and the HTML report
in a real browser."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest

from leadbridge.audit import run_audit
from leadbridge.audit.render import html, text
from leadbridge.cli.main import main
from leadbridge.crm import describe_cache
from leadbridge.model import Change, SourceKind
from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.metadata import Schema
from leadbridge.workspace import Workspace

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def messy(workspace: Workspace) -> Workspace:
    now = datetime.now(timezone.utc)
    workspace.write([
        Change({"email": "a@acme.io", "first_name": "Ann", "last_name": "Lee", "company": "Acme", "country": "USA",
                "person_source": "Webinar", "last_activity_at": now - timedelta(days=75)}),
        Change({"email": "A@ACME.IO ", "first_name": "Ann", "last_name": "Lee", "company": "Acme", "country": "U.S."}),
        Change({"email": "info@acme.io", "last_name": "Info", "company": "Acme", "country": "Deutschland"}),
        Change({"email": "bad@@x", "last_name": "Bad", "country": "Europe"}),
        Change({"email": "t@mailinator.com", "last_name": "T" * 90, "company": "Temp", "lead_status": "Hot"}),
        Change({"email": "b@acme.io", "first_name": "ANN", "last_name": "Lee", "company": "Acme, Inc.",
                "country": "US", "state": "Calif."}),
        Change({"email": "c@beta.io", "last_name": "Active", "company": "Beta"}),
    ], SourceKind.LIST_IMPORT)
    active = workspace.list(where="email = 'c@beta.io'")[0]["id"]
    workspace.write([Change({"person_id": active, "type": "form_fill", "occurred_at": now - timedelta(days=2)})],
                    SourceKind.FORM, obj="activity")
    workspace.write([Change({"name": "ACME INC", "country": "USA", "state": "Calif."}),
                     Change({"name": "Beta GmbH", "country": "Atlantis"})], SourceKind.API, obj="company")
    workspace.config.standards.enabled = False  # written as it came: the audit must re-check it itself
    workspace.write([Change({"email": "raw@@y", "last_name": "Raw", "company": "Raw", "country": "usa",
                             "state": "Narnia"})], SourceKind.API)
    workspace.config.standards.enabled = True
    return workspace


def test_audit_numbers_come_from_the_data(messy: Workspace):
    r = run_audit(messy)
    assert r["people"] == 7 and r["companies"] == 2  # A@ACME.IO is the same person as a@acme.io
    # raw@@y was stored with standards off and has no flag: the audit re-validates it
    assert r["emails"] == {"invalid": 2, "disposable": 1, "role": 1, "test": 0, "typo": 0, "non_ascii": 0}
    assert r["without_person_source"] == 6
    # the activity record makes "Active" active; Ann's 75-day-old activity date counts
    assert r["inactive"] == {"30d": 1, "60d": 1, "90d": 0, "no_activity": 5, "with_activity_records": 1}
    spellings = {v["value"]: (v["normalizes_to"], v["code"]) for v in r["inconsistent_values"]["country"]}
    assert spellings == {"United States": ("United States", "US"), "Germany": ("Germany", "DE"),
                         "Europe": (None, None), "usa": ("United States", "US")}
    states = {(v["value"], v["country"]): v["normalizes_to"] for v in r["inconsistent_values"]["state"]}
    assert states == {("CA", "US"): "CA", ("Narnia", "US"): None}
    rules = {(f["object"], f["rule"]): f["count"] for f in r["rule_failures"]}
    assert rules[("person", "email valid")] == 2 and rules[("person", "country known")] == 1
    # stored as 'usa' (not a label): the US/CA condition still holds, on the ISO code
    assert rules[("person", "state valid for US/CA")] == 1
    assert rules[("company", "company: country known")] == 1
    dups = r["duplicates"]
    assert dups["same_email"]["extra_records"] == 0  # the two spellings of a@acme.io are one person
    assert dups["same_name_and_company"] == {"groups": 1, "extra_records": 1}  # Acme and "Acme, Inc." (ANN)
    assert dups["records_beyond_first"] == 1
    crm = r["would_fail_in_crm"]
    fails = {f["reason"]: (f["count"], f["pushed_now"]) for f in crm["reasons"]}
    assert fails["required field missing: Company"] == (1, 0)  # Bad: flagged, so not pushed today
    assert fails["last_name longer than 80 (LastName)"] == (1, 0)
    assert fails["email the CRM refuses (syntax or non-ASCII)"] == (2, 1)  # raw@@y passes the sync filter
    assert fails["country not recognized"] == (1, 0)
    # Bad fails three checks, T one, Raw one: three records, each counted once
    assert crm["records"] == 3 and crm["records_pushed"] == 1 and sum(c for c, _ in fails.values()) == 5
    assert "Salesforce defaults" in crm["checked_against"]
    by_object = r["completeness_by_object"]
    assert {c["field"]: c["filled"] for c in by_object["company"]}["state"] == 1
    assert {"activity", "campaign", "opportunity", "user"} <= set(by_object)
    assert 0 < r["health_score"] < 100 and "0.4 × completeness" in r["health_formula"]


def test_crm_checks_use_the_cached_describe(messy: Workspace):
    schema = Schema(SandboxConfig())
    describe_cache.save(messy.root, "Lead", schema.describe("Lead", "59.0"))
    messy.config.standards.enabled = False
    messy.write([Change({"email": "d@delta.io", "last_name": "D", "company": "Delta", "country": "United States",
                         "state": "Calif.", "lead_status": "Open - Not Contacted"}),
                 Change({"email": "e@delta.io", "last_name": "E", "company": "Delta", "country": "Deutschland",
                         "lead_status": "open - not contacted"})], SourceKind.API)
    messy.config.standards.enabled = True
    crm = run_audit(messy)["would_fail_in_crm"]
    fails = {f["reason"]: f["count"] for f in crm["reasons"]}
    assert "the CRM's describe of Lead" in crm["checked_against"]
    # 'Hot' and the wrongly cased status are not values of the restricted Status picklist
    assert fails["lead_status not in the CRM's restricted picklist Status"] == 2
    # 'usa', 'Deutschland' and 'Europe' are no CountryCode value or label
    assert fails["country not in the CRM's country picklist"] == 3
    assert fails["state not in the CRM's state picklist for its country"] == 2  # Calif. and Narnia


def test_audit_cli_formats(messy: Workspace, tmp_path, capsys):
    w = str(messy.root)
    assert main(["audit", "-w", w, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["people"] == 7
    assert main(["audit", "-w", w]) == 0
    out = capsys.readouterr().out
    assert "data health" in out and "'usa' → United States" in out and "would fail in the CRM: 3 records" in out
    assert main(["audit", "-w", w, "--format", "html", "-o", str(tmp_path / "a.html")]) == 0
    assert (tmp_path / "a.html").read_text().startswith("<!doctype html>")
    assert main(["audit", "-w", w, "--format", "pdf"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_audit_of_an_empty_workspace(workspace: Workspace):
    r = run_audit(workspace)
    assert r["people"] == 0 and r["would_fail_in_crm"]["records"] == 0 and r["health_score"] == 100.0
    assert "people: 0" in text(r) and "<svg" in html(r)


@pytest.mark.browser
def test_html_report_renders_with_charts_in_chromium(messy: Workspace, tmp_path):
    from playwright.sync_api import sync_playwright
    page_file = tmp_path / "audit.html"
    page_file.write_text(html(run_audit(messy)), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1100, "height": 1200})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda req: errors.append(f"network: {req.url}") if not req.url.startswith("file:") else None)
        page.goto(page_file.as_uri())
        shot = page.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
        assert page.title() == "leadbridge data audit"
        assert page.locator("#completeness rect").count() >= 10
        assert page.locator("#completeness-company rect").count() >= 5  # every object, not only people
        assert page.locator("#countries rect").count() == 4
        assert page.locator("#spellings-state rect").count() == 2
        assert page.locator("#inactive rect").count() == 4
        assert page.locator("#emails rect").count() == 6
        assert page.locator("#crm tr").count() == 5  # header + 4 reasons
        for chart in ("#completeness", "#countries", "#emails"):
            box = page.locator(chart).bounding_box()
            assert box and box["width"] > 500 and box["height"] > 60, chart  # laid out, not collapsed
        widths = page.eval_on_selector_all("#countries rect", "rs => rs.map(r => r.getBBox().width)")
        assert max(widths) > 400 and min(widths) > 0  # bars scaled to their counts
        assert float(page.locator("#health").inner_text()) > 0
        assert "usa → United States" in page.locator("#countries").text_content()
        browser.close()
    assert not errors, errors  # self-contained: no scripts failing, nothing fetched
    assert len(shot) > 30_000  # a page with charts, not a blank one
