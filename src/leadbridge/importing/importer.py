"""Run an import: stream rows, map, dedupe within the file, write through the one door, account for every row.

A large CSV is written by several processes side by side (`importing.parallel`); everything else by
this one, batch after batch (`importing.batches`).
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from leadbridge.errors import ImportFileError, MappingError
from leadbridge.importing import parallel
from leadbridge.importing.batches import ImportJob, write_rows
from leadbridge.importing.encoding import detect_encoding
from leadbridge.importing.mapping import Mapping, apply_overrides, suggest_mapping
from leadbridge.importing.options import ImportOptions, ImportReport
from leadbridge.importing.rejects import RejectsWriter
from leadbridge.importing.rows import RowBuilder
from leadbridge.importing.sources import ListFile
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.store import import_runs

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

__all__ = ["ImportOptions", "ImportReport", "run_import", "scan_file", "plan_mapping", "open_list"]


def scan_file(path: Path, encoding: str | None) -> str:
    """The file's SHA-256 (its identity for --resume), checking on the way that all of it decodes.

    The encoding is detected from the first 256 KB; a file that changes encoding further down
    (GBK rows appended to an ASCII export) is refused here, before anything is written."""
    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)("strict") if encoding else None
    done, lines = 0, 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            if decoder:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    _not_encoded_as(path, encoding, chunk, exc, lines + chunk.count(b"\n", 0, exc.start) + 1,
                                    done + exc.start)
                lines += chunk.count(b"\n")
            done += len(chunk)
    if decoder:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFileError(f"{path} ends in the middle of a {encoding} character",
                                  hint="the file was cut off: export it again") from None
    return h.hexdigest()


def _not_encoded_as(path: Path, encoding: str, chunk: bytes, exc: UnicodeDecodeError, line: int, at: int):
    around = chunk[max(0, exc.start - 200):exc.start + 64 * 1024]
    try:
        guess = detect_encoding(around, complete=True).encoding
        hint = f"from there it looks like {guess}: pass --encoding {guess} (or save the whole file as UTF-8)"
    except ImportFileError:
        hint = "pass the right --encoding, or save the whole file as UTF-8"
    raise ImportFileError(f"{path} is not valid {encoding} at line {line} (byte {at:,}: "
                          f"{chunk[exc.start:exc.start + 4]!r}); nothing was imported", hint=hint) from None


def open_list(path: Path, opts: ImportOptions) -> ListFile:
    return ListFile(Path(path), encoding=opts.encoding, delimiter=opts.delimiter, sheet=opts.sheet)


def plan_mapping(ws: "Workspace", lf: ListFile, opts: ImportOptions) -> Mapping:
    obj = ws.db.objects[opts.object]
    m = Mapping.load(opts.mapping_file, lf.info.headers, obj) if opts.mapping_file \
        else suggest_mapping(lf.info.headers, obj)
    apply_overrides(m, opts.overrides, obj)
    fields = set(m.mapped.values())
    if opts.object == "person" and not fields & {"email", "crm_id"}:
        raise MappingError("no column maps to email or a CRM id, so rows cannot be matched to people",
                           hint='map one with --map "Column=email" (or crm_id)')
    if opts.save_mapping:
        m.save(opts.save_mapping)
    return m


def run_import(ws: "Workspace", path: Path, opts: ImportOptions,
               progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import a list file; returns the report (also for --dry-run, where nothing is written)."""
    path = Path(path)
    if opts.duplicates not in ("later", "first"):
        raise ImportFileError(f"--duplicates {opts.duplicates!r}: expected 'later' or 'first'")
    lf = open_list(path, opts)
    mapping = plan_mapping(ws, lf, opts)
    name = opts.list_name or opts.campaign or path.stem
    report = ImportReport(
        file=str(path), format=lf.info.format, encoding=lf.info.encoding,
        delimiter=lf.info.delimiter if lf.info.format == "csv" else None,
        mapping=[asdict(m) for m in mapping.matches], unmapped=mapping.unmapped,
        header_notes=lf.info.header_notes, dry_run=opts.dry_run, list_name=opts.list_name, campaign=opts.campaign)
    builder = RowBuilder(lf.info, mapping, opts)
    # the list name rides on the source: the write path stamps registration source (List Import / name)
    # and derives person source from it (`List Import: <name>`) where a person has none
    source = Source(SourceKind.LIST_IMPORT, name)
    run_id = None
    sha = scan_file(path, lf.info.encoding)  # also for --dry-run: a file that cannot be read fully is refused
    if not opts.dry_run:
        run_id = _start_run(ws, path, sha, opts, name)
        report.run_id = run_id
    rejects = None if opts.dry_run else RejectsWriter(opts.rejects or Path.cwd() / (path.stem + ".rejects.csv"), lf.info)
    campaign_id = None if opts.dry_run else _ensure_campaign(ws, opts)
    size, workers = ws.config.write.batch_size, parallel.auto_workers(ws, lf, opts)
    if run_id and opts.resume:  # the same batches as before, whatever the batch size or CPU count is now
        size, workers = import_runs.batch_plan_used(ws.db, run_id) or (size, workers)
    if workers > 1 and not parallel.can_run_parallel(ws):
        raise ImportFileError("this import was started by several workers, but this workspace runs custom write "
                              "stages, which only a single process can run", hint="use --restart")
    if opts.workers and opts.workers > 1 and lf.info.format != "csv":
        report.header_notes.append("XLSX files are imported by one process (--workers applies to CSV files)")
    job = ImportJob(source, opts, size, run_id, campaign_id)
    try:
        if workers > 1:
            parallel.run_workers(ws, lf, mapping, job, workers, report, rejects, progress)
        else:
            write_rows(ws, lf.rows(), builder, job, report, rejects, progress)
    except KeyboardInterrupt:
        if run_id:
            import_runs.finish(ws.db, run_id, "interrupted", report.to_dict())
        raise
    finally:
        if rejects:
            rejects.close()
    if rejects and rejects.count:
        report.rejects_file = str(rejects.path)
    if run_id:
        import_runs.finish(ws.db, run_id, "done", report.to_dict())
    return report


def _start_run(ws: "Workspace", path: Path, sha: str, opts: ImportOptions, name: str) -> int:
    previous = import_runs.unfinished(ws.db, sha)
    if previous and opts.resume:
        return previous["id"]
    if previous and not opts.restart:
        raise ImportFileError(
            f"an import of this file was interrupted (run {previous['id']}, started {previous['started_at']:%Y-%m-%d %H:%M})",
            hint="add --resume to continue it (nothing is applied twice), or --restart to start over")
    if opts.resume and not previous:
        raise ImportFileError("there is no interrupted import of this file to resume", hint="run without --resume")
    return import_runs.start(ws.db, path.name, sha, opts.list_name or opts.campaign)


def _ensure_campaign(ws: "Workspace", opts: ImportOptions) -> int | None:
    name = opts.campaign or opts.list_name
    if not name:
        return None
    values = {"name": name, "is_list": opts.campaign is None}
    res = ws.write([Change(values, match={"name": name})], Source(SourceKind.LIST_IMPORT, name), obj="campaign")
    return res.items[0].id
