"""Everything `leadbridge report` and the dashboard's /reports page show, in one structure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadbridge.reports.revenue import campaign_report, source_report

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace


def all_reports(ws: "Workspace", by: str = "person_source") -> dict[str, Any]:
    """Sources (by person or lead source), campaigns, and the open sync errors per code."""
    from leadbridge.sync.errors_report import errors_table, group_errors
    return {"sources": source_report(ws, by), "campaigns": campaign_report(ws),
            "sync_errors": group_errors(errors_table(ws), "code")}
