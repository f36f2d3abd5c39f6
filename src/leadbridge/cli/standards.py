"""`leadbridge standards`: check how values normalize, apply the standards to stored records, revert a run."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from leadbridge.cli.context import DryRunOpt, JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json, print_table
from leadbridge.cli.people import WHERE_HELP
from leadbridge.errors import LeadbridgeError

app = typer.Typer(help="Data standards: normalizers and rules.", no_args_is_help=True)
SHOWN = 15  # value changes listed per field in the text summary


def _read_values(file: Path) -> list[str]:
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise LeadbridgeError(f"no file {file}", hint="give the path of a text file with one value a line") from None
    except UnicodeDecodeError:
        raise LeadbridgeError(f"{file} is not UTF-8 text", hint="save it as UTF-8 (one value a line)") from None
    except OSError as exc:
        raise LeadbridgeError(f"cannot read {file}: {exc.strerror}", hint="check the path and its permissions") from None
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


@app.command()
def check(
    values: List[str] = typer.Argument(None, help="Values to check (or --file)."),
    field: str = typer.Option(..., "--field", help="country, state, email, phone, name, company or website"),
    country: Optional[str] = typer.Option(None, "--country", help="Country (code or name) for state and phone."),
    file: Optional[Path] = typer.Option(None, "--file", help="A UTF-8 text file, one value a line."),
    workspace: Optional[Path] = typer.Option(None, "--workspace", "-w", help="Render with this workspace's config "
                                             "and cached CRM picklists (default: the current workspace, if any)."),
    as_json: bool = JsonOpt,
) -> None:
    """Show what each value normalizes to (or that nothing matched) and why."""
    from leadbridge.standards.check import check_values
    items = list(values or [])
    if file:
        items += _read_values(file)
    if not items:
        raise LeadbridgeError("no values to check", hint="pass values, or --file FILE with one per line")
    cfg, picks = _workspace_standards(workspace)
    rows = check_values(field, items, country, cfg, picks)
    if as_json:
        print_json(rows)
        return
    print_table([{**r, "value": r["value"] or "— no match", "flags": ", ".join(r["flags"])} for r in rows],
                ["input", "value", "code", "flags", "reason"], title=f"{field} normalization")


def _workspace_standards(path: Optional[Path]):
    from leadbridge.config import CONFIG_NAME, load_config
    from leadbridge.standards import picklists
    from leadbridge.workspace import find_root
    try:
        root = find_root(path)
    except LeadbridgeError:
        return None, None
    if not (root / CONFIG_NAME).exists():
        if path is not None:
            raise LeadbridgeError(f"{root} is not a leadbridge workspace", hint=f"run `leadbridge init {root}`")
        return None, None
    return load_config(root / CONFIG_NAME).standards, picklists.load(root)


@app.command()
def apply(where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP + " (people)"),
          obj: str = typer.Option("all", "--object", help="person, company or all"),
          dry_run: bool = DryRunOpt, workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Normalize and check stored records through the write path; the run id lets you revert it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from leadbridge.standards.apply import OBJECTS, apply_standards
    if obj not in ("person", "company", "all"):
        raise LeadbridgeError(f"unknown object {obj!r}", hint="use --object person, company or all")
    objects = OBJECTS if obj == "all" else (obj,)
    with open_workspace(workspace) as ws:
        with Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, transient=True, disable=as_json) as bar:
            task = bar.add_task("checking records", total=None)
            summary = apply_standards(ws, where, dry_run=dry_run, objects=objects,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total))
    if as_json:
        print_json(summary)
        return
    verb = "would change" if dry_run else "changed"
    console.print(f"{verb} {summary['changed']:,} of {summary['checked']:,} records; flagged {summary['flagged']:,}"
                  + (f"; rejected {summary['rejected']:,}" if summary["rejected"] else ""))
    for field, changes in summary["fields"].items():
        for c in changes[:SHOWN]:
            console.print(f"  {field}: {c['old']!r} → {c['new']!r}  ×{c['count']:,}", highlight=False)
        if len(changes) > SHOWN:
            rest = changes[SHOWN:]
            console.print(f"  {field}: … {len(rest):,} more changes ({sum(c['count'] for c in rest):,} records; "
                          f"--json lists all)")
    if summary["run_id"]:
        console.print(f"run id: {summary['run_id']}  (undo: leadbridge standards revert {summary['run_id']})")


@app.command()
def revert(run_id: str = typer.Argument(..., help="The run id `standards apply` printed (`standards runs`)."),
           dry_run: bool = DryRunOpt, workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Put back the values a `standards apply` run changed; fields edited since keep their later value."""
    from leadbridge.standards.apply import revert_run
    with open_workspace(workspace) as ws:
        out = revert_run(ws, run_id, dry_run=dry_run)
    if as_json:
        print_json(out)
        return
    verb = "would restore" if dry_run else "restored"
    fields = ", ".join(f"{f} ×{n:,}" for f, n in out["restored"].items()) or "nothing"
    console.print(f"{verb} {fields} on {out['records']:,} records of run {run_id}")
    if out["kept_later_edits"]:
        console.print(f"kept {len(out['kept_later_edits']):,} fields edited after the run")


@app.command()
def runs(workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """List `standards apply` runs (ids for `standards revert`)."""
    from leadbridge.standards.apply import list_runs
    with open_workspace(workspace) as ws:
        rows = list_runs(ws)
    if as_json:
        print_json(rows)
        return
    print_table(rows, ["run_id", "started_at", "actor", "batches", "reverted"], title="standards apply runs")
