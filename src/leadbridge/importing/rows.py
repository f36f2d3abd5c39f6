"""Raw rows of a list file into Changes (or reasons to reject them), and which worker takes a row."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any
from zlib import crc32

from leadbridge.importing.mapping import Mapping
from leadbridge.importing.names import split_full_name
from leadbridge.importing.sources import FileInfo, RawRow
from leadbridge.model.changes import Change
from leadbridge.writepath.keys import email_key


@dataclass(slots=True)
class BuiltRow:
    raw: RawRow
    change: Change | None
    reasons: list[str]
    collapsed: bool = False
    key: str | None = None


class RowBuilder:
    """Turns raw rows into Changes (or reasons to reject them), tracking the keys seen in this file."""

    def __init__(self, info: FileInfo, mapping: Mapping, opts):
        self.width = len(info.headers)
        plan = [(i, f) for i, h in enumerate(info.headers) if (f := mapping.columns.get(h))]
        self.plain = [(i, f) for i, f in plan if f not in ("crm_id", "full_name")]
        self.names = [f for _, f in self.plain]
        positions = [i for i, _ in self.plain]
        self.pick = (lambda cells: tuple(cells[i] for i in positions)) if len(positions) < 2 \
            else operator.itemgetter(*positions)  # a row's mapped cells in one C call
        self.crm_col = next((i for i, f in plan if f == "crm_id"), None)
        self.name_col = next((i for i, f in plan if f == "full_name"), None)
        self.email_col = next((i for i, f in plan if f == "email"), None)
        self.opts = opts
        self.first_wins = opts.duplicates == "first"
        # keys met so far; with first_wins also the fields their rows set (the frozensets shared)
        self.seen: Any = {} if self.first_wins else set()
        self._shared: dict[frozenset[str], frozenset[str]] = {}

    def build(self, raw: RawRow) -> BuiltRow:
        if raw.problem:
            return BuiltRow(raw, None, [raw.problem])
        cells, width = raw.cells, self.width
        if len(cells) != width:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                return BuiltRow(raw, None, [f"row has {len(cells)} cells but the header has {width}"])
            if width - len(cells) > 1:
                return BuiltRow(raw, None, [f"row has {len(cells)} cells but the header has {width} (ragged row)"])
            cells = cells + [""] * (width - len(cells))
        # the hot loop of an import: one comprehension per row
        if self.opts.blank_overwrites:
            values: dict[str, Any] = {f: c if (c := cells[i]).strip() else None for i, f in self.plain}
        else:
            picked = self.pick(cells)
            values = dict(zip(self.names, picked)) if all(map(str.strip, picked)) \
                else {f: c for f, c in zip(self.names, picked) if c.strip()}
        crm_id = cells[self.crm_col].strip() or None if self.crm_col is not None else None
        if self.name_col is not None and cells[self.name_col].strip():
            first, last = split_full_name(cells[self.name_col])
            values.setdefault("first_name", first)  # explicit first/last name columns win
            values.setdefault("last_name", last)
        key = f"crm:{crm_id}" if crm_id else (f"email:{k}" if (k := email_key(values.get("email"))) else None)
        if self.opts.object == "person" and key is None:
            return BuiltRow(raw, None, ["no email and no CRM id: nothing to match or create the person by"])
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
        return BuiltRow(raw, change, [], collapsed=collapsed, key=key)

    def shard(self, number: int, cells: list[str], count: int) -> int:
        """Which of `count` workers takes a row: every row of one key (CRM id, else e-mail) goes to the
        same one, so the rows of a key keep their file order; rows without a key are spread by number."""
        col = self.crm_col
        if col is not None and col < len(cells) and (crm := cells[col].strip()):
            return crc32(crm.encode("utf-8", "replace")) % count
        col = self.email_col
        if col is not None and col < len(cells) and (key := email_key(cells[col])):
            return crc32(key.encode("utf-8", "replace")) % count
        return number % count


def merge_duplicates(rows: list[BuiltRow]) -> list[BuiltRow]:
    """Fold rows with the same key within a batch into the first one (their values were already
    narrowed by the builder when the first row wins)."""
    first: dict[str, BuiltRow] = {}
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
