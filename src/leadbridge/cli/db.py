"""`leadbridge db`: migrations of the workspace database."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from leadbridge.cli.context import JsonOpt, WorkspaceOpt
from leadbridge.cli.output import console, print_json
from leadbridge.config import CONFIG_NAME, load_config
from leadbridge.store import migrate
from leadbridge.store.database import Database, sqlite_url
from leadbridge.workspace import DB_NAME, find_root

app = typer.Typer(help="Database schema: migrations.", no_args_is_help=True)


def _database(workspace: Optional[Path]) -> Database:
    root = find_root(workspace)
    config = load_config(root / CONFIG_NAME)
    return Database(config.database.url or sqlite_url(root / DB_NAME))


@app.command()
def upgrade(workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Apply all migrations (creates the tables on a new database)."""
    db = _database(workspace)
    rev = db.upgrade()
    console.print(f"database at revision [bold]{rev}[/] ({db.engine.url.render_as_string(hide_password=True)})")
    db.dispose()


@app.command()
def current(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Show the database's migration revision and the latest one."""
    db = _database(workspace)
    info = {"current": migrate.current(db.engine), "head": migrate.head()}
    db.dispose()
    if as_json:
        print_json(info)
    else:
        state = "up to date" if info["current"] == info["head"] else "run `leadbridge db upgrade`"
        console.print(f"current {info['current']}, latest {info['head']}: {state}")
