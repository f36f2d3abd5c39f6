"""Read a list file as a stream of rows: CSV/TSV (sniffed) or XLSX, never the whole file at once."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterator

from leadbridge.errors import ImportFileError
from leadbridge.importing.encoding import SAMPLE, check_codec, detect_encoding, looks_binary

NUL_MARK = "\ue000"  # NUL bytes become this private-use mark so the row can be rejected, not crash the reader
MAX_CELL = 64 * 1024 * 1024
DELIMITERS = ",;\t|"


@dataclass
class RawRow:
    """One data row: its 1-based line in the file (header = 1), the cells, and any problem reading it."""

    number: int
    cells: list[str]
    problem: str | None = None


@dataclass
class FileInfo:
    path: Path
    format: str  # csv | xlsx
    encoding: str | None = None
    encoding_reason: str = ""
    delimiter: str = ","
    headers: list[str] = field(default_factory=list)
    header_notes: list[str] = field(default_factory=list)
    size: int = 0
    sheet: str | None = None


class ListFile:
    """An opened list file: `info` (format, encoding, delimiter, headers) and `rows()`."""

    def __init__(self, path: Path, *, encoding: str | None = None, delimiter: str | None = None,
                 sheet: str | None = None):
        self.path = Path(path)
        if not self.path.exists():
            raise ImportFileError(f"no such file: {self.path}")
        if self.path.is_dir():
            raise ImportFileError(f"{self.path} is a folder, not a list file")
        size = self.path.stat().st_size
        if size == 0:
            raise ImportFileError(f"{self.path} is empty", hint="export the list again; the file has no bytes")
        with self.path.open("rb") as fh:
            head = fh.read(SAMPLE)
        if head.startswith(b"PK\x03\x04") or self.path.suffix.lower() in (".xlsx", ".xlsm"):
            self.info = FileInfo(self.path, "xlsx", size=size, sheet=sheet)
            self._xlsx = _XlsxReader(self.path, sheet)
            self.info.sheet = self._xlsx.sheet_name
            headers = self._xlsx.headers()
        else:
            self.info = FileInfo(self.path, "csv", size=size)
            self._init_text(head, size, encoding, delimiter)
            headers = self._read_headers()
        self.info.headers, self.info.header_notes = _clean_headers(headers)

    # -- CSV ----------------------------------------------------------------------------------

    def _init_text(self, head: bytes, size: int, encoding: str | None, delimiter: str | None) -> None:
        if encoding:
            self.info.encoding, self.info.encoding_reason = check_codec(encoding), "given"
        else:
            found = detect_encoding(head, complete=size <= len(head))
            self.info.encoding, self.info.encoding_reason = found.encoding, found.reason
        try:
            cut = head if size <= len(head) else head[:-4]  # a character may be split at the sample's end
            sample = cut.decode(self.info.encoding, errors="strict" if encoding else "replace")
        except UnicodeDecodeError as exc:
            guess = detect_encoding(head, complete=size <= len(head))
            raise ImportFileError(
                f"{self.path} is not valid {self.info.encoding} (byte {exc.start}: {head[exc.start:exc.start + 4]!r})",
                hint=f"it looks like {guess.encoding}: try --encoding {guess.encoding}, or leave --encoding out") from None
        if looks_binary(head, self.info.encoding):
            raise ImportFileError(f"{self.path} does not look like a text list (binary content)",
                                  hint="import a CSV, TSV or XLSX file")
        self.info.delimiter = delimiter or _sniff_delimiter(sample)

    def _text(self) -> IO[str]:
        raw = self.path.open("rb")
        return io.TextIOWrapper(raw, encoding=self.info.encoding, errors="strict", newline="")

    def _reader(self, fh: IO[str]) -> Iterator[list[str]]:
        csv.field_size_limit(MAX_CELL)  # a bigger cell stops the reader (reported), memory stays bounded
        lines = (line.replace("\x00", NUL_MARK) if "\x00" in line else line for line in fh)
        return csv.reader(lines, delimiter=self.info.delimiter, quotechar='"', doublequote=True, strict=False)

    def _read_headers(self) -> list[str]:
        with self._text() as fh:
            try:
                for cells in self._reader(fh):
                    if any(c.strip() for c in cells):
                        return cells
            except UnicodeDecodeError as exc:
                raise ImportFileError(f"{self.path}: the header is not valid {self.info.encoding}",
                                      hint="pass the right --encoding") from exc
            except csv.Error as exc:
                raise ImportFileError(f"{self.path}: cannot read the header: {exc}") from None
        raise ImportFileError(f"{self.path} has no header row", hint="the first line must name the columns")

    def rows(self, select: Callable[[int, list[str]], bool] | None = None) -> Iterator[RawRow]:
        """Data rows in file order; unreadable rows come with a `problem`, never an exception.

        `select(row number, cells)` picks the rows wanted (a parallel import's share) before any
        other work is done on them."""
        if self.info.format == "xlsx":
            rows = self._xlsx.rows()
            yield from rows if select is None else (r for r in rows if select(r.number, r.cells))
            return
        yield from self._csv_rows(select)

    def _csv_rows(self, select: Callable[[int, list[str]], bool] | None) -> Iterator[RawRow]:
        with self._text() as fh:
            reader = self._reader(fh)
            header_seen = False
            line = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError as exc:
                    end = RawRow(reader.line_num + 1, [], f"bytes not valid {self.info.encoding} near here "
                                                         f"({exc.reason}); the rest of the file cannot be read")
                except csv.Error as exc:
                    end = RawRow(reader.line_num, [], f"the file could not be read from line {line + 1} on ({exc}; "
                                                      f"an unclosed quote or a cell over {MAX_CELL // 2**20} MB?): "
                                                      "fix it and import again")
                else:
                    end = None
                if end is not None:  # the rest cannot be read: one row says so
                    if select is None or select(end.number, end.cells):
                        yield end
                    return
                start, line = line + 1, reader.line_num
                if header_seen and select is not None and not select(start, cells):
                    continue
                joined = "".join(cells)
                blank = not joined.strip()
                if not header_seen:
                    header_seen = not blank
                    continue
                if blank:
                    continue  # blank lines are not rows
                spans = line - start
                # cheap checks first: most rows have no NUL, fit on one line and are small
                if spans or NUL_MARK in joined or len(joined) > 1_000_000:
                    yield RawRow(start, cells, _cell_problem(cells, spans))
                else:
                    yield RawRow(start, cells)

    @property
    def position(self) -> int:
        return 0


def _cell_problem(cells: list[str], extra_lines: int) -> str | None:
    for i, c in enumerate(cells):
        if NUL_MARK in c:
            return f"column {i + 1} contains NUL bytes"
        if len(c) > 1_000_000:
            hint = " (an unclosed quote? the cell spans %d lines)" % extra_lines if extra_lines > 100 else ""
            return f"column {i + 1} is {len(c) / 1e6:.1f} MB, larger than any field allows{hint}"
    if extra_lines > 1000:
        return (f"one row spans {extra_lines + 1} lines: an unclosed quote swallowed the rest of the file; "
                "fix the quote and re-import")
    return None


def _sniff_delimiter(sample: str) -> str:
    lines = [l for l in sample.splitlines()[:50] if l.strip()]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS}
        return max(counts, key=counts.get) if max(counts.values()) else ","


def _clean_headers(headers: list[str]) -> tuple[list[str], list[str]]:
    """Strip headers, name blank ones, and make duplicates unique (noting what was changed)."""
    out, notes, seen = [], [], {}
    for i, h in enumerate(headers):
        name = (h or "").replace(NUL_MARK, "").strip().lstrip("\ufeff") or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            new = f"{name} ({seen[name]})"
            notes.append(f"duplicate header {name!r} in column {i + 1} renamed {new!r}")
            name = new
        else:
            seen[name] = 1
        out.append(name)
    return out, notes


class _XlsxReader:
    """First (or named) sheet of a workbook; merged cells filled from their top-left cell."""

    def __init__(self, path: Path, sheet: str | None):
        import openpyxl
        try:
            # read_only keeps memory flat but hides merged ranges; small books are read in full
            small = path.stat().st_size < 20 * 1024 * 1024
            self.book = openpyxl.load_workbook(path, read_only=not small, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise ImportFileError(f"{path} is not a readable XLSX workbook: {exc}",
                                  hint="save it again as .xlsx, or export CSV") from None
        names = self.book.sheetnames
        if sheet and sheet not in names:
            raise ImportFileError(f"no sheet {sheet!r} in {path.name}", hint="sheets: " + ", ".join(names))
        self.sheet_name = sheet or names[0]
        self.ws = self.book[self.sheet_name]
        # the same sheet with formulas instead of results: a formula Excel never computed reads as empty
        self.formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)[self.sheet_name]
        self.merged: dict[tuple[int, int], object] = {}
        for rng in getattr(self.ws, "merged_cells", None) and self.ws.merged_cells.ranges or []:
            value = self.ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.merged[(r, c)] = value
        self._header_row = 1

    def _values(self) -> Iterator[tuple[int, list[object]]]:
        for r, row in enumerate(self.ws.iter_rows(values_only=True), start=1):
            cells = list(row)
            for c in range(len(cells)):
                if cells[c] is None and (r, c + 1) in self.merged:
                    cells[c] = self.merged[(r, c + 1)]
            yield r, cells

    def headers(self) -> list[str]:
        for r, cells in self._values():
            if any(v not in (None, "") for v in cells):
                self._header_row = r
                return ["" if v is None else str(v) for v in cells]
        raise ImportFileError("the sheet has no header row", hint="the first row must name the columns")

    def rows(self) -> Iterator[RawRow]:
        formulas = self.formulas.iter_rows(values_only=True)
        for r, cells in self._values():
            written = next(formulas, ())
            if r <= self._header_row or all(v in (None, "") for v in cells):
                continue
            text = [_cell_text(v) for v in cells]
            yield RawRow(r, text, _xlsx_problem(cells, written))


EXCEL_ERRORS = {"#REF!", "#DIV/0!", "#VALUE!", "#N/A", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}


def _xlsx_problem(values: list[object], written: tuple) -> str | None:
    """Why a row's cells cannot be trusted: a formula without a saved result, or an Excel error value."""
    for i, v in enumerate(values):
        if v is None and i < len(written) and isinstance(written[i], str) and written[i].startswith("="):
            return (f"column {i + 1} holds a formula ({written[i][:40]}) without a saved result: open and save "
                    "the workbook in Excel (or paste values), then import again")
        if isinstance(v, str) and v in EXCEL_ERRORS:
            return f"column {i + 1} holds the Excel error {v}"
    return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
