"""`leadbridge import` and `leadbridge export`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, print_json, print_table
from leadbridge.cli.people import WHERE_HELP
from leadbridge.errors import LeadbridgeError
from leadbridge.importing import ImportOptions, run_import
from leadbridge.importing.export import export_csv
from leadbridge.importing.sources import ListFile


SHOW_UNMAPPED = 30  # unmapped columns named in the printed report (--json has all)


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)
    app.command("export")(export)


def _overrides(pairs: List[str]) -> dict[str, Optional[str]]:
    out: dict[str, Optional[str]] = {}
    for p in pairs:
        if "=" not in p:
            raise LeadbridgeError(f"--map expects Column=field, got {p!r}", hint='e.g. --map "E-mail=email" --map "Notes="')
        col, f = p.rsplit("=", 1)
        out[col] = f.strip() or None
    return out


def _estimate_rows(path: Path) -> Optional[int]:
    try:
        with path.open("rb") as fh:
            return max(0, sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 22), b"")) - 1) or None
    except OSError:
        return None


def import_file(
    file: Path = typer.Argument(..., help="CSV, TSV or XLSX file (encoding and delimiter are detected)."),
    obj: str = typer.Option("person", "--object", help="Object the rows are."),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="Saved column→field mapping (YAML)."),
    map_: List[str] = typer.Option([], "--map", help='Override one column: "Column=field" ("Column=" skips it).'),
    save_mapping: Optional[Path] = typer.Option(None, "--save-mapping", help="Save the mapping used, for reuse."),
    list_name: Optional[str] = typer.Option(None, "--list", help="Add every imported person to this static list."),
    campaign: Optional[str] = typer.Option(None, "--campaign", help="Add every imported person to this campaign."),
    status: Optional[str] = typer.Option(None, "--status", help="Campaign member status, e.g. Responded."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show mapping, a preview and predicted counts; write nothing."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Where to write rejected rows (default: FILE.rejects.csv in the current folder)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted import of this file."),
    restart: bool = typer.Option(False, "--restart", help="Start over although an import of this file was interrupted."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Override the detected encoding (utf-8, gb18030, big5, cp932, cp1252…)."),
    delimiter: Optional[str] = typer.Option(None, "--delimiter", help="Override the detected delimiter."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="XLSX sheet (default: the first)."),
    blank_overwrites: bool = typer.Option(False, "--blank-overwrites", help="Blank cells clear existing values (default: they are skipped)."),
    duplicates: str = typer.Option("later", "--duplicates", help="Rows of the same person in the file: the later rows' non-blank values win (later), or the first row's (first)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Processes writing a CSV side by side (default: one per CPU for files over 24 MB). 1 writes every row in file order."),
    workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt,
) -> None:
    """Import a list: map columns, apply standards, dedupe, and account for every row."""
    opts = ImportOptions(object=obj, mapping_file=mapping, overrides=_overrides(map_), list_name=list_name,
                         campaign=campaign, status=status, dry_run=dry_run, rejects=rejects, resume=resume,
                         restart=restart, encoding=encoding, delimiter="\t" if delimiter == "\\t" else delimiter,
                         sheet=sheet, blank_overwrites=blank_overwrites, save_mapping=save_mapping,
                         duplicates=duplicates, workers=workers)
    with open_workspace(workspace) as ws:
        if as_json:
            report = run_import(ws, file, opts)
            print_json(report.to_dict())
            return
        total = _estimate_rows(file) if file.suffix.lower() not in (".xlsx", ".xlsm") else None
        columns = [TextColumn("[bold]import"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]} rows/s"), TimeRemainingColumn()]
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("import", total=total, rate="-")

            def tick(done: int, _n: int) -> None:
                elapsed = bar.tasks[0].elapsed or 1e-9
                bar.update(task, completed=done, rate=f"{done / elapsed:,.0f}")

            report = run_import(ws, file, opts, progress=tick)
    _print_report(report)


def _print_report(report) -> None:
    console.print(f"[bold]{report.file}[/]: {report.format}, encoding {report.encoding or '-'}, "
                  f"delimiter {report.delimiter!r}" if report.delimiter else f"[bold]{report.file}[/]: {report.format}")
    for note in report.header_notes:
        console.print(f"[yellow]note:[/] {note}")
    shown = [m for m in report.mapping if m["field"]] + [m for m in report.mapping if not m["field"]][:SHOW_UNMAPPED]
    shown.sort(key=lambda m: report.mapping.index(m))
    rows = [{"column": m["column"], "field": m["field"] or "—", "reason": m["reason"],
             "confidence": f"{m['confidence']:.2f}"} for m in shown]
    print_table(rows, ["column", "field", "reason", "confidence"], title="column mapping")
    if report.unmapped:
        more = len(report.unmapped) - SHOW_UNMAPPED
        console.print(f"[yellow]not imported[/] ({len(report.unmapped):,} columns, no field): "
                      f"{', '.join(report.unmapped[:SHOW_UNMAPPED])}"
                      + (f" … and {more:,} more (all of them in --json)" if more > 0 else "")
                      + '; map one with --map "Column=field"')
    if report.dry_run:
        for p in report.preview:
            console.print(f"row {p['row']} → {p['outcome']}: {p['values'] or ''} {'; '.join(p['reasons'])}")
    verb = "would be" if report.dry_run else ""
    console.print(f"rows read {report.rows_read:,} = created {report.created:,} + updated {report.updated:,} + "
                  f"unchanged {report.unchanged:,} + collapsed {report.collapsed:,} + rejected {report.rejected:,}"
                  + (f" ({verb} — dry run, nothing written)" if report.dry_run else ""))
    if report.resumed_batches:
        console.print(f"resumed: {report.resumed_batches} batch(es) were already applied and were not applied again")
    for reason, n in sorted(report.reject_reasons.items(), key=lambda kv: -kv[1])[:10]:
        console.print(f"  [red]{n:,}[/] × {reason}")
    for why, n in sorted(report.kept_by_policy.items(), key=lambda kv: -kv[1])[:10]:
        console.print(f"  kept {n:,} stored value(s) of {why}")
    if report.rejects_file:
        console.print(f"rejected rows with their reasons: {report.rejects_file} (fix and import it again)")
    if report.members:
        console.print(f"added {report.members:,} people to {report.campaign or report.list_name}")


def export(
    output: Path = typer.Option(..., "-o", "--output", help="CSV file to write."),
    where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
    columns: Optional[str] = typer.Option(None, "--columns", "-c", help="Comma-separated fields (default: the usual ones)."),
    obj: str = typer.Option("person", "--object", help="Object to export."),
    workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt,
) -> None:
    """Export records to CSV; cells that a spreadsheet would run as formulas are escaped."""
    with open_workspace(workspace) as ws:
        n = export_csv(ws, output, where, columns.split(",") if columns else None, obj)
    print_json({"rows": n, "file": str(output)}) if as_json else console.print(f"exported {n:,} rows to {output}")
