"""`leadbridge standards`: check how values normalize, and apply the standards to stored people."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from leadbridge.cli.context import DryRunOpt, JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json, print_table
from leadbridge.cli.people import WHERE_HELP
from leadbridge.errors import LeadbridgeError

app = typer.Typer(help="Data standards: normalizers and rules.", no_args_is_help=True)


@app.command()
def check(
    values: List[str] = typer.Argument(None, help="Values to check (or --file)."),
    field: str = typer.Option(..., "--field", help="country, state, email or phone"),
    country: Optional[str] = typer.Option(None, "--country", help="Country code for state and phone."),
    file: Optional[Path] = typer.Option(None, "--file", help="One value per line."),
    as_json: bool = JsonOpt,
) -> None:
    """Show what each value normalizes to (or that nothing matched) and why."""
    from leadbridge.standards.check import check_values
    items = list(values or [])
    if file:
        items += [line.rstrip("\r\n") for line in file.read_text(encoding="utf-8-sig").splitlines()]
    if not items:
        raise LeadbridgeError("no values to check", hint="pass values, or --file FILE with one per line")
    rows = check_values(field, items, country)
    if as_json:
        print_json(rows)
        return
    print_table([{**r, "value": r["value"] or "— no match", "flags": ", ".join(r["flags"])} for r in rows],
                ["input", "value", "code", "flags", "reason"], title=f"{field} normalization")


@app.command()
def apply(where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
          dry_run: bool = DryRunOpt, workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Normalize stored people through the write path (history kept, so it can be reviewed and reverted)."""
    from leadbridge.standards.apply import apply_standards
    with open_workspace(workspace) as ws:
        summary = apply_standards(ws, where, dry_run=dry_run)
    if as_json:
        print_json(summary)
        return
    console.print(f"{'would change' if dry_run else 'changed'} {summary['changed']:,} of {summary['checked']:,} people; "
                  f"flagged {summary['flagged']:,}")
    for field, changes in summary["fields"].items():
        for c in changes[:15]:
            console.print(f"  {field}: {c['old']!r} → {c['new']!r}  ×{c['count']}")
