"""How every command finds its workspace: --workspace, $LEADBRIDGE_WORKSPACE, or the current folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from leadbridge.workspace import Workspace

WorkspaceOpt = typer.Option(None, "--workspace", "-w", envvar="LEADBRIDGE_WORKSPACE",
                            help="Workspace folder (default: the nearest folder with leadbridge.yaml).",
                            show_default=False)
JsonOpt = typer.Option(False, "--json", help="Print JSON for scripts instead of tables.")
DryRunOpt = typer.Option(False, "--dry-run", help="Show what would change without writing anything.")


def open_workspace(path: Optional[Path]) -> Workspace:
    return Workspace.open(path)
