"""`leadbridge sandbox`: run the Salesforce-compatible sandbox CRM, or reset its data."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Optional

import typer

from leadbridge.cli.output import console

app = typer.Typer(help="A local Salesforce-compatible CRM to test against (HTTPS, 127.0.0.1 only).")
DEFAULT_DATA = Path(".leadbridge-sandbox")


@app.callback(invoke_without_command=True)
def sandbox(
    ctx: typer.Context,
    port: int = typer.Option(8765, "--port", help="Port on 127.0.0.1 (0: any free port)."),
    data: Path = typer.Option(DEFAULT_DATA, "--data", help="Folder for its records and TLS certificates."),
    faults: Optional[str] = typer.Option(None, "--faults", help="Injected faults, comma-separated kind=rate or "
                                         "kind@path=rate: lock, unavailable, drop, expire, ratelimit (or burst), "
                                         "latency=20ms. E.g. 'lock=0.05,unavailable@/query=0.5'."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed for reproducible faults."),
    http: bool = typer.Option(False, "--http", help="Plain HTTP instead of HTTPS."),
    env_file: Optional[Path] = typer.Option(None, "--env-file", help="Write SANDBOX_* connection settings here once ready."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML: users, login security, permissions, custom "
                                          "fields, validation/duplicate/assignment rules, faults."),
) -> None:
    """Start the sandbox CRM and serve until Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    from leadbridge.sandbox import SandboxConfig, SandboxServer
    server = SandboxServer(data, port=port, https=not http, faults=faults, seed=seed,
                           config=SandboxConfig.load(config))

    def ready(s: SandboxServer) -> None:
        console.print(f"[green]sandbox CRM ready[/] at {s.instance_url}")
        for k, v in s.env().items():
            console.print(f"{k}={shlex.quote(v)}", highlight=False, soft_wrap=True, markup=False)
        if env_file:
            console.print(f"(written to {env_file}; `leadbridge crm connect --env-file {env_file}` uses it)",
                          soft_wrap=True)
    try:
        server.serve_forever(env_file, ready)
    except KeyboardInterrupt:
        pass


@app.command()
def reset(data: Path = typer.Option(DEFAULT_DATA, "--data", help="The sandbox's data folder."),
          yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Delete every record in the sandbox (stop it first; the TLS certificates are kept)."""
    from leadbridge.sandbox.server import reset as do_reset
    if not yes and not typer.confirm(f"delete all sandbox records in {data}?"):
        raise typer.Abort()
    do_reset(data)
    console.print(f"sandbox data in {data} reset")
