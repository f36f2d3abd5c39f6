"""The `leadbridge` command: sub-commands are thin wrappers around Workspace services."""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from leadbridge import __version__
from leadbridge.cli import commands
from leadbridge.cli.output import err_console
from leadbridge.errors import LeadbridgeError

app = typer.Typer(
    name="leadbridge", no_args_is_help=True, rich_markup_mode="rich", pretty_exceptions_enable=False,
    help="Keep a marketing database and a CRM clean and in sync.",
)
commands.register(app)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Show the version and exit.")) -> None:
    if version:
        typer.echo(f"leadbridge {__version__}")
        raise typer.Exit()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning leadbridge errors into one line and a next step."""
    try:
        rv = app(args=argv, standalone_mode=False)
    except LeadbridgeError as exc:
        err_console.print(Text.assemble(("error: ", "bold red"), exc.message), highlight=False)
        if exc.hint:
            err_console.print(Text.assemble(("next: ", "yellow"), exc.hint), highlight=False)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as exc:  # click usage errors carry their own exit codes
        import click
        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
