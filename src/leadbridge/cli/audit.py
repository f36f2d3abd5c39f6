"""`leadbridge audit`: what is missing, inconsistent, invalid, duplicated, or would fail in the CRM."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from leadbridge.cli.context import WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(fmt: str = typer.Option("text", "--format", help="text, html or json"),
          output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file."),
          workspace: Optional[Path] = WorkspaceOpt) -> None:
    """Audit the people: completeness, rule failures, spellings, inactivity, emails, duplicates, CRM readiness."""
    from leadbridge.audit import run_audit
    from leadbridge.audit.render import html, text
    from leadbridge.errors import LeadbridgeError
    if fmt not in ("text", "html", "json"):
        raise LeadbridgeError(f"unknown format {fmt!r}", hint="use --format text, html or json")
    with open_workspace(workspace) as ws:
        report = run_audit(ws)
    if fmt == "json":
        if output:
            import json
            output.write_text(json.dumps(report, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
        else:
            print_json(report)
        return
    body = html(report) if fmt == "html" else text(report)
    if output:
        output.write_text(body, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        console.print(body, highlight=False, markup=False)
