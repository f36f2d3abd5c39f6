"""`leadbridge web`: the dashboard and REST API for a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from leadbridge.cli.context import WorkspaceOpt
from leadbridge.cli.output import console, err_console


def register(app: typer.Typer) -> None:
    app.command("web")(web)


def web(port: int = typer.Option(8080, "--port", help="Port to listen on."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
        workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Serve the dashboard (sync status, errors, alerts, people, audit) and the REST API (/api, docs at /docs)."""
    from leadbridge.web.server import LOOPBACK, serve
    from leadbridge.workspace import find_root
    path = find_root(workspace)
    if host not in LOOPBACK:
        err_console.print(f"[yellow]warning[/]: listening on {host}: the dashboard has no login; "
                          "anyone who can reach this address can read your data and queue resyncs")
    console.print(f"leadbridge dashboard for {path} at http://{host}:{port}/  (API docs at /docs; Ctrl-C stops)")
    serve(path, host=host, port=port)
