"""The audit of a 1M-person SQLite workspace (target <= 30 s).

    python benchmarks/audit_scale.py [--people 1000000] [--activities 300000]

Builds the workspace through the write path with standards off (the data stays messy: the audit
must re-validate it), adds activity records for some people, caches a Salesforce describe (the
sandbox's Lead) so the CRM checks run, then times `run_audit`.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from leadbridge.audit import run_audit
from leadbridge.crm import describe_cache
from leadbridge.demo.people import generate_people
from leadbridge.model import Change, SourceKind
from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.metadata import Schema
from leadbridge.workspace import Workspace


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--activities", type=int, default=300_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.init(Path(tmp))
        ws.config.standards.enabled = False
        start = time.perf_counter()
        ws.write((Change(dict(p, email=f"a{i}-{p['email']}")) for i, p in enumerate(generate_people(args.people, 5))),
                 SourceKind.LIST_IMPORT)
        rnd, now = random.Random(3), datetime.now(timezone.utc)
        ws.write((Change({"person_id": rnd.randrange(1, args.people + 1), "type": "web_visit",
                          "occurred_at": now - timedelta(days=rnd.randrange(0, 200))}) for _ in range(args.activities)),
                 SourceKind.API, obj="activity")
        print(f"built {args.people:,} people and {args.activities:,} activities in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
        schema = Schema(SandboxConfig())
        for obj in ("Lead", "Account"):
            describe_cache.save(ws.root, obj, schema.describe(obj, "59.0"))
        ws.config.standards.enabled = True
        start = time.perf_counter()
        report = run_audit(ws)
        t = time.perf_counter() - start
        print(f"audit of {report['people']:,} people on SQLite: {t:.1f} s (health {report['health_score']}, "
              f"would fail {report['would_fail_in_crm']['records']:,}, invalid emails {report['emails']['invalid']:,}, "
              f"rule failures {sum(r['count'] for r in report['rule_failures']):,})")
        print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
