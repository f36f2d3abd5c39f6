"""Every sub-command group, mounted on the root app in one place."""

from __future__ import annotations

import importlib

import typer

# (module under leadbridge.cli, command name); a module exposes `app` (a group) or `register(app)`.
GROUPS = [
    ("workspace_cmds", None),
    ("fields", "fields"),
    ("people", "people"),
    ("db", "db"),
    ("config_cmds", "config"),
    ("importing", None),
    ("sync", None),
    ("audit", None),
    ("dedupe", "dedupe"),
    ("routing", "route"),
    ("sourcing", "source"),
    ("demo", None),
    ("web", None),
    ("reports", "report"),
]
OPTIONAL_GROUPS = [
    ("standards", "standards"),
    ("sandbox", "sandbox"),
]


def register(app: typer.Typer) -> None:
    for module, name in GROUPS:
        _mount(app, importlib.import_module(f"leadbridge.cli.{module}"), name)
    for module, name in OPTIONAL_GROUPS:
        try:
            mod = importlib.import_module(f"leadbridge.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"leadbridge.cli.{module}":
                raise
            continue
        _mount(app, mod, name)


def _mount(app: typer.Typer, mod, name: str | None) -> None:
    if hasattr(mod, "register"):
        mod.register(app)
    else:
        app.add_typer(mod.app, name=name)
