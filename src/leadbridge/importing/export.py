"""CSV export of records, safe to open in a spreadsheet (formula injection escaped)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from leadbridge.model.types import to_text
from leadbridge.store import query

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_COLUMNS = ("id", "first_name", "last_name", "email", "phone", "mobile_phone", "title", "company",
                   "website", "street", "city", "state", "postal_code", "country", "lead_source", "person_source",
                   "lead_status", "lead_score", "created_at", "updated_at")


def escape_cell(text: str) -> str:
    """Prefix a quote to cells a spreadsheet would run as a formula (=, +, -, @, tab, CR)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(ws: "Workspace", path: Path, where: str | None = None, columns: Sequence[str] | None = None,
               obj: str = "person", encoding: str = "utf-8-sig") -> int:
    """Write matching records to CSV (streamed); returns the number of rows written."""
    cols = list(columns or [c for c in DEFAULT_COLUMNS if c in ("id", "created_at", "updated_at")
                            or ws.db.objects[obj].has(c)])
    for c in cols:
        if c not in ("id", "created_at", "updated_at"):
            ws.db.objects[obj].field(c)
    n = 0
    with Path(path).open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(cols)
        for page in query.iter_records(ws.db, obj, where, columns=cols):
            for rec in page:
                writer.writerow([escape_cell(t) if (t := to_text(rec.get(c))) else "" for c in cols])
                n += 1
    return n
