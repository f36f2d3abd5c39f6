"""`leadbridge config`: show the effective configuration and its JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from leadbridge.cli.context import WorkspaceOpt
from leadbridge.cli.output import console, print_json
from leadbridge.config import CONFIG_NAME, json_schema, load_config, write_json_schema
from leadbridge.workspace import find_root

app = typer.Typer(help="Configuration: effective settings and the JSON Schema.", no_args_is_help=True)


@app.command()
def schema(output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file.")) -> None:
    """Print (or write) the JSON Schema of leadbridge.yaml, for editor completion."""
    if output:
        write_json_schema(output)
        console.print(f"wrote {output}")
    else:
        print_json(json_schema())


@app.command()
def show(workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Print the effective configuration (file + environment overrides + defaults) as JSON."""
    root = find_root(workspace)
    print_json(load_config(root / CONFIG_NAME).model_dump(mode="json"))
