"""The normalizers bound to a workspace's config and its CRM picklists, each value computed once.

`Normalizer.country(v)` gives what to store for a country (the CRM picklist's label or code),
`country_iso(v)` the ISO code of any stored or typed country value (a label, a CRM code, a name);
`state(v, cc)` / `state_code(v, cc)` the same for states. Batches of writes, `standards apply`,
`standards check` and the audit all use one Normalizer, so each distinct value is normalized once
per process (bounded caches), not once per row.
"""

from __future__ import annotations

from functools import lru_cache
from leadbridge.standards.config import StandardsConfig
from leadbridge.standards.country import country_label, normalize_country
from leadbridge.standards.email import normalize_email
from leadbridge.standards.names import normalize_company, normalize_name
from leadbridge.standards.phone import normalize_phone
from leadbridge.standards.picklists import CrmPicklists
from leadbridge.standards.result import Normalized
from leadbridge.standards.subdivision import normalize_state, state_name
from leadbridge.standards.website import normalize_website

_LIMIT = 262_144  # entries per cache (least recently used dropped first)

# pure normalizers, shared by every Normalizer in the process
country = lru_cache(maxsize=8192)(normalize_country)
state = lru_cache(maxsize=65536)(normalize_state)
email = lru_cache(maxsize=262144)(normalize_email)
name = lru_cache(maxsize=262144)(normalize_name)
company = lru_cache(maxsize=262144)(normalize_company)
phone = lru_cache(maxsize=262144)(normalize_phone)
website = lru_cache(maxsize=65536)(normalize_website)


class Normalizer:
    """Normalizers rendered for one config and (optionally) the CRM's picklists."""

    def __init__(self, cfg: StandardsConfig, picklists: CrmPicklists | None = None):
        self.cfg, self.picklists = cfg, picklists
        # per-instance caches (C lru_cache: cheaper per call than a Python wrapper)
        self.country = lru_cache(maxsize=_LIMIT)(self._country)
        self.country_iso = lru_cache(maxsize=_LIMIT)(self._country_iso)
        self.state = lru_cache(maxsize=_LIMIT)(self._state)
        self.state_code = lru_cache(maxsize=_LIMIT)(self._state_code)
        self.phone = lru_cache(maxsize=_LIMIT)(self._phone)
        self.email, self.name, self.company, self.website = email, name, company, website

    # -- countries -----------------------------------------------------------------------------

    def _country_iso(self, value: object) -> str | None:
        if value is None:
            return None
        text = str(value).strip()
        if self.picklists and text in self.picklists.country_of:
            return self.picklists.country_of[text]
        return country(text).code

    def _country(self, value: object) -> Normalized:
        """What to store for a country value: the CRM's entry (label or code), or no match."""
        text = str(value)
        iso = self._country_iso(text)
        if iso is None:
            return country(text)
        why = country(text).reason if country(text).code else f"{text!r} → {iso} (CRM value)"
        if self.picklists is None:
            shown = country_label(iso) if self.cfg.country_render == "label" else iso
            return Normalized(shown, iso, reason=why)
        shown, problem = self.picklists.render_country(iso, self.cfg.country_render)
        if problem:
            return Normalized(shown, iso, ok=False, flags=("not_in_crm",), reason=problem)
        return Normalized(shown, iso, reason=why)

    # -- states --------------------------------------------------------------------------------

    def _state_code(self, value: object, cc: str | None) -> str | None:
        """The ISO 3166-2 subdivision code (after the dash) of a stored or typed state, within `cc`."""
        if value is None or not cc:
            return None
        text = str(value).strip()
        if self.picklists and (cc, text) in self.picklists.state_of:
            return self.picklists.state_of[(cc, text)]
        n = state(text, cc)
        return n.value if n.code else None

    def _state(self, value: object, cc: str | None) -> Normalized:
        text = str(value)
        code = self._state_code(text, cc)
        if code is None:
            return state(text, cc)
        why = f"{text!r} → {cc}-{code}"
        if self.picklists is None or not self.picklists.countries:
            shown = (state_name(cc, code) or code) if self.cfg.state_render == "name" else code
            return Normalized(shown, f"{cc}-{code}", reason=why)
        shown, problem = self.picklists.render_state(cc, code, self.cfg.state_render)
        if problem:
            return Normalized(shown, f"{cc}-{code}", ok=False, flags=("not_in_crm",), reason=problem)
        return Normalized(shown, f"{cc}-{code}", reason=why)

    # -- the rest ------------------------------------------------------------------------------

    def _phone(self, value: object, cc: str | None) -> Normalized:
        return phone(str(value), cc)

