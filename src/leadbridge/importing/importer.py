"""Run an import: stream rows, map, dedupe within the file, write through the one door, account for every row."""

from __future__ import annotations

import codecs
import gc
import hashlib
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from leadbridge.errors import ImportFileError, MappingError
from leadbridge.importing.encoding import detect_encoding
from leadbridge.importing.mapping import Mapping, apply_overrides, suggest_mapping
from leadbridge.importing.names import split_full_name
from leadbridge.importing.rejects import RejectsWriter
from leadbridge.importing.sources import ListFile, RawRow
from leadbridge.model.changes import Change, Outcome, Source, SourceKind, WriteResult
from leadbridge.store import import_runs
from leadbridge.writepath.keys import email_key

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

PREVIEW_ROWS = 5


@dataclass
class ImportOptions:
    object: str = "person"
    mapping_file: Path | None = None
    overrides: dict[str, str | None] = field(default_factory=dict)
    list_name: str | None = None
    campaign: str | None = None
    status: str | None = None
    dry_run: bool = False
    rejects: Path | None = None
    resume: bool = False
    restart: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    blank_overwrites: bool = False
    save_mapping: Path | None = None
    duplicates: str = "later"  # rows with the same key: "later" non-blank values win, or the "first" row's


@dataclass
class ImportReport:
    """What happened to every row: read = created + updated + unchanged + collapsed + rejected."""

    file: str
    format: str
    encoding: str | None
    delimiter: str | None
    mapping: list[dict[str, Any]]
    unmapped: list[str]
    header_notes: list[str]
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    collapsed: int = 0
    rejected: int = 0
    dry_run: bool = False
    run_id: int | None = None
    resumed_batches: int = 0
    rejects_file: str | None = None
    reject_reasons: dict[str, int] = field(default_factory=dict)
    kept_by_policy: dict[str, int] = field(default_factory=dict)  # "field: why" → values the import could not set
    preview: list[dict[str, Any]] = field(default_factory=list)
    list_name: str | None = None
    campaign: str | None = None
    members: int = 0

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.created + self.updated + self.unchanged + self.collapsed + self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "balanced": self.balanced}


@dataclass
class _Row:
    raw: RawRow
    change: Change | None
    reasons: list[str]
    collapsed: bool = False
    key: str | None = None


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


class _RowBuilder:
    """Turns raw rows into Changes (or reasons to reject them), tracking keys seen in this file."""

    def __init__(self, lf: ListFile, mapping: Mapping, opts: ImportOptions):
        self.width = len(lf.info.headers)
        plan = [(i, f) for i, h in enumerate(lf.info.headers) if (f := mapping.columns.get(h))]
        self.plain = [(i, f) for i, f in plan if f not in ("crm_id", "full_name")]
        self.crm_col = next((i for i, f in plan if f == "crm_id"), None)
        self.name_col = next((i for i, f in plan if f == "full_name"), None)
        self.opts = opts
        self.first_wins = opts.duplicates == "first"
        # keys met so far; with first_wins also the fields their rows set (the frozensets shared)
        self.seen: Any = {} if self.first_wins else set()
        self._shared: dict[frozenset[str], frozenset[str]] = {}

    def build(self, raw: RawRow) -> _Row:
        if raw.problem:
            return _Row(raw, None, [raw.problem])
        cells, width = raw.cells, self.width
        if len(cells) != width:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                return _Row(raw, None, [f"row has {len(cells)} cells but the header has {width}"])
            if width - len(cells) > 1:
                return _Row(raw, None, [f"row has {len(cells)} cells but the header has {width} (ragged row)"])
            cells = cells + [""] * (width - len(cells))
        # the hot loop of an import: one comprehension per row
        if self.opts.blank_overwrites:
            values: dict[str, Any] = {f: c if (c := cells[i]).strip() else None for i, f in self.plain}
        else:
            values = {f: c for i, f in self.plain if (c := cells[i]) and c.strip()}
        crm_id = cells[self.crm_col].strip() or None if self.crm_col is not None else None
        if self.name_col is not None and cells[self.name_col].strip():
            first, last = split_full_name(cells[self.name_col])
            values.setdefault("first_name", first)  # explicit first/last name columns win
            values.setdefault("last_name", last)
        key = f"crm:{crm_id}" if crm_id else (f"email:{k}" if (k := email_key(values.get("email"))) else None)
        if self.opts.object == "person" and key is None:
            return _Row(raw, None, ["no email and no CRM id: nothing to match or create the person by"])
        collapsed = key in self.seen
        if self.first_wins:
            # an earlier row of this key set these fields: this row may only fill the others
            before = self.seen.get(key, frozenset())
            if collapsed:
                values = {f: v for f, v in values.items() if f not in before or f == "email"}  # email: the key
            self.seen[key] = self._shared.setdefault(fs := before.union(values), fs)
        else:
            self.seen.add(key)
        # a row keyed by CRM id alone updates that person; it cannot create one without an email
        create = self.opts.object != "person" or bool(values.get("email"))
        change = Change(values, crm_id=crm_id, ref=raw.number, create=create)
        return _Row(raw, change, [], collapsed=collapsed, key=key)


