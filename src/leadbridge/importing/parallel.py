"""A parallel import: worker processes each write their share of a CSV's rows, side by side.

Rows are shared out by key (`RowBuilder.shard`: CRM id, else e-mail), so all the rows of one key go
to one worker in file order, and duplicates collapse as in a serial import. Each worker reads the
file itself, builds and batches its own rows, and writes them with `concurrent=True`: a batch is
prepared (identity, policies, standards, routing, diff) without the write lock and committed under
it, after checking that nothing it read changed meanwhile (`leadbridge.writepath.pipeline`). Only the
commits take turns, so the per-row work runs on every CPU.

Every batch is checkpointed as `import:<run>:size<n>:w<i>of<count>:<batch>`, so an interrupted
parallel import resumes with the same number of workers and applies no batch twice. Workers send
their progress and their report to the coordinator, write rejected rows to a part file each, and
stop when the coordinator is gone (Ctrl-C, kill). The coordinator merges the reports and writes the
rejects file in file order.

One difference from a serial import: two rows of one person under different keys (a CRM id in one
row, the e-mail in another) may go to different workers, and then apply in the order their batches
commit rather than in file order. `--workers 1` keeps strict file order.
"""

from __future__ import annotations

import heapq
import json
import os
import pickle
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator

from leadbridge.errors import ImportFileError, LeadbridgeError
from leadbridge.importing.batches import ImportJob
from leadbridge.importing.mapping import Mapping
from leadbridge.importing.options import ImportOptions, ImportReport
from leadbridge.importing.sources import ListFile

if TYPE_CHECKING:
    from leadbridge.importing.rejects import RejectsWriter
    from leadbridge.workspace import Workspace

MIN_BYTES = 24 * 2**20  # a smaller CSV imports in one process: starting workers would cost more than they save
MAX_WORKERS = 8


def auto_workers(ws: "Workspace", lf: ListFile, opts: ImportOptions) -> int:
    """How many processes write this import: `--workers`, else one per CPU for a large CSV (at most 8)."""
    if opts.dry_run or lf.info.format != "csv" or not can_run_parallel(ws):
        return 1
    if opts.workers is not None:
        return max(1, opts.workers)
    return min(MAX_WORKERS, os.cpu_count() or 1) if lf.info.size >= MIN_BYTES else 1


def can_run_parallel(ws: "Workspace") -> bool:
    """Workers open the workspace with its default stages: only those may run (and they prepare lock-free)."""
    from leadbridge.stages import default_stage_types
    return ws.pipeline.snapshot_safe and tuple(map(type, ws.stages)) == default_stage_types()


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to write its share (picklable: it crosses into a new process)."""

    root: str
    database_url: str
    config: Any  # the coordinator's LeadbridgeConfig, as it is in memory
    path: str
    encoding: str | None
    delimiter: str
    mapping: Mapping
    job: ImportJob  # its opts are the import's
    rejects_part: str
    parent_pid: int


def run_workers(ws: "Workspace", lf: ListFile, mapping: Mapping, job: ImportJob, count: int, report: ImportReport,
                rejects: "RejectsWriter | None", progress: Callable[[int, int], None] | None) -> None:
    """Run `count` workers over the file and merge what they did into `report` and `rejects`.

    A worker is `python -m leadbridge.importing.worker`: its spec comes pickled on stdin, its
    messages go back as JSON lines on stdout (rows written, its report, or its error)."""
    folder = Path(tempfile.mkdtemp(prefix="leadbridge-import-"))
    specs = [WorkerSpec(str(ws.root), ws.db.url, ws.config, str(lf.path), lf.info.encoding, lf.info.delimiter,
                        mapping, replace(job, worker=(i, count), concurrent=True),
                        str(folder / f"rejects-{i}.jsonl"), os.getpid()) for i in range(count)]
    messages: queue.Queue = queue.Queue()
    procs: list[subprocess.Popen] = []
    try:
        for spec in specs:
            with (folder / f"stderr-{len(procs)}.txt").open("wb") as err:
                proc = subprocess.Popen([sys.executable, "-m", "leadbridge.importing.worker"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=err)
            procs.append(proc)
            proc.stdin.write(pickle.dumps(spec))
            proc.stdin.close()
            threading.Thread(target=_relay, args=(len(procs) - 1, proc.stdout, messages), daemon=True).start()
        parts = _collect(procs, messages, progress, folder)
        for part in parts:
            report.absorb(part)
        if rejects is not None:
            for number, cells, reasons in _merged_rejects([Path(s.rejects_part) for s in specs]):
                rejects.add(number, cells, reasons)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()  # its open transaction is rolled back: committed batches are checkpointed
        for proc in procs:
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
    report.workers = count


def _relay(index: int, out: IO[bytes], messages: queue.Queue) -> None:
    """Pass a worker's messages on, then None when its output ends."""
    for line in out:
        messages.put((index, json.loads(line)))
    messages.put((index, None))


def _collect(procs: list[subprocess.Popen], messages: queue.Queue, progress: Callable[[int, int], None] | None,
             folder: Path) -> list[dict[str, Any]]:
    """Each worker's report, in worker order; progress as rows are written; the first failure raised."""
    reports: dict[int, dict[str, Any]] = {}
    done = 0
    while len(reports) < len(procs):
        index, msg = messages.get()
        if msg is None:  # its output ended: it finished (reported), or it died
            if index not in reports:
                procs[index].wait()
                err = (folder / f"stderr-{index}.txt").read_text(errors="replace").strip()
                raise LeadbridgeError(f"import worker {index} stopped (exit code {procs[index].returncode}) before "
                                      f"it finished{': ' + err.splitlines()[-1] if err else ''}",
                                      hint="run the import again with --resume: finished batches are kept")
        elif msg["kind"] == "rows":
            done += msg["n"]
            if progress:
                progress(done, msg["n"])
        elif msg["kind"] == "done":
            reports[index] = msg["report"]
        elif msg.get("trace"):  # an error: a bug shows its traceback
            raise RuntimeError(f"import worker {index} failed:\n{msg['trace']}")
        else:
            raise ImportFileError(msg["message"], hint=msg.get("hint"))
    return [reports[i] for i in range(len(procs))]


class RejectsPart:
    """One worker's rejected rows, as JSON lines (row number, cells, reasons) in file order."""

    def __init__(self, path: Path):
        self.path, self.count = path, 0
        self._fh = path.open("w", encoding="utf-8")

    def add(self, number: int, cells: list[str], reasons: list[str]) -> None:
        self._fh.write(json.dumps([number, cells, reasons], ensure_ascii=False) + "\n")
        self.count += 1

    def __enter__(self) -> "RejectsPart":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._fh.close()


def _merged_rejects(paths: list[Path]) -> Iterator[tuple[int, list[str], list[str]]]:
    """The rejected rows of every part, in file order."""
    def rows(path: Path) -> Iterator[tuple[int, list[str], list[str]]]:
        if not path.exists():
            return
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                number, cells, reasons = json.loads(line)
                yield number, cells, reasons
    yield from heapq.merge(*map(rows, paths), key=lambda r: r[0])
