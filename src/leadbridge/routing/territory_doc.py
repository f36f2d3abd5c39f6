"""docs/territories.md from the shipped tables (run by `make docs`; a test fails when it is stale)."""

from __future__ import annotations

from leadbridge.routing.territory import countries, default_territories, states

INTRO = """# Default territories and time zones

Generated from `src/leadbridge/routing/data/countries.csv` and `states.csv` by `make docs`.
These are the defaults of `routing.territories` (replace them in leadbridge.yaml: a territory is a
name, a region and lists of ISO countries and `XX-YY` states; states are checked before countries)
and the time zones routing stores in `time_zone` (IANA names, read with `zoneinfo`).

- A person's territory comes from their country, and for the US and Canada from their state or
  province: NA West, NA Central, NA East. US and Canadian people whose state is unknown are in NA.
- The time zone is the state's (US, Canada, Australia, Brazil, Mexico) or else the country's main
  zone: the zone most of its people live in (Brazil: São Paulo, Australia: Sydney, Russia: Moscow,
  Canada: Toronto, US: New York, China: Shanghai, Indonesia: Jakarta, ...).
- Choices worth knowing: Puerto Rico, the US Virgin Islands and the US Pacific territories are NA;
  Greenland, Bermuda and Saint Pierre and Miquelon are NA; Mexico, Central America, the Caribbean,
  the Falklands and South Georgia are LATAM; the Middle East, Turkey, the Caucasus, Russia and
  Central Asia are EMEA; South Asia (India, Pakistan, Bangladesh, Sri Lanka, Nepal, Bhutan, the
  Maldives, Afghanistan) is APAC. Antarctica is in no territory.
"""


def territories_reference() -> str:
    """The Markdown page."""
    parts = [INTRO]
    by_country = countries()
    for t in default_territories():
        parts.append(f"## {t['name']} (region {t['region']})\n")
        if t["states"]:
            parts.append("| state | name | time zone |\n|---|---|---|")
            rows = sorted((states()[s] for s in t["states"]), key=lambda p: p.code)
            parts += [f"| {p.code} | {p.name} | {p.time_zone} |" for p in rows]
            parts.append("")
        if t["countries"]:
            parts.append("| country | name | main time zone |\n|---|---|---|")
            rows = sorted((by_country[c] for c in t["countries"]), key=lambda p: p.code)
            parts += [f"| {p.code} | {p.name} | {p.time_zone or '—'} |" for p in rows]
            parts.append("")
    parts.append("## Time zones by state (Australia, Brazil, Mexico)\n")
    parts.append("| state | name | time zone |\n|---|---|---|")
    parts += [f"| {p.code} | {p.name} | {p.time_zone} |" for code, p in sorted(states().items())
              if code.split("-")[0] in ("AU", "BR", "MX")]
    return "\n".join(parts) + "\n"
