"""What an import is asked to do (`ImportOptions`) and what it did with every row (`ImportReport`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


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
    workers: int | None = None  # processes writing a CSV side by side (None: by the file's size and the CPUs)


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
    workers: int = 1  # processes that wrote the rows

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.created + self.updated + self.unchanged + self.collapsed + self.rejected

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "balanced": self.balanced}

    def absorb(self, part: dict[str, Any]) -> None:
        """Add the counts of a part of this import (one worker's rows)."""
        for name in ("rows_read", "created", "updated", "unchanged", "collapsed", "rejected", "members",
                     "resumed_batches"):
            setattr(self, name, getattr(self, name) + part[name])
        for name in ("reject_reasons", "kept_by_policy"):
            mine = getattr(self, name)
            for key, n in part[name].items():
                mine[key] = mine.get(key, 0) + n
