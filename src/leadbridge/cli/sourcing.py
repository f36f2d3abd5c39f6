"""`leadbridge source`: derive and backfill person source."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json

app = typer.Typer(help="Person source: derivation rules and backfill.", no_args_is_help=True)


@app.command("backfill")
def backfill_cmd(dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be filled, change nothing."),
                 from_file: Optional[Path] = typer.Option(None, "--from", help="CSV of manual overrides: id or email, "
                                                          "person_source."),
                 workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Fill missing person source (rules, then GA4 channel of UTM/referrer; --from for the rest)."""
    from leadbridge.sourcing.backfill import backfill
    with open_workspace(workspace) as ws:
        report = backfill(ws, dry_run=dry_run, overrides=from_file)
    if as_json:
        print_json(report)
        return
    table = Table(title="person source by value")
    for col in ("value", "people", "why (example)"):
        table.add_column(col)
    for row in report["by_value"]:
        table.add_row(row["value"], f"{row['people']:,}", row["example_reason"])
    console.print(table)
    verb = "would fill" if dry_run else "filled"
    console.print(f"{verb} {report['filled']:,}; still without a source: {report['still_without_source']:,}"
                  + (" (give them one with --from FILE.csv)" if report["still_without_source"] else ""))
