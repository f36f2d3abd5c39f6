"""Names and company names: whitespace, casing only when ALL UPPER or all lower, CJK as written; company match key."""

from __future__ import annotations

import re
import unicodedata

from leadbridge.standards.result import Normalized

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_KEEP_LOWER = {"van", "von", "der", "den", "de", "da", "di", "du", "la", "le", "del", "della", "bin", "al", "y", "and",
               "of", "the", "und", "et", "e", "do", "dos", "das", "for", "in", "on", "at", "zu", "zum", "zur"}
_ROMAN = re.compile(r"^(?:II|III|IV|VI|VII|VIII|IX|XI|XII)$", re.I)
_NAME_SUFFIX = {"jr": "Jr", "sr": "Sr", "phd": "PhD", "md": "MD", "esq": "Esq", "dds": "DDS", "cpa": "CPA"}
# Legal forms in their usual spelling (company names are recased word by word)
_LEGAL_CASE = {"inc": "Inc", "llc": "LLC", "llp": "LLP", "lp": "LP", "ltd": "Ltd", "plc": "PLC", "gmbh": "GmbH",
               "ag": "AG", "kg": "KG", "ug": "UG", "se": "SE", "sa": "SA", "sas": "SAS", "sarl": "SARL", "srl": "SRL",
               "spa": "SpA", "bv": "BV", "nv": "NV", "ab": "AB", "as": "AS", "asa": "ASA", "oy": "Oy", "oyj": "Oyj",
               "aps": "ApS", "pty": "Pty", "pte": "Pte", "kk": "KK", "co": "Co", "corp": "Corp", "ltda": "Ltda",
               "sro": "s.r.o.", "gbr": "GbR", "ohg": "OHG", "kgaa": "KGaA", "bhd": "Bhd", "sdn": "Sdn"}
_ACRONYMS = {"ibm", "sap", "ups", "abb", "axa", "aig", "amd", "hp", "bp", "ge", "3m", "bmw", "hsbc", "kpmg", "ey",
             "pwc", "bbc", "cnn", "nasa", "ikea", "usa", "uk", "eu", "us", "it", "ai", "hr", "tv", "dhl", "ing", "ubs",
             "bnp", "lg", "sk", "nec", "tdk", "abc", "nbc", "cbs"}
_VOWELS = set("aeiouyAEIOUY")
LEGAL_SUFFIXES = re.compile(
    r"[\s,]*(?:inc|incorporated|corp|corporation|co|company|llc|l\.l\.c|llp|l\.l\.p|lp|l\.p|ltd|limited|plc|"
    r"gmbh(?:\s*&\s*co\.?\s*kg(?:aa)?)?|ag|kg|kgaa|ug(?:\s*\(haftungsbeschr[aä]nkt\))?|ohg|gbr|se|sa|s\.a|sas|"
    r"s\.a\.s|sarl|s\.a\.r\.l|srl|s\.r\.l|spa|s\.p\.a|bv|b\.v|nv|n\.v|oy|oyj|ab|as|asa|a/s|aps|pty|pty\.? ltd|"
    r"pte|pte\.? ltd|kk|k\.k|kabushiki kaisha|co\.,? ltd|company limited|ltda|s\.r\.o|sro|spol\.? s r\.?o|"
    r"sp\.? z o\.?o|s\.a\. de c\.v|sa de cv|s\.a\.b\. de c\.v|sab de cv|s\.l|sl|bhd|sdn\.? bhd|pvt\.? ltd|"
    r"private limited)\.?$", re.I)
# the last word of every legal form above (dots removed): a name ending otherwise has none to strip
_LEGAL_LAST = {"inc", "incorporated", "corp", "corporation", "co", "company", "llc", "llp", "lp", "ltd", "limited",
               "plc", "gmbh", "ag", "kg", "kgaa", "ug", "(haftungsbeschränkt)", "(haftungsbeschrankt)", "ohg", "gbr",
               "se", "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "oyj", "ab", "as", "asa", "a/s", "aps", "pty",
               "pte", "kk", "kaisha", "ltda", "sro", "oo", "cv", "sl", "bhd"}
CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限責任公司", "有限公司", "株式会社", "有限会社", "合同会社", "有限會社",
                "集团", "集團", "公司", "(株)", "㈱")
CJK_PREFIXES = ("株式会社", "有限会社", "合同会社", "(株)", "㈱")


def _titlecase(word: str, first: bool) -> str:
    low = word.lower()
    if not first and low in _KEEP_LOWER:
        return low
    if _ROMAN.match(word) and not first:
        return word.upper()
    bare = low.rstrip(".,")
    if bare in _NAME_SUFFIX and not first:
        return _NAME_SUFFIX[bare] + low[len(bare):]
    parts = re.split(r"([-'’])", low)
    out = "".join(_upper1(p[:1]) + p[1:] if p not in "-'’" else p for p in parts)
    if out.startswith("Mc") and len(out) > 3:
        out = "Mc" + _upper1(out[2:3]) + out[3:]
    return unicodedata.normalize("NFC", out)


def _upper1(char: str) -> str:
    # 'ß'.upper() is 'SS': a length-changing capital would make the result all-caps and not idempotent.
    upper = char.upper()
    return upper if len(upper) == len(char) else char


def _one_case(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and (all(c.isupper() for c in letters) or all(c.islower() for c in letters))


def normalize_name(value: object) -> Normalized:
    """Collapse whitespace; fix case only when the whole value is upper- or lower-case; CJK untouched."""
    if value is None or not str(value).strip():
        return Normalized(None, reason="empty")
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    if _CJK.search(text):
        return Normalized(text, reason="CJK: kept as written")
    if _one_case(text):
        fixed = " ".join(_titlecase(w, i == 0) for i, w in enumerate(text.split(" ")))
        return Normalized(fixed, reason="recased (was all upper or all lower case)")
    return Normalized(text, reason="kept as written")


def _company_word(word: str, first: bool, was_upper: bool) -> str:
    low = word.lower()
    bare = low.strip(".,")
    if bare in _LEGAL_CASE and not first:
        return word.replace(word.strip(".,"), _LEGAL_CASE[bare]) if _LEGAL_CASE[bare] != "s.r.o." else "s.r.o."
    if was_upper:
        letters = [c for c in word if c.isalpha()]
        if bare in _ACRONYMS or "&" in word or any(c.isdigit() for c in word) or \
                (1 < len(letters) <= 4 and not (set(letters) & _VOWELS)):
            return word  # AT&T, 3M, BMW, HSBC: capitals that are the name
    return _titlecase(word, first)


def normalize_company(value: object) -> Normalized:
    """Like names, with legal forms in their usual case (Inc, GmbH, LLC) and acronyms kept (AT&T, IBM, HSBC)."""
    if value is None or not str(value).strip():
        return Normalized(None, reason="empty")
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    if _CJK.search(text) or not _one_case(text):
        return Normalized(text, reason="CJK: kept as written" if _CJK.search(text) else "kept as written")
    was_upper = not any(c.islower() for c in text)
    words = text.split(" ")
    fixed = " ".join(_company_word(w, i == 0, was_upper) for i, w in enumerate(words))
    return Normalized(fixed, reason="recased (was all upper or all lower case)")


def company_key(value: object) -> str | None:
    """The matching key of a company (legal forms removed, case and punctuation folded); never shown."""
    if value is None or not str(value).strip():
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for prefix in CJK_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix):].strip()
            break
    for suffix in CJK_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)].strip()
            break
    while _LEGAL_LAST.intersection(re.split(r"[\s,]+", text.casefold())[-1:]) or \
            text.casefold().rsplit(None, 1)[-1].replace(".", "") in _LEGAL_LAST:
        words = text.split(" ")  # the forms are at most five words: match on those only (much faster)
        head, tail = " ".join(words[:-5]), " " + " ".join(words[-5:])
        cut = (head + LEGAL_SUFFIXES.sub("", tail)).strip()
        if cut == text or not cut:
            break
        text = cut
    text = re.sub(r"^the\s+", "", text, flags=re.I)
    text = re.sub(r"[^\w\s]", " ", text.casefold())
    return " ".join(text.split()) or None
