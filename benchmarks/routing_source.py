"""Routing + person-source derivation for 1M people in a batch (target >= 50,000 people/s).

    python benchmarks/routing_source.py [--people 1000000]

Uses the default territory table, three teams (round robin, weighted, capacity) and four rules, on
messy demo people (countries and states written the ways people write them, UTM parameters).
"""

from __future__ import annotations

import argparse
import time

from leadbridge.demo.people import generate_people
from leadbridge.routing.config import Member, RouteRule, RoutingConfig, Team
from leadbridge.routing.router import Router
from leadbridge.routing.territory import country_code
from leadbridge.sourcing.config import PersonSourceConfig
from leadbridge.sourcing.derive import SourceDeriver


def config() -> RoutingConfig:
    return RoutingConfig(
        teams=[Team(name="NA West", members=[Member(user=f"w{i}@x.com") for i in range(5)]),
               Team(name="EMEA", distribution="weighted",
                    members=[Member(user=f"e{i}@x.com", weight=i + 1) for i in range(4)]),
               Team(name="APAC", distribution="capacity",
                    members=[Member(user=f"a{i}@x.com", capacity_per_day=100_000) for i in range(3)])],
        rules=[RouteRule(name="vip", when="lead_score >= 99", user="vip@x.com"),
               RouteRule(name="dach", when="country in (Germany, Deutschland, DE, GER)", team="EMEA"),
               RouteRule(name="own territory", when="country is not empty", territory="*")])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    args = ap.parse_args()
    people = list(generate_people(args.people, 3))
    router, deriver = Router(config()), SourceDeriver(PersonSourceConfig())
    country_code("Germany")  # builds the CLDR country-name index once per process (~2 s), not per batch
    start = time.perf_counter()
    for p in people:
        router.decide(p)
        deriver.derive(p)
    took = time.perf_counter() - start
    print(f"routing + person source for {len(people):,} people: {took:.1f} s, {len(people) / took:,.0f} people/s")


if __name__ == "__main__":
    main()
