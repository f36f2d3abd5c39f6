"""Rendering for the CLI: rich tables for people, JSON for scripts."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict
        return asdict(value)
    if hasattr(value, "value"):
        return value.value
    return str(value)


def print_json(data: Any) -> None:
    """Print `data` as JSON on stdout (dates as ISO 8601, UTC)."""
    sys.stdout.write(json.dumps(data, default=_default, ensure_ascii=False, indent=2) + "\n")


def print_table(rows: Sequence[dict[str, Any]], columns: Iterable[str], title: str | None = None) -> None:
    cols = list(columns)
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*("" if r.get(c) is None else str(_default(r.get(c)) if not isinstance(r.get(c), str)
                                                          else r.get(c)) for c in cols))
    console.print(table)


def print_record(record: dict[str, Any], title: str | None = None, hide_empty: bool = True) -> None:
    table = Table(title=title, show_header=False, box=None)
    table.add_column("field", style="bold cyan")
    table.add_column("value", overflow="fold")
    for k, v in record.items():
        if hide_empty and v in (None, ""):
            continue
        table.add_row(k, v if isinstance(v, str) else str(_default(v)))
    console.print(table)
