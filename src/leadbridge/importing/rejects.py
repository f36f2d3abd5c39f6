"""The rejects file: each rejected row as it was, plus its row number and reasons, ready to fix and re-import."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from leadbridge.importing.sources import NUL_MARK, FileInfo


class RejectsWriter:
    """Writes rejected rows lazily (no file unless something is rejected), in the input's encoding and delimiter."""

    def __init__(self, path: Path, info: FileInfo):
        self.path, self.info = path, info
        self.count = 0
        self._fh: IO[str] | None = None
        self._writer = None

    def _open(self) -> None:
        csv_in = self.info.format == "csv"
        encoding = (self.info.encoding or "utf-8") if csv_in else "utf-8-sig"
        if encoding in ("utf-16", "utf-32"):
            encoding = encoding  # the codec writes its own BOM
        self._fh = self.path.open("w", encoding=encoding, errors="replace", newline="")
        self._writer = csv.writer(self._fh, delimiter=self.info.delimiter if csv_in else ",")
        self._writer.writerow([*self.info.headers, "leadbridge_row", "leadbridge_reasons"])

    def add(self, number: int, cells: list[str], reasons: list[str]) -> None:
        if self._writer is None:
            self._open()
        width = len(self.info.headers)
        row = [c.replace(NUL_MARK, "") for c in cells[:width]] + [""] * max(0, width - len(cells))
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            reasons = reasons + [f"extra cells: {extra!r}"[:500]]
        self._writer.writerow([*row, number, "; ".join(reasons)])
        self.count += 1

    def close(self) -> None:
        if self._fh:
            self._fh.close()
