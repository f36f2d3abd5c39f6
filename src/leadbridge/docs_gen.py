"""Generate docs/cli.md from the commands' own --help, docs/leadbridge.schema.json from the config models,
and docs/territories.md from the shipped territory tables.

    python -m leadbridge.docs_gen          # rewrite them
    python -m leadbridge.docs_gen --check  # exit 1 if one is stale (the test suite does this)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from leadbridge.config import json_schema

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _walk(cmd, path: list[str]) -> list[tuple[list[str], object]]:
    out = [(path, cmd)]
    if getattr(cmd, "commands", None):
        for name in sorted(cmd.commands):
            out += _walk(cmd.commands[name], path + [name])
    return out


def cli_reference() -> str:
    """Markdown with the --help of every command, exactly as a user sees it (100 columns)."""
    from typer.testing import CliRunner

    from leadbridge.cli.main import app
    root = typer.main.get_command(app)
    runner = CliRunner()
    env = {"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    parts = ["# Command reference", "", "Generated from the commands' `--help` by `python -m leadbridge.docs_gen`.", ""]
    for path, _cmd in _walk(root, ["leadbridge"]):
        text = runner.invoke(app, [*path[1:], "--help"], env=env, prog_name="leadbridge").output
        text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")
        parts += [f"## {' '.join(path)}", "", "```", text, "```", ""]
    return "\n".join(parts)


def outputs() -> dict[Path, str]:
    from leadbridge.routing.territory_doc import territories_reference
    return {DOCS / "cli.md": cli_reference(),
            DOCS / "leadbridge.schema.json": json.dumps(json_schema(), indent=2) + "\n",
            DOCS / "territories.md": territories_reference()}


def main(argv: list[str]) -> int:
    stale = []
    for path, text in outputs().items():
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.write_text(text, encoding="utf-8")
    for p in stale:
        print(f"stale: {p} (run `make docs`)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
