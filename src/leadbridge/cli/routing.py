"""`leadbridge route`: route people to territories, teams and owners; explain, simulate and lint the rules."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json
from leadbridge.cli.people import WHERE_HELP

app = typer.Typer(help="Lead routing: territories, teams, rules, time zones.", no_args_is_help=True)


def _counts(title: str, counts: dict[str, int]) -> None:
    table = Table(title=title)
    table.add_column("")
    table.add_column("people", justify="right")
    for k, n in counts.items():
        table.add_row(k, f"{n:,}")
    console.print(table)


@app.command("run")
def run_cmd(where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
            dry_run: bool = typer.Option(False, "--dry-run", help="Decide and report, change nothing."),
            workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Route people: territory, time zone and owner, each decision recorded with its explanation."""
    from leadbridge.routing.run import run
    with open_workspace(workspace) as ws:
        report = run(ws, where, dry_run=dry_run)
    if as_json:
        print_json(report)
        return
    _counts("by territory", report["by_territory"])
    _counts("by owner or queue", report["by_owner"])
    verb = "would route" if dry_run else "routed"
    console.print(f"{verb} {report['people']:,} people ({report['changed']:,} changed)")


@app.command("explain")
def explain_cmd(person_id: int = typer.Argument(..., help="Internal person id."),
                workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Why a person was routed where they were (every recorded decision), and what routing says now."""
    from leadbridge.routing.run import explain
    with open_workspace(workspace) as ws:
        report = explain(ws, person_id)
    if as_json:
        print_json(report)
        return
    for d in report["decisions"]:
        console.print(f"{d['decided_at']:%Y-%m-%d %H:%M}  {d['explanation']}", highlight=False)
    if not report["decisions"]:
        console.print("never routed")
    now = report["now"]
    console.print(f"now: {now['explanation']} (time zone {now['time_zone'] or 'unknown'})", highlight=False)


@app.command("simulate")
def simulate_cmd(since: str = typer.Option("90d", "--since", help="Replay people created in this window, e.g. 90d."),
                 workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Replay past people through the current rules: distribution per territory, owner and rule."""
    from leadbridge.routing.run import simulate
    window = since if since.startswith("-") else f"-{since}"
    with open_workspace(workspace) as ws:
        report = simulate(ws, window)
    if as_json:
        print_json(report)
        return
    console.print(f"{report['people']:,} people created since {since}")
    _counts("by territory", report["by_territory"])
    _counts("by owner or queue", report["by_owner"])
    _counts("by rule", report["by_rule"])


@app.command("lint")
def lint_cmd(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Check the rules: never reached, overlapping, unknown teams, users not connected to the CRM, empty teams."""
    from leadbridge.routing.run import lint
    with open_workspace(workspace) as ws:
        findings = lint(ws)
    if as_json:
        print_json(findings)
    else:
        for f in findings:
            console.print(f"[{f['kind']}] {f['message']}", highlight=False, markup=False)
        console.print(f"{len(findings)} finding(s)" if findings else "routing rules look fine")
    if findings:
        raise typer.Exit(1)
