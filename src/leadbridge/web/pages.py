"""The dashboard's HTML pages: sync status, errors, alerts, people and the audit, rendered server-side."""

from __future__ import annotations

from importlib import resources
from typing import Any, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FunctionLoader, select_autoescape

from leadbridge import __version__
from leadbridge.web import charts
from leadbridge.web.api import ws_of

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
LIST_COLUMNS = ["id", "email", "first_name", "last_name", "company", "country", "lead_status", "owner_id",
                "person_source", "updated_at"]
STATUS_COLOURS = {"normal": charts.GOOD, "increasing": charts.WARN, "critical": charts.BAD}


def _template(name: str) -> str:
    return resources.files("leadbridge.web").joinpath(f"templates/{name}").read_text("utf-8")


_env = Environment(loader=FunctionLoader(_template), autoescape=select_autoescape(["html"]))
_env.filters["num"] = lambda v: f"{v:,}" if isinstance(v, (int, float)) else ("" if v is None else v)
_env.globals.update(version=__version__, charts=charts, status_colours=STATUS_COLOURS)


def render(name: str, **context: Any) -> str:
    """Render a page template (every page extends base.html)."""
    return _env.get_template(name).render(**context)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, refresh: int = Query(30, ge=0, le=3600), queued: Optional[int] = None) -> str:
    """Sync status at a glance; reloads itself every `refresh` seconds (0: never)."""
    from leadbridge.sync.errors_report import errors_table, group_errors
    from leadbridge.sync.status import sync_status
    ws = ws_of(request)
    s = sync_status(ws)
    trend = [(label[5:], n) for label, n in zip(s["backlog_trend"]["days"], s["backlog_trend"]["values"])]
    t = s["throughput_per_hour"]
    hours = [(label[-5:], n) for label, n in zip(t["hour_labels"], t["hours"])]
    return render("dashboard.html", title="sync", s=s, trend=trend, hours=hours, refresh=refresh, queued=queued,
                  by_code=group_errors(errors_table(ws), "code"), people=ws.count("person"))


@router.get("/errors", response_class=HTMLResponse)
def errors(request: Request, code: Optional[str] = None, group_by: str = Query("code", pattern="^(code|field)$")) -> str:
    """Every open sync error, filterable by code, with the counts per code or field."""
    from leadbridge.sync.errors_report import errors_table, group_errors
    rows = errors_table(ws_of(request))
    shown = [r for r in rows if code is None or r["code"] == code]
    return render("errors.html", title="sync errors", rows=shown, code=code, group_by=group_by,
                  groups=group_errors(rows, group_by), total=len(rows))


@router.post("/sync/resync")
def resync(request: Request, failed: bool = Form(False), code: Optional[str] = Form(None),
           where: Optional[str] = Form(None)) -> RedirectResponse:
    """The dashboard's resync buttons; back to the dashboard with how many were queued."""
    from leadbridge.sync.resync import resync as queue_again
    n = queue_again(ws_of(request), failed=failed, code=code or None, where=where or None)
    return RedirectResponse("/?" + urlencode({"queued": n}), status_code=303)


@router.get("/people", response_class=HTMLResponse)
def people(request: Request, where: Optional[str] = None, page: int = Query(1, ge=1)) -> str:
    """People matching a --where filter, a page at a time; a bad filter is shown with its error."""
    from leadbridge.errors import LeadbridgeError
    ws = ws_of(request)
    where = where or None
    try:
        total = ws.count("person", where)
        rows = ws.list("person", where, columns=LIST_COLUMNS, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        problem = None
    except LeadbridgeError as exc:
        total, rows, problem = 0, [], exc
    pages = max(1, -(-total // PAGE_SIZE))
    return render("people.html", title="people", rows=rows, columns=LIST_COLUMNS, where=where or "", total=total,
                  page=page, pages=pages, problem=problem,
                  link=lambda p: "/people?" + urlencode({k: v for k, v in (("where", where), ("page", p)) if v}))


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person(request: Request, person_id: int) -> str:
    """One person: fields, CRM ids, field history and sync log."""
    from leadbridge.store import sync_state
    ws = ws_of(request)
    record = ws.get(person_id)
    errors = sync_state.open_errors(ws.db, person_id=person_id)
    return render("person.html", title=f"person {person_id}", record=record, links=ws.crm_links(person_id),
                  history=ws.history(person_id), log=sync_state.log_of(ws.db, "person", person_id), errors=errors)


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request) -> str:
    """The data audit as its own self-contained report page."""
    from leadbridge.audit.render import html
    from leadbridge.audit.report import run_audit
    return html(run_audit(ws_of(request)))


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, by: str = Query("person_source", pattern="^(person_source|lead_source)$")) -> str:
    """The closed-loop report (sources, campaigns, sync errors) as its own page."""
    from leadbridge.reports.build import all_reports
    from leadbridge.reports.render import html
    r = all_reports(ws_of(request), by)
    return html(r["sources"], r["campaigns"], r["sync_errors"])
