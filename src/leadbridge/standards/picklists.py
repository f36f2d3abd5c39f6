"""The CRM's country and state picklists, read from its cached describe, and how values render.

The normalizers map input to ISO codes (country alpha-2, ISO 3166-2 subdivision); this module
picks the CRM's own picklist entry for that code: by code where the CRM uses ISO, else by label
(Salesforce's default China states are GB/T 2260 numbers, "11" Beijing; Mexico's are legacy
codes). Entries are matched by running their labels through the same normalizers, so no table of
CRM codes is hard-coded. States are split per country by the dependent picklist's `validFor`
bitmap (controller: the CountryCode picklist), as Salesforce describes them.

Without a cached describe, values render as ISO codes or English (ISO) names.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from leadbridge.crm import describe_cache
from leadbridge.standards.country import country_label, key, known_codes, normalize_country
from leadbridge.standards.subdivision import lookup_state, state_name

DESCRIBED = ("Lead", "Contact", "Account")
# Countries whose states Salesforce ships by default (help: admin_state_country_picklists_overview, plus JP):
# where a describe gives no `validFor` bitmap, state entries are matched within these only.
DEFAULT_STATE_COUNTRIES = ("US", "CA", "AU", "BR", "CN", "IN", "IE", "IT", "JP", "MX")


@dataclass(frozen=True)
class Entry:
    value: str
    label: str


@dataclass
class CrmPicklists:
    """Country entries by ISO code, state entries by country and subdivision code, and the reverse."""

    countries: dict[str, Entry] = field(default_factory=dict)
    states: dict[str, dict[str, Entry]] = field(default_factory=dict)
    country_of: dict[str, str] = field(default_factory=dict)  # exact CRM value/label → ISO
    state_of: dict[tuple[str, str], str] = field(default_factory=dict)  # (ISO country, CRM value/label) → code
    source: str = ""

    @classmethod
    def from_describe(cls, describe: dict[str, Any], source: str = "") -> "CrmPicklists | None":
        fields = {f.get("name"): f for f in describe.get("fields", [])}
        cname = next((n for n in fields if n and n.endswith("CountryCode")), None)
        if cname is None:
            return None
        out = cls(source=source)
        controller = fields[cname].get("picklistValues") or []
        order: list[str | None] = []
        for p in controller:
            value, label = p.get("value"), p.get("label") or p.get("value")
            iso = value if value in known_codes() else normalize_country(label).code
            order.append(iso)
            if not p.get("active", True) or not value or iso is None:
                continue
            out.countries.setdefault(iso, Entry(value, label))
            out.country_of[value] = out.country_of[label] = iso
        sfield = fields.get(cname[: -len("CountryCode")] + "StateCode")
        if sfield:
            out._add_states(sfield, order)
        return out

    def _add_states(self, sfield: dict[str, Any], order: list[str | None]) -> None:
        for p in sfield.get("picklistValues") or []:
            if not p.get("active", True) or not p.get("value"):
                continue
            value, label = p["value"], p.get("label") or p["value"]
            valid = _valid_for(p.get("validFor"), order)
            candidates = valid if valid is not None else [c for c in DEFAULT_STATE_COUNTRIES if c in self.countries]
            for cc in candidates:
                code = lookup_state(label, cc) or (lookup_state(value, cc) if valid is not None else None)
                if code is None:
                    continue
                table = self.states.setdefault(cc, {})
                table.setdefault(code, Entry(value, label))
                self.state_of[(cc, value)] = self.state_of[(cc, label)] = code

    # -- rendering -------------------------------------------------------------------------------

    def render_country(self, iso: str, mode: Literal["label", "code"]) -> tuple[str, str | None]:
        """(value to store, problem or None)."""
        entry = self.countries.get(iso)
        if entry is None:
            host = next((cc for cc, table in self.states.items()
                         if any(key(e.label) == key(country_label(iso)) for e in table.values())), None)
            hint = f" (the CRM lists it as a state of {host})" if host else ""
            return (iso if mode == "code" else country_label(iso),
                    f"{iso} ({country_label(iso)}) is not in the CRM's country picklist{hint}")
        return (entry.value if mode == "code" else entry.label), None

    def has_states(self, iso_country: str) -> bool:
        return bool(self.states.get(iso_country))

    def render_state(self, iso_country: str, code: str, mode: Literal["code", "name"]) -> tuple[str, str | None]:
        table = self.states.get(iso_country)
        if not table:  # the CRM has no state list for this country: any text is accepted
            return _iso_state(iso_country, code, mode), None
        entry = table.get(code)
        if entry is None:
            return (_iso_state(iso_country, code, mode),
                    f"{iso_country}-{code} is not in the CRM's state picklist for {iso_country}")
        return (entry.value if mode == "code" else entry.label), None


def _iso_state(country: str, code: str, mode: str) -> str:
    return (state_name(country, code) or code) if mode == "name" else code


def _valid_for(bits: str | None, order: list[str | None]) -> list[str] | None:
    """The controller values (ISO countries) a dependent entry is valid for; None without a bitmap."""
    if not bits:
        return None
    data = base64.b64decode(bits)
    return [cc for i, cc in enumerate(order) if cc and i >> 3 < len(data) and data[i >> 3] & (0x80 >> (i % 8))]


_CACHE: dict[str, tuple[tuple, CrmPicklists | None]] = {}


def load(root: Path | None) -> CrmPicklists | None:
    """The picklists of the first cached describe (Lead, Contact, Account) with a CountryCode field;
    re-read only when a describe file changes."""
    if root is None:
        return None
    files = [Path(root) / describe_cache.FOLDER / f"{obj}.json" for obj in DESCRIBED]
    stamp = tuple(os.stat(f).st_mtime_ns if f.exists() else 0 for f in files)
    cached = _CACHE.get(str(root))
    if cached and cached[0] == stamp:
        return cached[1]
    found = None
    for obj in DESCRIBED:
        data = describe_cache.load(Path(root), obj)
        if data:
            found = CrmPicklists.from_describe(data["describe"], source=obj)
            if found:
                break
    _CACHE[str(root)] = (stamp, found)
    return found
