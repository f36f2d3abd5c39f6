"""One worker of a parallel import: `python -m leadbridge.importing.worker`, its spec pickled on stdin.

It writes its share of the rows (`RowBuilder.shard`) and tells the coordinator, in JSON lines on
stdout, how many rows each batch wrote, then its report (or its error). It stops before its next
batch when the coordinator is gone. See `leadbridge.importing.parallel`.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from leadbridge.errors import LeadbridgeError
from leadbridge.importing.batches import write_rows
from leadbridge.importing.options import ImportReport
from leadbridge.importing.parallel import RejectsPart, WorkerSpec
from leadbridge.importing.rows import RowBuilder
from leadbridge.importing.sources import ListFile


def work(spec: WorkerSpec, send) -> None:
    """Open the workspace, write this worker's rows, and send the report."""
    from leadbridge.workspace import Workspace
    index, count = spec.job.worker
    ws = Workspace.open(Path(spec.root), database_url=spec.database_url, config=spec.config, upgrade=False)
    try:
        lf = ListFile(Path(spec.path), encoding=spec.encoding, delimiter=spec.delimiter)
        report = ImportReport(file=spec.path, format="csv", encoding=spec.encoding, delimiter=spec.delimiter,
                              mapping=[], unmapped=[], header_notes=[])
        builder = RowBuilder(lf.info, spec.mapping, spec.job.opts)
        mine = lf.rows(select=lambda number, cells: builder.shard(number, cells, count) == index)

        def coordinator_alive() -> None:
            if os.getppid() != spec.parent_pid:
                raise SystemExit(1)  # the coordinator is gone (killed): stop before the next batch

        with RejectsPart(Path(spec.rejects_part)) as part:
            write_rows(ws, mine, builder, spec.job, report, part,
                       progress=lambda _done, n: send({"kind": "rows", "n": n}), between=coordinator_alive)
    finally:
        ws.close()
    send({"kind": "done", "report": report.to_dict()})


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle: it stops the workers
    out = sys.stdout.buffer

    def send(msg: dict[str, Any]) -> None:
        out.write(json.dumps(msg, default=str).encode() + b"\n")
        out.flush()

    spec: WorkerSpec = pickle.load(sys.stdin.buffer)
    try:
        work(spec, send)
    except LeadbridgeError as exc:
        send({"kind": "error", "message": str(exc), "hint": exc.hint})
    except Exception:  # noqa: BLE001 - a bug: the coordinator shows the traceback
        send({"kind": "error", "trace": traceback.format_exc()})


if __name__ == "__main__":
    main()
