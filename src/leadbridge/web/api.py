"""The REST API: JSON over the Workspace services (the same data `--json` prints on the CLI)."""

from __future__ import annotations

import csv
import io
from typing import Any, Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from leadbridge import __version__
from leadbridge.workspace import Workspace

router = APIRouter(prefix="/api", tags=["api"])
PAGE_MAX = 500


def ws_of(request: Request) -> Workspace:
    return request.app.state.ws


class ResyncRequest(BaseModel):
    """Which records to queue again (the same choices as `leadbridge sync resync`)."""
    failed: bool = False
    code: Optional[str] = None
    where: Optional[str] = None


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    ws = ws_of(request)
    return {"ok": True, "version": __version__, "workspace": str(ws.root), "people": ws.count("person")}


@router.get("/sync/status")
def sync_status(request: Request) -> dict[str, Any]:
    """Backlog and trend, throughput, last cycle, API use and the named status."""
    from leadbridge.sync.status import sync_status as status
    return status(ws_of(request))


@router.get("/sync/errors")
def sync_errors(request: Request, group_by: Optional[str] = Query(None, description="code or field"),
                code: Optional[str] = None) -> Any:
    """Records the CRM refused, with code, message, field and a suggested fix; or counts per code/field."""
    from leadbridge.sync.errors_report import errors_table, group_errors
    rows = [r for r in errors_table(ws_of(request)) if code is None or r["code"] == code]
    return group_errors(rows, group_by) if group_by else rows


@router.get("/sync/errors.csv")
def sync_errors_csv(request: Request) -> Response:
    """The open errors as a CSV download (cells escaped against formula injection)."""
    from leadbridge.sync.errors_report import errors_csv, errors_table
    buf = io.StringIO()
    errors_csv(errors_table(ws_of(request)), csv.writer(buf))
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="sync-errors.csv"'})


@router.post("/sync/resync")
def sync_resync(request: Request, body: ResyncRequest) -> dict[str, int]:
    """Queue records again: failed ones (optionally by code) or any matching a filter."""
    from leadbridge.sync.resync import resync
    return {"queued": resync(ws_of(request), failed=body.failed, code=body.code, where=body.where)}


@router.get("/sync/alerts")
def sync_alerts(request: Request, limit: int = Query(50, ge=1, le=PAGE_MAX)) -> list[dict[str, Any]]:
    """The latest alerts (configuration errors, critical backlog, error-rate spikes), newest first."""
    from leadbridge.store import sync_state
    return sync_state.alerts(ws_of(request).db, limit)


@router.get("/people")
def people(request: Request, where: Optional[str] = Query(None, description="a --where filter"),
           limit: int = Query(50, ge=1, le=PAGE_MAX), offset: int = Query(0, ge=0)) -> dict[str, Any]:
    """One page of people matching a filter, and how many match in all."""
    ws = ws_of(request)
    total = ws.count("person", where)
    return {"total": total, "offset": offset, "limit": limit,
            "rows": ws.list("person", where, limit=limit, offset=offset)}


@router.get("/people/{person_id}")
def person(request: Request, person_id: int) -> dict[str, Any]:
    """One person's fields and CRM ids."""
    ws = ws_of(request)
    return {"record": ws.get(person_id), "crm_links": ws.crm_links(person_id)}


@router.get("/people/{person_id}/history")
def person_history(request: Request, person_id: int) -> list[dict[str, Any]]:
    """Every field change of a person: who, which source, old and new value, when."""
    return ws_of(request).history(person_id)


@router.get("/people/{person_id}/sync-log")
def person_sync_log(request: Request, person_id: int) -> list[dict[str, Any]]:
    """Every push and pull of a person with payloads and results."""
    from leadbridge.store import sync_state
    ws = ws_of(request)
    ws.get(person_id)
    return sync_state.log_of(ws.db, "person", person_id)


@router.get("/audit")
def audit(request: Request) -> dict[str, Any]:
    """The data audit, computed from the stored data now."""
    from leadbridge.audit.report import run_audit
    return run_audit(ws_of(request))


@router.get("/reports")
def reports(request: Request, by: str = Query("person_source", description="person_source or lead_source")
            ) -> dict[str, Any]:
    """Sources with conversion and first-touch revenue, campaign influence and ROI, sync errors per code."""
    from leadbridge.reports.build import all_reports
    return all_reports(ws_of(request), by)
