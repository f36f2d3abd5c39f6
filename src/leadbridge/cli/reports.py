"""`leadbridge report`: person/lead source with conversion and revenue, campaign influence and ROI."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json

app = typer.Typer(help="Closed-loop reports: sources and campaigns with the revenue they brought.",
                  no_args_is_help=True)
ByOpt = typer.Option("person_source", "--by", help="person_source or lead_source.")


@app.command("sources")
def sources(by: str = ByOpt, workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """People per source: new, in the CRM, converted, won and open opportunity amounts (first touch)."""
    from leadbridge.reports.render import sources_text
    from leadbridge.reports.revenue import source_report
    with open_workspace(workspace) as ws:
        report = source_report(ws, by)
    print_json(report) if as_json else console.print(sources_text(report), highlight=False, markup=False)


@app.command("campaigns")
def campaigns(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Per campaign: members, responses, cost, primary and influenced revenue, ROI."""
    from leadbridge.reports.render import campaigns_text
    from leadbridge.reports.revenue import campaign_report
    with open_workspace(workspace) as ws:
        report = campaign_report(ws)
    print_json(report) if as_json else console.print(campaigns_text(report), highlight=False, markup=False)


@app.command("html")
def html_report(output: Path = typer.Option(..., "-o", "--output", help="Write the HTML report here."),
                by: str = ByOpt, workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Sources, campaigns and the sync error log as one HTML file with charts (opens offline)."""
    from leadbridge.reports.build import all_reports
    from leadbridge.reports.render import html
    with open_workspace(workspace) as ws:
        r = all_reports(ws, by)
    output.write_text(html(r["sources"], r["campaigns"], r["sync_errors"]), encoding="utf-8")
    console.print(f"wrote {output}")
