"""Country names in any language, codes and common variants → ISO 3166 alpha-2.

The index holds ISO alpha-2/alpha-3/numeric codes, English official and common names,
the name of every country in every CLDR locale (babel), and a reviewed alias file
(`data/country_aliases.yaml`: variants, codes a CRM has that ISO lacks such as XK,
ambiguous names, placeholders). A key that two countries share is ambiguous and matches
nothing: this normalizer never guesses. Lookup order: the key as typed, then a few
general rewrites of it (a leading "the", "Netherlands, The", "St" → "Saint", "Rep." →
"Republic", "S." → "South", "Republic of X", a trailing 国, the Thai ประเทศ prefix),
each accepted only when it names exactly one country.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

import orjson
import platformdirs
import pycountry
import yaml
from babel import Locale, localedata
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from leadbridge.standards.result import Normalized

_PUNCT = re.compile(r"[\s.,'’`´\"()\[\]/_\-–—:;&·・]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "rep": "republic", "dem": "democratic", "fed": "federal",
                  "is": "islands", "isl": "islands", "isls": "islands", "utd": "united"}
_FIRST_WORD = {"s": "south", "n": "north", "w": "west", "e": "east"}
_PARTS = re.compile(r"[(),]| [-/–] ")  # 'Monaco (MC)', 'Berlin, Germany', 'DE - Germany', 'Belgique / België'
_OFFICIAL = re.compile(
    r"^(?:the )?(?:(?:federal|socialist|islamic|arab|united|democratic|bolivarian|cooperative|hashemite|oriental|"
    r"plurinational|independent|sovereign) )*(?:republic|kingdom|state|states|commonwealth|principality|"
    r"grand duchy|sultanate|emirate|federation|union|confederation) of (?:the )?"
    r"|^(?:republica|republique|repubblica|republik|republika|republiek)(?: (?:federativa|bolivariana|oriental|"
    r"federale|democratique|democratica|popolare|federal))?(?: (?:de la|de|do|da|del|dos|d|du|des|di|della|ng|van))? "
    r"|^(?:bundesrepublik|konigreich|koninkrijk|royaume|reino|estado|kongeriket|kongeriget|konungariket|"
    r"rzeczpospolita|furstentum|grossherzogtum)(?: (?:plurinacional|federativa|der|van|von|de|du|des|d|da|do))* ")
# State forms after a CJK name: (federal / people's / democratic) republic, kingdom, principality, grand duchy
_CJK_STATE_SUFFIX = re.compile(r"(?:連邦|联邦|人民|民主|社会主义|社會主義|民主主義人民|イスラム|伊斯兰|伊斯蘭)*(?:共和国|王国|公国|大公国)$")
_STATE_SUFFIX = re.compile(r" (?:republic|republik|cumhuriyeti|tasavalta|ganarajya)$")
# Traditional → simplified forms of the characters country names use, so mixed spellings meet the index.
_TRAD = str.maketrans("國眾堅華亞蘭爾聯灣門韓麥蘇維羅與義烏盧馬亞薩爾瓦納達來紐濟",
                      "国众坚华亚兰尔联湾门韩麦苏维罗与义乌卢马亚萨尔瓦纳达来纽济")
_TYPO_MIN_LEN = 8  # one letter off a shorter name is as likely another word (Cameron, Dominic, Frances)


def key(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a country name."""
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCT.sub(" ", text).strip()


