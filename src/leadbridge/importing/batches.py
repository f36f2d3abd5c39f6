"""Rows to batches to the one door: each batch written (with its list memberships) and accounted for.

The same loop runs the whole file in a serial import and one worker's share in a parallel one.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

from leadbridge.importing.options import ImportOptions, ImportReport
from leadbridge.importing.rows import BuiltRow, RowBuilder, merge_duplicates
from leadbridge.importing.sources import RawRow
from leadbridge.model.changes import Change, Outcome, Source, WriteResult

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

PREVIEW_ROWS = 5


class RejectSink(Protocol):
    count: int

    def add(self, number: int, cells: list[str], reasons: list[str]) -> None: ...


@dataclass(frozen=True)
class ImportJob:
    """How the batches of one import (or of one worker's share) are written."""

    source: Source
    opts: ImportOptions
    size: int
    run_id: int | None = None
    campaign_id: int | None = None
    worker: tuple[int, int] | None = None  # (index, count) in a parallel import
    concurrent: bool = False  # prepare batches outside the write lock (parallel workers)

    def checkpoint(self, number: int) -> str | None:
        """The batch's checkpoint: `import:<run>:size<n>[:w<i>of<count>]:<batch>` (see import_runs.batch_plan_used)."""
        if self.run_id is None:
            return None
        part = f"w{self.worker[0]}of{self.worker[1]}:" if self.worker else ""
        return f"import:{self.run_id}:size{self.size}:{part}{number}"


def write_rows(ws: "Workspace", rows: Iterable[RawRow], builder: RowBuilder, job: ImportJob, report: ImportReport,
               rejects: RejectSink | None, progress: Callable[[int, int], None] | None = None,
               between: Callable[[], None] | None = None) -> None:
    """Build, batch and write `rows`, adding to `report`; `between()` runs before each batch."""
    with _collector_between_batches():
        for number, chunk in enumerate(_batches(iter(rows), job.size)):
            if between:
                between()
            write_batch(ws, [builder.build(r) for r in chunk], job, report, rejects, number)
            if progress:
                progress(report.rows_read, len(chunk))
            gc.freeze()


@contextmanager
def _collector_between_batches() -> Iterator[None]:
    """Keep the garbage collector off what outlives a batch (the normalizers' caches, the keys seen): after
    each batch it is frozen, so collections look at new objects only (they scanned millions of cache
    entries again and again: a third of the time of building rows). The young generation is also
    collected less often. Reference counting frees each batch's rows; frozen objects are released at the end."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 100_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _batches(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


_VALUE = re.compile(r"^(field '[^']+'): .* (is not a valid \w+).*$", re.S)


def _reason_group(reason: str) -> str:
    """Group per-row reasons for the summary: "field 'lead_score': 'high' is not…" → without the value."""
    m = _VALUE.match(reason)
    return f"{m.group(1)}: value {m.group(2)}" if m else reason[:120]


def write_batch(ws: "Workspace", rows: list[BuiltRow], job: ImportJob, report: ImportReport,
                rejects: RejectSink | None, number: int) -> None:
    """Write one batch of built rows through the one door and account for each of them."""
    opts = job.opts
    live = merge_duplicates(rows)

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

    result = ws.write([r.change for r in live], job.source, opts.object, checkpoint=job.checkpoint(number),
                      dry_run=opts.dry_run, describe=account, concurrent=job.concurrent)
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
    if job.campaign_id and info["ids"]:
        member = {"campaign_id": job.campaign_id, **({"status": opts.status} if opts.status else {}),
                  **({"responded": True} if opts.status and opts.status.lower() == "responded" else {})}
        members = [Change({**member, "person_id": pid}) for pid in dict.fromkeys(info["ids"])]
        res = ws.write(members, job.source, "campaign_member", concurrent=job.concurrent)
        report.members += res.count(Outcome.CREATED)
