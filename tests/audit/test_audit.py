"""The audit: the numbers a marketing-ops admin acts on, and the HTML report in a real browser."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone

import pytest

from leadbridge.audit import run_audit
from leadbridge.audit.render import html
from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def messy(workspace: Workspace) -> Workspace:
    old = datetime.now(timezone.utc) - timedelta(days=75)
    workspace.write([
        Change({"email": "a@acme.io", "first_name": "Ann", "last_name": "Lee", "company": "Acme", "country": "USA",
                "person_source": "Webinar", "last_activity_at": old}),
        Change({"email": "A@ACME.IO ", "first_name": "Ann", "last_name": "Lee", "company": "Acme", "country": "U.S."}),
        Change({"email": "info@acme.io", "last_name": "Info", "company": "Acme", "country": "Deutschland"}),
        Change({"email": "bad@@x", "last_name": "Bad", "country": "Europe"}),
        Change({"email": "t@mailinator.com", "last_name": "T" * 90, "company": "Temp", "lead_status": "Hot"}),
    ], SourceKind.LIST_IMPORT)
    return workspace


def test_audit_numbers(messy: Workspace):
    r = run_audit(messy)
    assert r["people"] == 4  # A@ACME.IO is the same person as a@acme.io
    assert r["emails"] == {"invalid": 1, "disposable": 1, "role": 1, "test": 0}
    assert r["without_person_source"] == 3
    assert r["inactive"]["60d"] == 1 and r["inactive"]["90d"] == 0 and r["inactive"]["no_activity"] == 3
    spellings = {v["value"]: v["normalizes_to"] for v in r["inconsistent_values"]["country"]}
    assert spellings == {"United States": "US", "Germany": "DE", "Europe": None}
    fails = {f["code"]: f["count"] for f in r["would_fail_in_crm"]["reasons"]}
    assert fails["REQUIRED_FIELD_MISSING"] == 1 and fails["STRING_TOO_LONG"] == 1
    assert fails["FIELD_INTEGRITY_EXCEPTION"] == 1 and fails["INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"] == 1
    rules = {f["rule"]: f["count"] for f in r["rule_failures"]}
    assert rules["email valid"] == 1 and rules["country known"] == 1
    assert 0 < r["health_score"] < 100 and "0.4 × completeness" in r["health_formula"]


def test_audit_cli_formats(messy: Workspace, tmp_path, capsys):
    w = str(messy.root)
    assert main(["audit", "-w", w, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["people"] == 4
    assert main(["audit", "-w", w]) == 0
    assert "data health" in capsys.readouterr().out
    assert main(["audit", "-w", w, "--format", "html", "-o", str(tmp_path / "a.html")]) == 0
    assert (tmp_path / "a.html").read_text().startswith("<!doctype html>")
    assert main(["audit", "-w", w, "--format", "pdf"]) == 1


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
        assert page.locator("#countries rect").count() == 3
        assert page.locator("#inactive rect").count() == 4
        box = page.locator("#completeness").bounding_box()
        assert box and box["width"] > 500 and box["height"] > 100  # the chart is laid out, not collapsed
        assert float(page.locator("#health").inner_text()) > 0
        browser.close()
    assert not errors, errors  # self-contained: no scripts failing, nothing fetched
    assert len(shot) > 30_000  # a page with charts, not a blank one