@lru_cache(maxsize=1)
def aliases() -> dict:
    """The reviewed alias file."""
    text = resources.files("leadbridge.standards").joinpath("data/country_aliases.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """Every alpha-2 code this normalizer can return (ISO plus the alias file's extra countries)."""
    return frozenset({c.alpha_2 for c in pycountry.countries} | set(aliases().get("extra_countries", {})))


@lru_cache(maxsize=1)
def _index() -> dict[str, str | None]:
    """key → alpha-2 (None where two countries claim the key), from the disk cache when it is current.

    Building reads every CLDR locale (seconds); every command needs it, so it is built once per
    version of babel, pycountry, the alias file and this builder, and kept in the user's cache folder
    (`$LEADBRIDGE_CACHE_DIR`, default the platform's cache dir). An unwritable folder only costs time.
    """
    path = _cache_path()
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        pass
    idx = _build_index()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(idx))
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the new one
    except OSError:
        pass
    return idx


def _cache_path() -> Path:
    from importlib.metadata import version
    import babel
    parts = [babel.__version__, version("pycountry"), inspect.getsource(_build_index),
             resources.files("leadbridge.standards").joinpath("data/country_aliases.yaml").read_text("utf-8")]
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
    root = os.environ.get("LEADBRIDGE_CACHE_DIR") or platformdirs.user_cache_dir("leadbridge")
    return Path(root) / f"country-index-{digest}.json"


def _build_index() -> dict[str, str | None]:
    idx: dict[str, str | None] = {}

    def add(name: str | None, code: str) -> None:
        k = key(name) if name else ""
        if not k:
            return
        if k in idx and idx[k] != code:
            idx[k] = None  # ambiguous across locales
        else:
            idx[k] = code

    territories = known_codes()
    for loc in localedata.locale_identifiers():
        try:
            names = Locale.parse(loc).territories
        except Exception:  # noqa: BLE001 - a locale babel cannot load adds nothing
            continue
        for code, name in names.items():
            if code in territories:
                add(name, code)
    for c in pycountry.countries:
        for name in (c.name, getattr(c, "official_name", None), getattr(c, "common_name", None)):
            add(name, c.alpha_2)
            if name and ("," in name or "(" in name):  # "Bolivia, Plurinational State of", "Holy See (Vatican…)"
                add(re.split(r"[,(]", name)[0], c.alpha_2)
                if "(" in name:
                    add(name.split("(", 1)[1].rstrip(")"), c.alpha_2)
    data = aliases()
    strong: dict[str, str] = {}
    for c in pycountry.countries:  # codes win over any name collision
        strong[key(c.alpha_2)] = c.alpha_2
        strong[key(c.alpha_3)] = c.alpha_2
        strong[c.numeric] = c.alpha_2
        strong[str(int(c.numeric))] = c.alpha_2
    for code, names in (data.get("extra_countries") or {}).items():
        strong[key(code)] = code
        for name in names:
            strong[key(name)] = code
    for section in ("variants", "official_names"):
        for code, names in (data.get(section) or {}).items():
            for name in names:
                strong[key(name)] = code
    idx.update(strong)
    for word in data.get("ambiguous") or []:
        idx[key(word)] = None
    return idx


@lru_cache(maxsize=1)
def _not_countries() -> frozenset[str]:
    return frozenset(key(w) for w in aliases().get("not_countries") or []) | {"", "-"}


def _collapse_letters(words: list[str]) -> list[str]:
    """Runs of single letters as one word: 'u s a' → 'usa', 'hong kong s a r' → 'hong kong sar'."""
    out: list[str] = []
    run = ""
    for w in words + [""]:
        if len(w) == 1 and w.isalpha():
            run += w
            continue
        if run:
            out.append(run)
            run = ""
        if w:
            out.append(w)
    return out


def _rewrites(text: str, k: str) -> list[str]:
    """General rewrites of a key that people's spellings need (each must still name one country)."""
    out = []
    words = k.split()
    collapsed = _collapse_letters(words)
    if collapsed != words:
        out.append(" ".join(collapsed))
    if words and words[0] == "the":
        out.append(" ".join(words[1:]))
    if words and words[-1] == "the":
        out.append(" ".join(words[:-1]))
    if "," in text:  # "Netherlands, The", "Korea, Republic of"
        head, _, tail = text.rpartition(",")
        out.append(key(f"{tail} {head}"))
    expanded = [_ABBREVIATIONS.get(w, w) for w in words]
    if expanded and expanded[0] in _FIRST_WORD and len(expanded) > 1:
        expanded[0] = _FIRST_WORD[expanded[0]]
    if expanded != words:
        out.append(" ".join(expanded))
    for form in list(out) + [k]:  # "Republic of X", "Rzeczpospolita X", "X Cumhuriyeti"
        stripped = _STATE_SUFFIX.sub("", _OFFICIAL.sub("", form))
        if stripped != form and stripped:
            out.append(stripped)
    if "&" in text:  # "Trinidad & Tobago", "St. Kitts & Nevis"
        out.append(key(text.replace("&", " and ")))
    simplified = k.translate(_TRAD)
    if simplified != k:
        out.append(simplified)
    if "fed" in words:  # "Russian Fed." is a federation; "Fed. Rep." a federal republic (both tried)
        out.append(" ".join("federation" if w == "fed" else w for w in words))
    if k.endswith("国") and len(k) > 2:
        out.append(k[:-1])
        stripped = _CJK_STATE_SUFFIX.sub("", k)  # 'ドイツ連邦共和国', 'フランス共和国', '大韩民国' stays
        if stripped != k and len(stripped) >= 2:
            out.append(stripped)
    if k.startswith("ประเทศ") and len(k) > 6:
        out.append(k[6:].strip())
    return [o for o in out if o and o != k]


def normalize_country(value: object) -> Normalized:
    """→ Normalized(value=alpha-2 code) or no match (flagged), never a guess."""
    if value is None or not str(value).strip():
        return Normalized(None, ok=True, reason="empty")
    text = str(value)
    k = key(text)
    if k in _not_countries():
        return Normalized(None, ok=False, flags=("no_match",), reason=f"{text!r} is not a country")
    idx = _index()
    if k in idx:
        return _found(text, idx[k])
    hits = {idx[r] for r in _rewrites(text, k) if r in idx}
    if len(hits - {None}) == 1:  # a looser rewrite ('congo') is ambiguous where a closer one is not
        hits -= {None}
    if not hits and _PARTS.search(text):
        hits = _parts(text)
    if len(hits) == 1:
        return _found(text, hits.pop())
    if len(hits) > 1:
        return _found(text, None)
    typo = _typo_of(k)
    if typo:
        code, name = typo
        return Normalized(code, code, reason=f"{text!r} → {code} (one letter off {name!r})")
    suggestion = suggest_country(k)
    return Normalized(None, ok=False, flags=("no_match",), suggestion=suggestion,
                      reason=f"{text!r} is not a country name or code we know"
                             + (f" (did you mean {suggestion}?)" if suggestion else ""))


def _parts(text: str) -> set[str | None]:
    """'Monaco (MC)', 'Scotland, UK', 'DE - Germany': the parts that name countries, or the parts joined.

    An answer only when the named parts agree; a part naming another country makes it ambiguous;
    a city or region in a part (Berlin, Germany) names nothing and is passed over.
    """
    idx = _index()
    pieces = [key(p) for p in _PARTS.split(text) if key(p)]
    joined = " ".join(pieces)
    if joined in idx:
        return {idx[joined]}
    found: set[str | None] = set()
    for p in pieces:
        if p in _not_countries():
            continue
        hit = idx.get(p)
        if hit is None and p not in idx:
            hits = {idx[r] for r in _rewrites(p, p) if r in idx}
            hit = hits.pop() if len(hits) == 1 else None
        if hit is not None or p in idx:
            found.add(hit)
    named = found - {None}
    if len(named) == 1:  # 'Georgia (GE)', 'America (USA)': an ambiguous part settled by a definite one
        return named
    return found if None not in found else {None} if found else set()


def _found(text: str, code: str | None) -> Normalized:
    if code is None:
        return Normalized(None, ok=False, flags=("ambiguous",),
                          reason=f"{text!r} names more than one place; give the ISO code")
    return Normalized(code, code, reason=f"{text!r} → {code}")


@lru_cache(maxsize=1)
def _english_names() -> dict[str, str]:
    names = {key(c.name): c.alpha_2 for c in pycountry.countries}
    names.update({key(getattr(c, "common_name")): c.alpha_2 for c in pycountry.countries
                  if getattr(c, "common_name", None)})
    return names


@lru_cache(maxsize=1)
def _typo_targets() -> dict[str, str]:
    """Latin-script names a typo is corrected towards: English names and the reviewed variants."""
    names = dict(_english_names())
    for section in ("variants", "official_names"):
        for code, variants in (aliases().get(section) or {}).items():
            names.update({key(v): code for v in variants if key(v).isascii()})
    ambiguous = {key(w) for w in aliases().get("ambiguous") or []}
    return {k: c for k, c in names.items() if len(k) >= 6 and k not in ambiguous}


def _one_edit_from(k: str) -> tuple[str, str] | None:
    """(code, name) when `k` is one edit from one country's names and at least three from every other."""
    names = _typo_targets()
    hits = process.extract(k, list(names), scorer=DamerauLevenshtein.distance, limit=6, score_cutoff=2)
    ones = {names[h[0]] for h in hits if h[1] == 1}
    if len(ones) != 1 or any(h[1] == 2 and names[h[0]] not in ones for h in hits):
        return None
    return ones.pop(), next(h[0] for h in hits if h[1] == 1)


def _typo_of(k: str) -> tuple[str, str] | None:
    """A typo corrected: 'Untied States', 'Swizerland' → one country; 'Austrlia' (one from Australia, two
    from Austria) → not. Six- and seven-letter words only by swapping two neighbouring letters ('Frnace',
    'Belguim'): of 24,000 first names, surnames and cities (faker), 8 would be corrected, e.g. 'Morrocco'.
    """
    if len(k) < 6 or not k.isascii() or not k.replace(" ", "").isalpha():
        return None
    hit = _one_edit_from(k)
    if hit is None or (len(k) < _TYPO_MIN_LEN and not _is_transposition(k, hit[1])):
        return None
    return hit


def _is_transposition(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def suggest_country(k: str) -> str | None:
    """A country one keystroke away from a 7-letter name that was not corrected, offered for review."""
    if len(k) < 7 or not k.isascii():
        return None
    hit = _one_edit_from(k)
    return hit[0] if hit else None


def country_label(code: str) -> str:
    """The English label of a country code (Salesforce's default labels) when no CRM describe is cached."""
    from leadbridge.sandbox.picklists import LABELS
    c = pycountry.countries.get(alpha_2=code)
    extra = aliases().get("extra_countries", {}).get(code)
    return LABELS.get(code, c.name if c else (extra[0] if extra else code))
