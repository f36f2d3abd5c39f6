"""The audit of a 1M-person SQLite workspace (target <= 30 s).

    python benchmarks/audit_scale.py [--people 1000000]

Builds the workspace through the write path with standards off (the data stays messy), then times `run_audit`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from leadbridge.audit import run_audit
from leadbridge.demo.people import generate_people
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp))
        ws.config.standards.enabled = False
        start = time.perf_counter()
        ws.write((Change(dict(p, email=f"a{i}-{p['email']}")) for i, p in enumerate(generate_people(args.people, 5))),
                 SourceKind.LIST_IMPORT)
        print(f"built {args.people:,} people in {time.perf_counter() - start:.0f} s", flush=True)
        start = time.perf_counter()
        report = run_audit(ws)
        t = time.perf_counter() - start
        print(f"audit of {report['people']:,} people on SQLite: {t:.1f} s (health {report['health_score']})")


if __name__ == "__main__":
    main()
