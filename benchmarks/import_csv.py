"""Import a large CSV into an empty workspace, then again with half the values changed.

    python benchmarks/import_csv.py [--rows 1000000] [--pg URL] [--pg-rows N] [--no-pg]

Prints rows/s, wall time and peak memory for both runs (SQLite, and PostgreSQL when reachable). A file
this size is written by one worker process per CPU (`--workers` to choose); the peak memory is that of
the whole process tree (this process and its workers together), sampled every 0.1 s.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import threading
import time
from pathlib import Path

import psutil

from pgschema import DEFAULT_PG, temp_schema

from leadbridge.demo.people import generate_people
from leadbridge.importing import ImportOptions, run_import
from leadbridge.workspace import Workspace

COLUMNS = ["First Name", "Last Name", "Email", "Company", "Title", "Phone", "City", "State", "Postal Code",
           "Country", "utm_source", "utm_medium", "Notes"]
KEYS = ["first_name", "last_name", "email", "company", "title", "phone", "city", "state", "postal_code",
        "country", "utm_source", "utm_medium"]


def write_file(path: Path, rows: int, changed: float, seed: int) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for i, p in enumerate(generate_people(rows, seed=3)):
            cells = [p.get(k) or "" for k in KEYS]
            cells[2] = f"b{i}-{cells[2]}"
            note = f"note {i}"  # ~150 bytes a row: 1M rows ≈ 150 MB
            if rnd.random() < changed:
                cells[4] = cells[4] + " II"
                note += "changed"
            w.writerow([*cells, note])


class TreeMemory:
    """The peak resident memory of this process and its children, added up, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        me = psutil.Process()
        while True:
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.1)

    def mb(self) -> float:
        return self.peak / 2**20


MEMORY = TreeMemory()


def run(url: str | None, root: Path, files: list[Path], workers: int | None) -> None:
    ws = Workspace.init(root, database_url=url, force=True)
    for label, f in zip(("empty workspace", "again, ~50% changed"), files):
        start = time.perf_counter()
        rep = run_import(ws, f, ImportOptions(list_name=f.stem, rejects=root / "rejects.csv", workers=workers))
        t = time.perf_counter() - start
        assert rep.balanced
        print(f"  {label:<22} {rep.rows_read / t:>9,.0f} rows/s  {t:6.1f} s  {rep.workers} worker(s)  "
              f"(created {rep.created:,}, updated {rep.updated:,}, unchanged {rep.unchanged:,}, rejected {rep.rejected:,})",
              flush=True)
        print(f"  {'':<22} peak memory so far (all processes): {MEMORY.mb():,.0f} MB", flush=True)
    ws.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pg", default=DEFAULT_PG)
    ap.add_argument("--pg-rows", type=int, help="rows for the PostgreSQL run (default: --rows)")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--workers", type=int, help="import processes (default: by file size and CPUs)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)

        def files(rows: int) -> list[Path]:
            first, second = tmpd / f"list-{rows}.csv", tmpd / f"list-{rows}-changed.csv"
            if not first.exists():
                write_file(first, rows, 0.0, 1)
                write_file(second, rows, 0.5, 2)
            print(f"{rows:,} rows, {first.stat().st_size / 1e6:,.0f} MB", flush=True)
            return [first, second]
        if not args.no_sqlite:
            pair = files(args.rows)
            print("sqlite:")
            run(None, tmpd / "sqlite", pair, args.workers)
        if not args.no_pg:
            with temp_schema(args.pg) as url:
                if url:
                    pair = files(args.pg_rows or args.rows)
                    print("postgresql:")
                    run(url, tmpd / "pg", pair, args.workers)
    print(f"peak memory (all processes): {MEMORY.mb():,.0f} MB")


if __name__ == "__main__":
    main()
