"""The dashboard in a real browser (Debian's chromium via Playwright): what a sales-ops user sees and clicks."""

from __future__ import annotations

import shutil

import pytest

from leadbridge.model import Change, SourceKind
from leadbridge.sync.engine import connect, run_cycle

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'

pytestmark = pytest.mark.browser


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        pg = browser.new_page(viewport={"width": 1100, "height": 1000})
        pg.problems = []
        pg.on("pageerror", lambda e: pg.problems.append(str(e)))
        pg.on("dialog", lambda d: (pg.problems.append(f"dialog: {d.message}"), d.dismiss()))
        pg.on("request", lambda r: pg.problems.append(f"outside request {r.url}")
              if not r.url.startswith("http://127.0.0.1") else None)
        yield pg
        browser.close()


def test_dashboard_shows_errors_and_resyncs_them(synced_web, page):
    ws, crm, srv = synced_web
    ws.write([Change({"email": f"p{i}@example.com", "last_name": "Lee", "company": "Acme", "country": "DE"})
              for i in range(5)], SourceKind.LIST_IMPORT)
    bad = ws.write([Change({"email": "lt@example.com", "last_name": HOSTILE, "company": "C", "title": "x" * 200})],
                   SourceKind.FORM).items[0].id
    connector = connect(ws)
    run_cycle(ws, connector)

    page.goto(srv.url + "/?refresh=0")
    assert page.title() == "leadbridge · sync"
    assert page.locator("#status").inner_text() in ("normal", "increasing", "critical")
    assert page.locator("#open-errors").inner_text() == "1"
    assert page.locator("#throughput-hours rect").count() >= 1  # the cycle just run is charted
    box = page.locator("#throughput-hours").bounding_box()
    assert box and box["width"] > 500 and box["height"] > 100
    row = page.locator("#error-codes tr", has_text="STRING_TOO_LONG")
    assert row.count() == 1 and row.locator("td").nth(3).inner_text()  # with its suggested fix

    page.click("#error-codes a:text('STRING_TOO_LONG')")
    assert page.url.endswith("/errors?code=STRING_TOO_LONG")
    assert page.locator("#errors tr").count() == 2  # header + the one record
    page.click(f"#errors a:text('{bad}')")
    assert page.locator(".sync-error").inner_text().startswith("STRING_TOO_LONG")
    assert ws.get(bad)["last_name"] in page.locator("h1").inner_text()  # the markup shown as text, never run
    assert page.evaluate("window.pwned") is None

    ws.write([Change({"title": "CTO"}, id=bad)], SourceKind.UI)
    page.goto(srv.url + "/?refresh=0")
    page.click("#error-codes button.resync-code")
    assert page.locator("#flash").inner_text() == "queued 1 records for the next cycle"
    run_cycle(ws, connector)
    page.goto(srv.url + "/?refresh=0")
    assert page.locator("#open-errors").inner_text() == "0"
    assert "no open errors" in page.locator("#error-codes").inner_text()
    page.goto(srv.url + f"/people/{bad}")
    assert page.locator("#links tr").count() == 2 and page.locator("#sync-log tr").count() >= 3
    assert "CTO" in page.locator("#history").inner_text()
    assert page.problems == []


def test_people_filter_and_a_bad_filter(web, page):
    ws, client = web
    ws.write([Change({"email": f"p{i}@example.com", "last_name": f"L{i}", "lead_score": i})
              for i in range(120)], SourceKind.LIST_IMPORT)
    url = str(client.base_url)
    page.goto(url + "/people")
    assert page.locator("#count").inner_text().startswith("120 people")
    assert page.locator("#people tr").count() == 51  # header + a page of 50
    page.click("#next")
    assert "page 2 of 3" in page.locator("#count").inner_text()
    page.fill("#where", "lead_score >= 100")
    page.click("button:text('filter')")
    assert page.locator("#count").inner_text() == "20 people match"
    page.fill("#where", "lead_score >>= 1")
    page.click("button:text('filter')")
    assert page.locator("#problem").is_visible() and page.locator("#people tr").count() == 1
    page.goto(url + "/people/424242")
    assert "no person with id 424242" in page.locator("#problem").inner_text()
    assert page.problems == []
