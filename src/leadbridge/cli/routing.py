"""`leadbridge route`: route people to territories, teams and owners; explain, simulate and lint the rules."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, err_console, print_json
from leadbridge.cli.people import WHERE_HELP

app = typer.Typer(help="Lead routing: territories, teams, rules, time zones.", no_args_is_help=True)


def _counts(title: str, counts: dict[str, int]) -> None:
    table = Table(title=title)
    table.add_column("")
    table.add_column("people", justify="right")
    for k, n in counts.items():
        table.add_row(k, f"{n:,}")
    console.print(table)


@contextmanager
def _progress(quiet: bool, what: str) -> Iterator:
    if quiet:
        yield None
        return
    columns = [TextColumn(f"[bold]{what}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@app.command("run")
def run_cmd(where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
            reassign: bool = typer.Option(False, "--reassign", help="Also re-route people who have an owner "
                                                                   "(default: they keep it; territory and time "
                                                                   "zone are updated)."),
            dry_run: bool = typer.Option(False, "--dry-run", help="Decide and report, change nothing."),
            workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Route people through the write path: territory, time zone and owner, each decision recorded with its
    explanation (see `route explain`)."""
    from leadbridge.routing.run import run
    with open_workspace(workspace) as ws, _progress(as_json, "route") as step:
        report = run(ws, where, dry_run=dry_run, reassign=reassign, progress=step)
    if as_json:
        print_json(report)
        return
    _counts("by territory", report["by_territory"])
    _counts("by owner", report["by_owner"])
    if report["by_rule"]:
        _counts("routed by rule", report["by_rule"])
    verb = "would route" if dry_run else "routed"
    kept = f"; {report['kept_owner']:,} kept their owner (--reassign re-routes them)" if report["kept_owner"] else ""
    console.print(f"{verb} {report['routed']:,} of {report['people']:,} people ({report['changed']:,} changed){kept}")


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
        console.print(f"{d['decided_at']:%Y-%m-%d %H:%M}  {d['explanation']}", highlight=False, markup=False)
    if not report["decisions"]:
        console.print("never routed")
    now = report["now"]
    console.print(f"now: {now['explanation']} (time zone {now['time_zone'] or 'unknown'})", highlight=False,
                  markup=False)


@app.command("simulate")
def simulate_cmd(since: str = typer.Option("90d", "--since", help="Replay people created in this window, e.g. 90d."),
                 workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Replay past people, with their values as they came in, through the current rules: distribution per
    territory, owner and rule. Changes nothing."""
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
    console.print(f"{report['owner_differs']:,} would now get a different owner than they have")


@app.command("lint")
def lint_cmd(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Check the rules on the stored people: never reached, matching nobody, overlapping; unknown teams and
    territories; users who are not users here, inactive or not connected to the CRM; teams with nobody available.
    Exits 1 when there are findings."""
    from leadbridge.routing.lint import lint
    with open_workspace(workspace) as ws:
        report = lint(ws)
    findings = report["findings"]
    if as_json:
        print_json(report)
    else:
        if report["rules"] and report["people"]:
            table = Table(title=f"rules on {report['people']:,} people")
            for col in ("rule", "matches", "wins", "taken by"):
                table.add_column(col, justify="right" if col in ("matches", "wins") else "left")
            for r in report["rules"]:
                taken = ", ".join(f"{k} ({n:,})" for k, n in r["taken_by"].items())
                table.add_row(r["rule"], f"{r['matched']:,}", f"{r['won']:,}", taken)
            console.print(table)
        for f in findings:
            console.print(f"[{f['kind']}] {f['message']}", highlight=False, markup=False)
        console.print(f"{len(findings)} finding(s)" if findings else "routing rules look fine")
    if findings:
        raise typer.Exit(1)
