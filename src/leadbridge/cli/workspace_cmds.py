"""`leadbridge init`."""

from __future__ import annotations

from pathlib import Path

import typer

from leadbridge.cli.output import console
from leadbridge.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    directory: Path = typer.Argument(Path("."), help="Folder for the new workspace (created if missing)."),
    database_url: str = typer.Option(None, "--database-url", envvar="LEADBRIDGE_DATABASE_URL",
                                     help="Use this database instead of the SQLite file in the folder."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing leadbridge.yaml."),
) -> None:
    """Create a workspace: a commented leadbridge.yaml, its JSON Schema, and the database."""
    ws = Workspace.init(directory, database_url=database_url, force=force)
    console.print(f"[green]created[/] workspace in {ws.root}")
    console.print(f"  config:   {ws.root / 'leadbridge.yaml'}")
    console.print(f"  database: {ws.db.url}")
    console.print("next: `leadbridge import FILE` or `leadbridge demo`")
    ws.close()