def _merge_duplicates(rows: list[_Row]) -> list[_Row]:
    """Fold rows with the same key within a batch into the first one (their values were already
    narrowed by the builder when the first row wins)."""
    first: dict[str, _Row] = {}
    live = []
    for row in rows:
        if row.change is None:
            continue
        if row.key in first:
            target = first[row.key].change
            target.values.update(row.change.values)
            target.crm_id = target.crm_id or row.change.crm_id
            target.create = target.create or row.change.create  # a later row may bring the email
            row.change = None  # accounted as collapsed
            continue
        first[row.key] = row
        live.append(row)
    return live


_VALUE = re.compile(r"^(field '[^']+'): .* (is not a valid \w+).*$", re.S)


def _reason_group(reason: str) -> str:
    """Group per-row reasons for the summary: "field 'lead_score': 'high' is not…" → without the value."""
    m = _VALUE.match(reason)
    return f"{m.group(1)}: value {m.group(2)}" if m else reason[:120]


def _batches(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


@contextmanager
def _fewer_gc_pauses() -> Iterator[None]:
    """A batch allocates many short-lived objects: collect the young generation less often (~20% faster)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 100_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def run_import(ws: "Workspace", path: Path, opts: ImportOptions,
               progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import a list file; returns the report (also for --dry-run, where nothing is written)."""
    with _fewer_gc_pauses():
        return _run_import(ws, path, opts, progress)


def _run_import(ws: "Workspace", path: Path, opts: ImportOptions,
                progress: Callable[[int, int], None] | None) -> ImportReport:
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
    builder = _RowBuilder(lf, mapping, opts)
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
    size = ws.config.write.batch_size
    if run_id and opts.resume:  # the same batches as before, whatever the batch size is now
        size = import_runs.batch_size_used(ws.db, run_id) or size
    try:
        for number, chunk in enumerate(_batches(lf.rows(), size)):
            rows = [builder.build(r) for r in chunk]
            _write_batch(ws, rows, source, report, rejects, opts,
                         checkpoint=f"import:{run_id}:size{size}:{number}" if run_id else None, campaign_id=campaign_id)
            if progress:
                progress(report.rows_read, len(chunk))
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


def _write_batch(ws: "Workspace", rows: list[_Row], source: Source, report: ImportReport,
                 rejects: RejectsWriter | None, opts: ImportOptions, *, checkpoint: str | None,
                 campaign_id: int | None) -> None:
    live = _merge_duplicates(rows)

    def account(result: WriteResult) -> dict[str, Any]:
        counts = dict.fromkeys(("created", "updated", "unchanged", "collapsed", "rejected"), 0)
        reasons: dict[str, list[str]] = {}
        kept: dict[str, int] = {}
        for row, item in zip(live, result.items):
            for name, why in item.ignored.items():
                kept[f"{name}: {why}"] = kept.get(f"{name}: {why}", 0) + 1
            if item.outcome in (Outcome.REJECTED, Outcome.NOT_FOUND):
                counts["rejected"] += 1
                not_found = not row.change.create and item.id is None
                reasons[str(row.raw.number)] = [
                    f"CRM id {row.change.crm_id} matches no one, and without an email no person is created"
                ] if not_found else item.reasons
            elif row.collapsed:
                counts["collapsed"] += 1
            else:
                counts[item.outcome.value] += 1
        counts["collapsed"] += sum(1 for r in rows if r.change is None and not r.reasons)
        return {"counts": counts, "reasons": reasons, "kept": kept, "ids": [i.id for i in result.items if i.id]}

    result = ws.write([r.change for r in live], source, opts.object, checkpoint=checkpoint,
                      dry_run=opts.dry_run, describe=account)
    info = result.stored if result.skipped else account(result)
    if result.skipped:
        report.resumed_batches += 1
    report.rows_read += len(rows)
    for k, v in info["counts"].items():
        setattr(report, k, getattr(report, k) + v)
    for key, n in info.get("kept", {}).items():
        report.kept_by_policy[key] = report.kept_by_policy.get(key, 0) + n
    write_reasons = info["reasons"]
    for row in rows:
        reasons = row.reasons or write_reasons.get(str(row.raw.number))
        if reasons:
            if row.change is None:
                report.rejected += 1
            for r in reasons:
                key = _reason_group(r)
                report.reject_reasons[key] = report.reject_reasons.get(key, 0) + 1
            if rejects:
                rejects.add(row.raw.number, row.raw.cells, reasons)
    if opts.dry_run and len(report.preview) < PREVIEW_ROWS:
        for row, item in zip(live, result.items):
            if len(report.preview) >= PREVIEW_ROWS:
                break
            report.preview.append({"row": row.raw.number, "outcome": item.outcome.value,
                                   "values": {f: new for f, (_, new) in item.changed.items() if f != "email_key"},
                                   "reasons": item.reasons})
    if campaign_id and info["ids"]:
        members = [Change({"campaign_id": campaign_id, "person_id": pid,
                           **({"status": opts.status} if opts.status else {}),
                           **({"responded": True} if opts.status and opts.status.lower() == "responded" else {})})
                   for pid in dict.fromkeys(info["ids"])]
        res = ws.write(members, source, "campaign_member")
        report.members += res.count(Outcome.CREATED)
