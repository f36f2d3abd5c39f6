"""Closed-loop reports computed from stored people, campaigns, members and opportunities."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.reports.render import html
from leadbridge.reports.revenue import campaign_report, source_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def book(workspace):
    """Three companies, five people, two campaigns, four opportunities (what a CRM pull leaves)."""
    ws = workspace
    acme, beta, gamma = ws.write([Change({"name": n}) for n in ("Acme", "Beta", "Gamma")], SourceKind.CRM,
                                 "company").ids
    p = {}
    for key, values, link in [
        ("ann", {"email": "ann@acme.com", "last_name": "A", "company_id": acme, "person_source": "Paid Search"}, None),
        ("bob", {"email": "bob@acme.com", "last_name": "B", "company_id": acme, "person_source": "Webinar"},
         ("Contact", "003000000000001")),
        ("cat", {"email": "cat@beta.com", "last_name": "C", "company_id": beta, "person_source": "Webinar"},
         ("Lead", "00Q000000000001")),
        ("dan", {"email": "dan@gamma.com", "last_name": "D", "company_id": gamma}, None),
        ("eve", {"email": "eve@example.com", "last_name": "E", "person_source": "Paid Search"}, None),
    ]:
        change = Change(values, crm_object=link[0], crm_id=link[1]) if link else Change(values)
        p[key] = ws.write([change], SourceKind.CRM if link else SourceKind.FORM).ids[0]
    webinar, ads = ws.write([Change({"name": "Webinar Q3", "type": "Webinar", "actual_cost": 1000}),
                             Change({"name": "Search Ads", "type": "Paid", "budgeted_cost": 4000})],
                            SourceKind.UI, "campaign").ids
    ws.write([Change({"campaign_id": webinar, "person_id": p["bob"], "status": "Attended", "responded": True,
                      "first_responded_at": "2026-03-01T10:00:00Z"}),
              Change({"campaign_id": webinar, "person_id": p["cat"], "status": "Attended", "responded": True,
                      "first_responded_at": "2026-08-01T10:00:00Z"}),
              Change({"campaign_id": webinar, "person_id": p["dan"], "status": "Registered", "responded": False}),
              Change({"campaign_id": ads, "person_id": p["ann"], "status": "Clicked", "responded": True,
                      "first_responded_at": "2026-02-01T10:00:00Z"})], SourceKind.UI, "campaign_member")
    ws.write([Change({"name": "Acme deal", "company_id": acme, "amount": 10000, "is_won": True, "is_closed": True,
                      "close_date": "2026-06-30", "campaign_id": ads}),
              Change({"name": "Beta deal", "company_id": beta, "amount": 3000, "is_won": True, "is_closed": True,
                      "close_date": "2026-06-30"}),  # closed before Cat responded: not influenced
              Change({"name": "Beta upsell", "company_id": beta, "amount": 2000, "is_won": False, "is_closed": False}),
              Change({"name": "Gamma deal", "company_id": gamma, "amount": 500, "is_won": True, "is_closed": True,
                      "close_date": "2026-05-01"})], SourceKind.CRM, "opportunity")
    return ws, p


def test_source_report_counts_conversion_and_first_touch_revenue(book):
    ws, p = book
    r = {row["value"]: row for row in source_report(ws)["rows"]}
    assert {v: row["people"] for v, row in r.items()} == {"Paid Search": 2, "Webinar": 2, "Direct": 1}  # Dan: derived on entry
    assert (r["Webinar"]["in_crm"], r["Webinar"]["converted"], r["Webinar"]["conversion_rate"]) == (2, 1, 0.5)
    # Acme's first person is Ann (Paid Search): its 10,000 go there, not to Bob's Webinar
    assert r["Paid Search"]["won_amount"] == 10000 and r["Paid Search"]["won"] == 1
    assert r["Webinar"]["won_amount"] == 3000 and r["Webinar"]["pipeline_amount"] == 2000  # Beta, via Cat
    assert r["Direct"]["won_amount"] == 500
    assert all(row["new_30d"] == row["people"] for row in r.values())
    with pytest.raises(Exception, match="shoe_size"):
        source_report(ws, "shoe_size")


def test_campaign_report_primary_influence_and_roi(book):
    ws, _ = book
    c = {x["name"]: x for x in campaign_report(ws)["campaigns"]}
    web, ads = c["Webinar Q3"], c["Search Ads"]
    assert (web["members"], web["responded"], web["cost"], web["cost_per_response"]) == (3, 2, 1000, 500)
    # Bob (Acme) responded before the Acme deal closed; Ann's ads click too: 10,000 split over both campaigns.
    # Cat responded after the Beta deal closed (not influenced) but the open upsell counts as pipeline.
    # Dan only registered (the webinar tracks responses): Gamma's deal is not influenced.
    assert (web["influenced"], web["influenced_won_amount"], web["influenced_pipeline"]) == (2, 5000, 2000)
    assert web["roi"] == 4.0
    assert (ads["primary"], ads["primary_won_amount"], ads["influenced_won_amount"]) == (1, 10000, 5000)
    assert ads["cost"] == 4000 and ads["roi"] == 0.25  # budgeted cost when no actual cost


def test_report_cli_json_and_html(book, tmp_path, capsys):
    ws, _ = book
    assert main(["report", "campaigns", "--json", "-w", str(ws.root)]) == 0
    names = [x["name"] for x in json.loads(capsys.readouterr().out)["campaigns"]]
    assert names == ["Search Ads", "Webinar Q3"]
    assert main(["report", "sources", "--by", "lead_source", "-w", str(ws.root)]) == 0
    assert "(no source)" in capsys.readouterr().out
    out = tmp_path / "report.html"
    assert main(["report", "html", "-o", str(out), "-w", str(ws.root)]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")


def test_empty_workspace_reports(workspace):
    s, c = source_report(workspace), campaign_report(workspace)
    assert s["rows"] == [] and s["people"] == 0 and c["campaigns"] == [] and c["won_amount"] == 0
    assert "<svg" in html(s, c)


@pytest.mark.browser
def test_html_report_charts_render_in_chromium(book, tmp_path):
    from playwright.sync_api import sync_playwright
    ws, _ = book
    page_file = tmp_path / "report.html"
    page_file.write_text(html(source_report(ws), campaign_report(ws)), encoding="utf-8")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        outside: list[str] = []
        page.on("request", lambda req: outside.append(req.url) if not req.url.startswith("file:") else None)
        page.goto(page_file.as_uri())
        assert page.title() == "leadbridge reports"
        assert page.locator("#source-people rect").count() == 6  # people and converted bars, 3 sources
        assert page.locator("#campaign-roi rect.won").count() == 2
        widths = page.eval_on_selector_all("#campaign-roi rect.cost", "rs => rs.map(r => r.getBBox().width)")
        assert widths[0] == pytest.approx(4 * widths[1], rel=0.01)  # 4,000 vs 1,000, to scale
        assert "ROI 400%" in page.locator("#campaign-roi").text_content()
        assert page.locator("#sources tr").count() == 4 and outside == []
        browser.close()
