"""`leadbridge source`: derive and backfill person source."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, err_console, print_json
from leadbridge.cli.people import WHERE_HELP

app = typer.Typer(help="Person source: derivation rules and backfill.", no_args_is_help=True)


@app.command("backfill")
def backfill_cmd(dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be filled, change nothing."),
                 from_file: Optional[Path] = typer.Option(None, "--from", help="CSV of manual overrides: id or email, "
                                                          "person_source."),
                 where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
                 workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Fill missing person source through the write path: the person_source rules, then the GA4 channel of the
    first visit (UTM, source fields, referrer); --from gives values for what no rule can derive."""
    from leadbridge.sourcing.backfill import backfill
    with open_workspace(workspace) as ws:
        if as_json:
            report = backfill(ws, dry_run=dry_run, overrides=from_file, where=where)
        else:
            columns = [TextColumn("[bold]backfill"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
            with Progress(*columns, console=err_console, transient=True) as bar:
                task = bar.add_task("backfill", total=None)
                report = backfill(ws, dry_run=dry_run, overrides=from_file, where=where,
                                  progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        print_json(report)
        return
    table = Table(title="person source by value")
    for col in ("value", "people", "why (example)"):
        table.add_column(col)
    for row in report["by_value"]:
        table.add_row(row["value"], f"{row['people']:,}", row["example_reason"])
    console.print(table)
    for o in report["overrides_not_applied"][:20]:
        console.print(f"[yellow]override not applied[/]: {o['key']}: {o['reason']}", highlight=False)
    if len(report["overrides_not_applied"]) > 20:
        console.print(f"... and {len(report['overrides_not_applied']) - 20:,} more (see --json)")
    verb = "would fill" if dry_run else "filled"
    console.print(f"{verb} {report['filled']:,}; still without a source: {report['still_without_source']:,}"
                  + (" (give them one with --from FILE.csv)" if report["still_without_source"] else ""))
