"""`leadbridge demo`: the whole flow on a temporary workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from leadbridge.cli.output import console


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    directory: Optional[Path] = typer.Option(None, "--dir", help="Keep the demo workspace here (default: a temp folder)."),
    people: int = typer.Option(300, "--people", help="How many demo people to create."),
    seed: int = typer.Option(7, "--seed", help="Random seed for the demo data."),
) -> None:
    """Run the whole flow built so far on a fresh workspace and show what happened."""
    from leadbridge.demo import run_demo
    run_demo(console, directory=directory, people=people, seed=seed)
