"""Where a person is: ISO country and state → territory, region and time zone (pure, cached)."""

from __future__ import annotations

from functools import lru_cache

import pytz

from leadbridge.standards.country import normalize_country
from leadbridge.standards.subdivision import normalize_state

# US states and Canadian provinces → IANA time zone (the zone most of the state lives in)
STATE_ZONES = {
    "US": {
        "America/New_York": "CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV",
        "America/Chicago": "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI",
        "America/Denver": "CO MT NM UT WY ID", "America/Phoenix": "AZ",
        "America/Los_Angeles": "CA NV OR WA", "America/Anchorage": "AK", "Pacific/Honolulu": "HI",
        "America/Puerto_Rico": "PR VI", "Pacific/Guam": "GU MP", "Pacific/Pago_Pago": "AS",
    },
    "CA": {
        "America/Toronto": "ON QC", "America/Halifax": "NS NB PE", "America/St_Johns": "NL",
        "America/Winnipeg": "MB", "America/Regina": "SK", "America/Edmonton": "AB NT",
        "America/Vancouver": "BC", "America/Whitehorse": "YT", "America/Iqaluit": "NU",
    },
}
# default sub-regions of North America by state/province
NA_SUBREGIONS = {
    "NA West": "US-WA US-OR US-CA US-NV US-ID US-MT US-WY US-UT US-CO US-AZ US-NM US-AK US-HI CA-BC CA-AB CA-YT CA-NT",
    "NA Central": "US-ND US-SD US-NE US-KS US-OK US-TX US-MN US-IA US-MO US-AR US-LA US-WI US-IL US-MI US-IN "
                  "US-KY US-TN US-MS US-AL CA-SK CA-MB CA-NU",
}
MIDDLE_EAST = {"AE", "SA", "IR", "IL", "IQ", "KW", "QA", "BH", "OM", "JO", "LB", "SY", "YE", "CY", "PS", "TR", "GE",
               "AM", "AZ"}
APAC_INDIAN = {"MV", "CX", "CC", "IO"}


@lru_cache(maxsize=None)
def country_code(value: str | None) -> str | None:
    if not value:
        return None
    n = normalize_country(value)
    return n.code if n.ok else None


@lru_cache(maxsize=None)
def state_code(value: str | None, country: str | None) -> str | None:
    if not value or country not in ("US", "CA") and not country:
        return None
    n = normalize_state(value, country)
    code = n.code or (n.value if n.ok else None)
    return code.split("-")[-1] if code else None


@lru_cache(maxsize=None)
def region(country: str) -> str | None:
    """NA, LATAM, EMEA or APAC for an ISO country code, from where its time zones are."""
    if country in ("US", "CA", "PM", "GL", "BM", "UM"):
        return "NA"
    if country in MIDDLE_EAST:
        return "EMEA"
    if country in APAC_INDIAN:
        return "APAC"
    zones = pytz.country_timezones.get(country)
    if not zones:
        return None
    area = zones[0].split("/")[0]
    return {"Europe": "EMEA", "Africa": "EMEA", "Atlantic": "EMEA", "Indian": "EMEA", "Arctic": "EMEA",
            "America": "LATAM", "Asia": "APAC", "Australia": "APAC", "Pacific": "APAC",
            "Antarctica": None}.get(area)


@lru_cache(maxsize=None)
def time_zone(country: str | None, state: str | None = None) -> str | None:
    """IANA zone for a person: by state in the US and Canada, else the country's main zone."""
    if not country:
        return None
    if state and country in STATE_ZONES:
        for zone, states in STATE_ZONES[country].items():
            if state in states.split():
                return zone
    zones = pytz.country_timezones.get(country)
    return zones[0] if zones else None


def default_territories() -> list[dict]:
    """NA West / NA Central / NA East (US/CA by state), LATAM, EMEA, APAC — every country placed."""
    out = [{"name": name, "region": "NA", "states": spec.split()} for name, spec in NA_SUBREGIONS.items()]
    out.append({"name": "NA East", "region": "NA", "countries": ["US", "CA", "PM", "GL", "BM", "UM"]})
    by_region: dict[str, list[str]] = {}
    for code in sorted(pytz.country_timezones):
        r = region(code)
        if r and r != "NA":
            by_region.setdefault(r, []).append(code)
    out += [{"name": r, "region": r, "countries": codes} for r, codes in sorted(by_region.items())]
    return out
