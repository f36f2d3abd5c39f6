"""`leadbridge people`: find, show, edit and trace people."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json, print_record, print_table
from leadbridge.errors import LeadbridgeError
from leadbridge.model.changes import Change, Outcome, Source, SourceKind

WHERE_HELP = (
    "Filter, e.g. \"country is empty\", \"email is not empty and lead_score > 50\", "
    "\"updated_at < -30d\", \"country in (US, CA)\", \"email like '%@gmail.com'\". "
    "Operators: = != < <= > >= in, not in, contains, like, startswith, is [not] empty; and/or/not; "
    "relative times -30d, -12h, -2w."
)
DEFAULT_COLUMNS = "id,first_name,last_name,email,company,country,lead_score,updated_at"

app = typer.Typer(help="People (leads and contacts): list, show, add, edit, history.", no_args_is_help=True)


@app.command("list")
def list_people(
    where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
    columns: str = typer.Option(DEFAULT_COLUMNS, "--columns", "-c", help="Comma-separated fields to show."),
    sort: str = typer.Option("id", "--sort", help="Field to sort by; prefix with - for descending."),
    limit: int = typer.Option(50, "--limit", "-n", help="At most this many (0: all)."),
    count: bool = typer.Option(False, "--count", help="Only print how many match."),
    workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt,
) -> None:
    """List people matching a filter."""
    with open_workspace(workspace) as ws:
        total = ws.count("person", where)
        if count:
            print_json({"count": total}) if as_json else console.print(total)
            return
        cols = [c.strip() for c in columns.split(",") if c.strip()]
        for c in cols:
            ws.db.objects["person"].field(c) if c not in ("id", "created_at", "updated_at") else None
        rows = ws.list("person", where, columns=cols if not as_json else None, order_by=sort.lstrip("-"),
                       descending=sort.startswith("-"), limit=limit or None)
    if as_json:
        for r in rows:
            r.pop("field_times", None)
        print_json(rows)
        return
    print_table(rows, cols, title=f"{len(rows)} of {total} people")


@app.command()
def show(person_id: int = typer.Argument(..., help="Internal person id."),
         all_fields: bool = typer.Option(False, "--all", help="Show empty fields too."),
         workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Show one person with their CRM ids."""
    with open_workspace(workspace) as ws:
        record = ws.get(person_id)
        record.pop("field_times", None)
        links = ws.crm_links(person_id)
    if as_json:
        print_json({**record, "crm_links": links})
        return
    print_record(record, title=f"person {person_id}", hide_empty=not all_fields)
    for link in links:
        state = "" if link["active"] else " (inactive)"
        console.print(f"  {link['system']} {link['crm_object']} {link['crm_id']}{state}")


@app.command()
def add(assignments: List[str] = typer.Argument(..., help="field=value pairs, e.g. email=ann@acme.com."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be stored, without writing."),
        workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Add a person (or update the one with the same email): standards, routing and sync apply."""
    values = _assignments(assignments)
    with open_workspace(workspace) as ws:
        result = ws.write([Change(values)], Source(SourceKind.UI), dry_run=dry_run)
    _report(result.items[0], dry_run, as_json)


@app.command()
def edit(person_id: int = typer.Argument(..., help="Internal person id."),
         assignments: List[str] = typer.Argument(..., help="field=value pairs; field= clears a field."),
         dry_run: bool = typer.Option(False, "--dry-run", help="Show the change without writing it."),
         workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Change fields of a person (through the write path: policies, standards, history, sync)."""
    values = _assignments(assignments)
    with open_workspace(workspace) as ws:
        ws.get(person_id)  # a clear "no such person" before anything else
        result = ws.write([Change(values, id=person_id)], Source(SourceKind.UI), dry_run=dry_run)
    _report(result.items[0], dry_run, as_json)


def _assignments(assignments: List[str]) -> dict[str, str]:
    values = {}
    for a in assignments:
        if "=" not in a:
            raise LeadbridgeError(f"expected field=value, got {a!r}", hint="e.g. country=Germany lead_score=40")
        k, v = a.split("=", 1)
        values[k.strip()] = v
    return values


def _report(item, dry_run: bool, as_json: bool) -> None:
    """Print what the write path did with one change (or would do, in a dry run)."""
    if as_json:
        print_json({"id": item.id, "outcome": item.outcome.value, "dry_run": dry_run,
                    "changed": {k: {"old": o, "new": n} for k, (o, n) in item.changed.items()},
                    "ignored": item.ignored, "reasons": item.reasons, "flags": item.flags})
        return
    if item.outcome is Outcome.REJECTED:
        raise LeadbridgeError("; ".join(item.reasons), hint="fix the value and try again")
    if dry_run:
        console.print("[bold]dry run[/]: nothing was written")
    elif item.outcome is Outcome.CREATED:
        console.print(f"created person {item.id}")
    for k, (old, new) in item.changed.items():
        if k != "email_key":
            console.print(f"[green]{k}[/]: {old!r} → {new!r}")
    for k, why in item.ignored.items():
        console.print(f"[yellow]{k} not changed[/]: {why}")
    for flag in item.flags:
        console.print(f"[yellow]flagged[/]: {flag}")
    if item.outcome is Outcome.UNCHANGED and not item.ignored:
        console.print("nothing changed")


@app.command()
def history(person_id: int = typer.Argument(..., help="Internal person id."),
            field: Optional[str] = typer.Option(None, "--field", help="Only this field."),
            workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Every change to a person: when, which source, who, old and new value."""
    with open_workspace(workspace) as ws:
        rows = [r for r in ws.history(person_id) if field is None or r["field"] == field]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        r["source"] = r["source"] + (f" ({r['source_detail']})" if r["source_detail"] else "")
    print_table(rows, ["at", "source", "actor", "field", "old", "new", "note"], title=f"history of person {person_id}")
