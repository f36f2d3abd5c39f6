"""The shipped territory table: every country placed, sensible main time zones, states by zone."""

from __future__ import annotations

import zoneinfo

import pycountry
import pytest

from leadbridge.routing.config import RoutingConfig
from leadbridge.routing.router import Router
from leadbridge.routing.territory import REGIONS, countries, default_territories, states


@pytest.mark.parametrize("country,state,territory,zone", [
    ("Deutschland", None, "EMEA", "Europe/Berlin"),
    ("USA", "Calif.", "NA West", "America/Los_Angeles"),
    ("United States", "Texas", "NA Central", "America/Chicago"),
    ("U.S.A.", "Mass.", "NA East", "America/New_York"),
    ("USA", None, "NA", "America/New_York"),
    ("Canada", "Québec", "NA East", "America/Toronto"),
    ("Canada", "BC", "NA West", "America/Vancouver"),
    ("Canada", None, "NA", "America/Toronto"),
    ("中国", None, "APAC", "Asia/Shanghai"),
    ("Brasil", None, "LATAM", "America/Sao_Paulo"),
    ("Brazil", "Amazonas", "LATAM", "America/Manaus"),
    ("Australia", None, "APAC", "Australia/Sydney"),
    ("Australia", "Western Australia", "APAC", "Australia/Perth"),
    ("Russia", None, "EMEA", "Europe/Moscow"),
    ("Mexico", "Baja California", "LATAM", "America/Tijuana"),
    ("Puerto Rico", None, "NA East", "America/Puerto_Rico"),
    ("Falkland Islands", None, "LATAM", "Atlantic/Stanley"),
    ("Kazakhstan", None, "EMEA", "Asia/Almaty"),
    ("United Arab Emirates", None, "EMEA", "Asia/Dubai"),
    ("India", None, "APAC", "Asia/Kolkata"),
    ("Europe", None, None, None),
])
def test_default_territories_and_time_zones(country, state, territory, zone):
    d = Router(RoutingConfig()).decide({"country": country, "state": state})
    assert (d.territory, d.time_zone) == (territory, zone)
    assert d.queue == "Unassigned queue"  # no teams configured: everyone to the fallback queue


def test_every_country_is_in_the_table_with_a_region_and_a_real_zone():
    table = countries()
    assert {c.alpha_2 for c in pycountry.countries} == set(table)
    for code, place in table.items():
        if code == "AQ":  # Antarctica: no region, no zone
            assert place.region is None and place.time_zone is None
            continue
        assert place.region in REGIONS, code
        if place.time_zone:
            zoneinfo.ZoneInfo(place.time_zone)
    unzoned = sorted(code for code, p in table.items() if p.time_zone is None)
    assert unzoned == ["AQ", "BV", "HM"]  # uninhabited


def test_states_cover_every_subdivision_of_the_countries_with_states():
    have = set(states())
    for country in ("US", "CA", "AU", "BR", "MX"):
        subs = {s.code for s in pycountry.subdivisions.get(country_code=country) if s.parent_code is None}
        assert subs <= have, subs - have
    for place in states().values():
        zoneinfo.ZoneInfo(place.time_zone)


def test_default_territories_place_each_country_once():
    seen: dict[str, str] = {}
    for t in default_territories():
        for c in t["countries"]:
            assert c not in seen, (c, seen.get(c), t["name"])
            seen[c] = t["name"]
    assert len(seen) == len(countries()) - 1  # all but Antarctica
    names = [t["name"] for t in default_territories()]
    assert names == ["NA West", "NA Central", "NA East", "NA", "LATAM", "EMEA", "APAC"]
