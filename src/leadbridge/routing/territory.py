"""Where a person is: ISO country and state → region, default territory and time zone (pure, cached).

The tables ship as data files (`routing/data/countries.csv`, `routing/data/states.csv`, documented in
docs/territories.md): every ISO 3166 country with its region (NA, LATAM, EMEA, APAC), default territory
and main IANA time zone; US states and Canadian provinces with their NA sub-territory and zone; Australian,
Brazilian and Mexican states with their zone. Time zones are IANA names, checked with `zoneinfo`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from leadbridge.standards.country import normalize_country
from leadbridge.standards.subdivision import normalize_state

REGIONS = ("NA", "LATAM", "EMEA", "APAC")
# The territories of the default table, in the order they are tried (states before countries).
NA_BY_STATE = ("NA West", "NA Central", "NA East")


@dataclass(frozen=True)
class Place:
    """One row of the shipped tables."""

    code: str  # 'DE', or 'US-CA' for a state
    name: str
    region: str | None
    territory: str | None
    time_zone: str | None


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("leadbridge.routing").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def countries() -> dict[str, Place]:
    """ISO alpha-2 → the country's row."""
    return {r["country"]: Place(r["country"], r["name"], r["region"] or None, r["territory"] or None,
                                r["time_zone"] or None) for r in _rows("countries.csv")}


@lru_cache(maxsize=1)
def states() -> dict[str, Place]:
    """'US-CA' → the state's row (US, CA, AU, BR, MX)."""
    return {f"{r['country']}-{r['state']}": Place(f"{r['country']}-{r['state']}", r["name"], r["region"] or None,
                                                   r["territory"] or None, r["time_zone"] or None)
            for r in _rows("states.csv")}


@lru_cache(maxsize=1)
def countries_with_states() -> frozenset[str]:
    return frozenset(code.split("-")[0] for code in states())


@lru_cache(maxsize=None)
def country_code(value: str | None) -> str | None:
    """ISO alpha-2 of a country as people write it ('Deutschland' → 'DE'), or None."""
    if not value:
        return None
    n = normalize_country(value)
    return n.code if n.ok else None


@lru_cache(maxsize=None)
def state_code(value: str | None, country: str | None) -> str | None:
    """The subdivision code ('Calif.' in US → 'CA'), or None."""
    if not value or not country:
        return None
    n = normalize_state(value, country)
    code = n.code or (n.value if n.ok else None)
    return code.split("-")[-1] if code else None


@lru_cache(maxsize=None)
def time_zone(country: str | None, state: str | None = None) -> str | None:
    """IANA zone for a person: by state where the tables have states, else the country's main zone."""
    if not country:
        return None
    if state:
        row = states().get(f"{country}-{state}")
        if row is not None and row.time_zone:
            return row.time_zone
    row = countries().get(country)
    return row.time_zone if row else None


def default_territories() -> list[dict]:
    """The shipped table as `routing.territories` entries: NA West / Central / East by state (and the
    US territories), NA (US and Canada with no known state, and the rest of North America),
    LATAM, EMEA, APAC — every inhabited country placed."""
    by_name: dict[str, dict] = {}

    def entry(name: str, region: str | None) -> dict:
        return by_name.setdefault(name, {"name": name, "region": region, "countries": [], "states": []})

    for place in states().values():
        if place.territory in NA_BY_STATE:
            entry(place.territory, place.region)["states"].append(place.code)
    for place in countries().values():
        if place.territory:
            entry(place.territory, place.region)["countries"].append(place.code)
    order = [*NA_BY_STATE, "NA", "LATAM", "EMEA", "APAC"]
    return sorted(by_name.values(), key=lambda t: order.index(t["name"]) if t["name"] in order else len(order))
