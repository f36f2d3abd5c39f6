"""`leadbridge fields`: list fields and add custom ones."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json, print_table

app = typer.Typer(help="Fields of each object, standard and custom.", no_args_is_help=True)


@app.command("list")
def list_fields(
    obj: str = typer.Option("person", "--object", "-o", help="person, company, opportunity, campaign, ..."),
    custom: bool = typer.Option(False, "--custom", help="Only custom fields."),
    workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt,
) -> None:
    """List the fields of an object with their types."""
    with open_workspace(workspace) as ws:
        rows = [f.to_dict() for f in ws.fields(obj) if f.custom or not custom]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        r["values"] = ", ".join(r["values"])
    print_table(rows, ["name", "type", "label", "length", "values", "custom"], title=f"{obj} fields")


@app.command()
def add(
    name: str = typer.Argument(..., help="Field name: lowercase letters, digits, underscores."),
    obj: str = typer.Option("person", "--object", "-o", help="Object to add the field to."),
    type_: str = typer.Option(..., "--type", "-t", help="string, text, email, phone, url, picklist, "
                              "multipicklist, boolean, integer, number, currency, date, datetime"),
    values: Optional[str] = typer.Option(None, "--values", help="Picklist values, comma separated."),
    label: str = typer.Option("", "--label", help="Label shown to users."),
    no_index: bool = typer.Option(False, "--no-index", help="Do not index the column."),
    workspace: Optional[Path] = WorkspaceOpt,
) -> None:
    """Add a custom field (a real, indexed column)."""
    with open_workspace(workspace) as ws:
        field = ws.add_field(name, type_, obj=obj, label=label,
                             values=values.split(",") if values else None, indexed=not no_index)
    console.print(f"[green]added[/] {obj}.{field.name} ({field.type.value})")
