"""States and provinces → ISO 3166-2 subdivision codes, within a known country.

Per country the index holds pycountry's codes and names, the names in its 70 iso3166-2
translations (北京市, 東京, Bavaria, Bavière, Квебек…), each also without its
administrative suffix (Shi, Sheng, 省, 市, 都, 府, Prefecture, State…), and the reviewed
alias file `data/subdivision_aliases.yaml` (AP style `Calif.`, French Quebec names, CDMX/DF,
NRW, legacy Indian codes, the US military AA/AE/AP). Two-letter input is ambiguous across
countries (CA, IN), so states are resolved only within a country. A name that two
subdivisions of one country share matches nothing, except a parent and its own child
(Madrid the community and the province), where the parent wins.
"""

from __future__ import annotations

import gettext
import os
from functools import lru_cache
from importlib import resources

import pycountry
import yaml

from leadbridge.standards.country import key
from leadbridge.standards.result import Normalized

# Salesforce's default state lists use these levels, not the top one (research §2)
_PREFERRED_LEVEL = {"IT": ("Province", "Metropolitan city", "Free municipal consortium", "Autonomous province"),
                    "IE": ("County",)}


@lru_cache(maxsize=1)
def aliases() -> dict:
    text = resources.files("leadbridge.standards").joinpath("data/subdivision_aliases.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def _translations() -> list[gettext.NullTranslations]:
    folder = pycountry.LOCALES_DIR
    out = []
    for lang in sorted(os.listdir(folder)):
        if os.path.exists(os.path.join(folder, lang, "LC_MESSAGES", "iso3166-2.mo")):
            out.append(gettext.translation("iso3166-2", folder, languages=[lang]))
    return out


@lru_cache(maxsize=1)
def _affixes() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(word suffixes, CJK suffixes, word prefixes), longest first."""
    data = aliases()
    words = sorted((key(s) for s in data["suffixes"] if key(s).isascii()), key=len, reverse=True)
    cjk = sorted((s for s in data["suffixes"] if not s.isascii()), key=len, reverse=True)
    prefixes = sorted((key(p) for p in data["prefixes"]), key=len, reverse=True)
    return tuple(words), tuple(cjk), tuple(prefixes)


def bare(k: str) -> str:
    """A key without its administrative suffix or prefix ('beijing shi' → 'beijing', '東京都' → '東京')."""
    words, cjk, prefixes = _affixes()
    for p in prefixes:
        if k.startswith(p + " ") and len(k) > len(p) + 1:
            k = k[len(p) + 1:]
            break
    for s in words:
        if k.endswith(" " + s) and len(k) > len(s) + 1:
            return k[: -len(s) - 1]
    for s in cjk:
        if k.endswith(s) and len(k) > len(s) + 1:
            return k[: -len(s)]
    return k


def _names(sub) -> set[str]:
    names = {sub.name}
    for t in _translations():
        names.add(t.gettext(sub.name))
    return names


@lru_cache(maxsize=None)
def _table(country: str) -> dict[str, str]:
    """key → subdivision code (the part after 'XX-') for one country; ambiguous keys dropped."""
    subs = list(pycountry.subdivisions.get(country_code=country) or [])
    parent = {s.code.split("-", 1)[1]: (s.parent_code or "").split("-", 1)[-1] or None for s in subs}
    level = {s.code.split("-", 1)[1]: s.type for s in subs}
    preferred = _PREFERRED_LEVEL.get(country)
    table: dict[str, str | None] = {}  # translations: a name two subdivisions share is dropped
    primary: dict[str, str | None] = {}  # ISO names (and without their suffix): win over translations
    strong: dict[str, str] = {}

    def pick(a: str, b: str) -> str | None:
        if preferred:
            pa, pb = level.get(a) in preferred, level.get(b) in preferred
            if pa != pb:
                return a if pa else b
        if parent.get(b) == a:
            return a
        if parent.get(a) == b:
            return b
        return None

    def add(into: dict[str, str | None], k: str, code: str) -> None:
        if not k:
            return
        if k in into and into[k] not in (code, None):
            into[k] = pick(into[k], code)
        elif k not in into:
            into[k] = code

    for s in subs:
        code = s.code.split("-", 1)[1]
        strong[key(code)] = code
        strong[key(s.code)] = code
        for name in _names(s):
            k = key(name)
            add(table, k, code)
            add(table, bare(k), code)
        add(primary, key(s.name), code)
        add(primary, bare(key(s.name)), code)
    data = aliases()
    for code, names in (data.get("extra_subdivisions") or {}).get(country, {}).items():
        strong[key(code)] = code
        for name in names:
            strong[key(name)] = code
    for form, code in (data.get("aliases") or {}).get(country, {}).items():
        strong[key(form)] = code
    out = {k: v for k, v in table.items() if v}
    for k, v in primary.items():
        if v and table.get(k) not in (None, v):
            v = pick(table[k], v) or v  # Madrid: the community (parent) over the province of its name
        if v:
            out[k] = v
    out.update(strong)
    return out


def has_subdivisions(country: str) -> bool:
    return bool(_table(country.upper()))


def lookup_state(text: str, country: str) -> str | None:
    """The subdivision code (after 'XX-') of `text` in `country`, or None."""
    table = _table(country.upper())
    k = key(text)
    code = table.get(k)
    if code is None:
        code = table.get(bare(k))
    return code


def normalize_state(value: object, country: str | None) -> Normalized:
    """→ the subdivision code for `country` (ISO alpha-2), or no match (flagged)."""
    if value is None or not str(value).strip():
        return Normalized(None, reason="empty")
    text = str(value)
    if not country:
        return Normalized(text.strip(), ok=False, flags=("no_country",), reason="state given without a country")
    cc = country.upper()
    if not has_subdivisions(cc):
        return Normalized(text.strip(), reason=f"{cc} has no subdivisions to check")
    code = lookup_state(text, cc)
    if code is None:
        return Normalized(None, ok=False, flags=("no_match",), reason=f"{text!r} is not a subdivision of {cc}")
    return Normalized(code, f"{cc}-{code}", reason=f"{text!r} → {cc}-{code}")


def state_name(country: str, code: str) -> str | None:
    """The English (ISO) name of a subdivision, with extra entries such as the US military codes."""
    sub = pycountry.subdivisions.get(code=f"{country}-{code}")
    if sub:
        return sub.name
    extra = (aliases().get("extra_subdivisions") or {}).get(country, {}).get(code)
    return extra[0] if extra else None


def state_names(country: str, code: str) -> set[str]:
    """Every known name of a subdivision (for matching a CRM's state labels)."""
    sub = pycountry.subdivisions.get(code=f"{country}-{code}")
    names = _names(sub) if sub else set()
    names.update((aliases().get("extra_subdivisions") or {}).get(country, {}).get(code, []))
    return names
