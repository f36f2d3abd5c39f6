"""Routing + person source for 1M stored people, through the write path (target >= 50,000 people/s).

    python benchmarks/routing_source.py [--people 1000000] [--db both|sqlite|postgresql] [--pg URL]

Builds a workspace of messy demo people (countries and states written the ways people write them, UTM
parameters; no owner, no person source), then measures:
  - `route run`: every person routed inside the write path (decision, counters, owner, territory, time
    zone, field history and outbox in each batch's transaction), three teams (round robin, weighted,
    capacity) and three rules;
  - `source backfill`: every person's source derived and written through the write path;
  - the same two as one figure (routing + source derivation), and the decisions alone (no store).
SQLite always; PostgreSQL too when reachable.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from pgschema import DEFAULT_PG, temp_schema

from leadbridge.demo.people import generate_people
from leadbridge.model import Change, SourceKind
from leadbridge.routing.config import Member, RouteRule, RoutingConfig, Team
from leadbridge.routing.router import Router
from leadbridge.routing.run import run
from leadbridge.routing.territory import country_code
from leadbridge.sourcing.backfill import backfill
from leadbridge.sourcing.config import PersonSourceConfig
from leadbridge.sourcing.derive import SourceDeriver
from leadbridge.workspace import Workspace

REPS = {"NA": [f"na{i}@x.com" for i in range(5)], "EMEA": [f"e{i}@x.com" for i in range(4)],
        "APAC": [f"a{i}@x.com" for i in range(3)]}


def config() -> RoutingConfig:
    return RoutingConfig(
        on_entry=False,
        teams=[Team(name="Americas", regions=["NA", "LATAM"], members=[Member(user=u) for u in REPS["NA"]]),
               Team(name="EMEA", regions=["EMEA"], distribution="weighted",
                    members=[Member(user=u, weight=i + 1) for i, u in enumerate(REPS["EMEA"])]),
               Team(name="APAC", regions=["APAC"], distribution="capacity",
                    members=[Member(user=u, capacity_per_day=1_000_000) for u in REPS["APAC"]])],
        rules=[RouteRule(name="vip", when="lead_score >= 99", user="vip@x.com"),
               RouteRule(name="dach", when="country in (DE, AT, CH)", team="EMEA"),
               RouteRule(name="own territory", when="country is not empty", territory="*")])


def build(root: Path, url: str | None, people: list[dict]) -> Workspace:
    """A workspace holding `people`, normalized by the standards on the way in (setup, not measured)."""
    ws = Workspace.init(root, database_url=url, force=True)
    ws.config.routing = config()
    ws.config.person_source.on_entry = False
    users = [u for team in REPS.values() for u in team] + ["vip@x.com"]
    ws.write([Change({"email": u, "name": u.split("@")[0], "active": True}) for u in users], SourceKind.SYSTEM, "user")
    stages = list(ws.stages)
    ws.stages[:] = [s for s in stages if s.name == "standards"]
    ws.write((Change(p) for p in people), SourceKind.API)
    ws.stages[:] = stages
    return ws


def measure(label: str, url: str | None, root: Path, people: list[dict]) -> None:
    t0 = time.perf_counter()
    ws = build(root, url, people)
    n = len(people)
    print(f"{label}: {n:,} people stored in {time.perf_counter() - t0:.0f} s (setup, not measured)")
    t0 = time.perf_counter()
    routed = run(ws)
    t_route = time.perf_counter() - t0
    assert routed["routed"] == n, routed
    print(f"  route run:       {n / t_route:>9,.0f} people/s ({t_route:.1f} s; {routed['changed']:,} changed)")
    t0 = time.perf_counter()
    filled = backfill(ws)
    t_source = time.perf_counter() - t0
    print(f"  source backfill: {n / t_source:>9,.0f} people/s ({t_source:.1f} s; {filled['filled']:,} filled, "
          f"{filled['still_without_source']:,} without a source)")
    print(f"  routing + source derivation, through the write path: {n / (t_route + t_source):,.0f} people/s")
    ws.close()


def decisions_only(people: list[dict]) -> None:
    router, deriver = Router(config()), SourceDeriver(PersonSourceConfig())
    start = time.perf_counter()
    for p in people:
        router.decide(p)
        deriver.derive(p)
    took = time.perf_counter() - start
    print(f"decisions only (no store): {len(people) / took:,.0f} people/s ({took:.1f} s)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--pg", default=DEFAULT_PG)
    ap.add_argument("--db", choices=["both", "sqlite", "postgresql"], default="both")
    args = ap.parse_args()
    people = [dict(p, email=f"u{i}-{p['email']}") for i, p in enumerate(generate_people(args.people, 3))]
    for p in people:
        p.pop("person_source", None)
        p.pop("owner_id", None)
    country_code("Germany")  # builds the CLDR country-name index once per process (~2 s), not per batch
    decisions_only(people)
    with tempfile.TemporaryDirectory() as tmp:
        if args.db in ("both", "sqlite"):
            measure("sqlite", None, Path(tmp) / "sqlite", people)
        if args.db in ("both", "postgresql"):
            with temp_schema(args.pg) as url:
                if url:
                    measure("postgresql", url, Path(tmp) / "pg", people)
    return 0


if __name__ == "__main__":
    sys.exit(main())
