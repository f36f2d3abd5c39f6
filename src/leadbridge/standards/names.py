"""Names and company names: whitespace, casing only when ALL UPPER or all lower, CJK as written; company match key."""

from __future__ import annotations

import re
import unicodedata

from leadbridge.standards.result import Normalized

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_KEEP_LOWER = {"van", "von", "der", "den", "de", "da", "di", "du", "la", "le", "del", "della", "bin", "al", "y", "and",
               "of", "the"}
LEGAL_SUFFIXES = re.compile(
    r"[\s,]*(?:inc|incorporated|corp|corporation|co|company|llc|l\.l\.c|ltd|limited|plc|gmbh|ag|kg|ug|sa|s\.a|sas|sarl|"
    r"srl|spa|s\.p\.a|bv|b\.v|nv|n\.v|oy|ab|as|a/s|aps|pty|pty ltd|pte|pte ltd|kk|k\.k|kabushiki kaisha|"
    r"co\.,? ltd|company limited)\.?$", re.I)
CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "株式会社", "有限會社", "集团", "公司")


def _titlecase(word: str, first: bool) -> str:
    if not first and word.lower() in _KEEP_LOWER:
        return word.lower()
    parts = re.split(r"([-'’])", word.lower())
    out = "".join(_upper1(p[:1]) + p[1:] if p not in "-'’" else p for p in parts)
    if out.startswith("Mc") and len(out) > 3:
        out = "Mc" + _upper1(out[2:3]) + out[3:]
    return unicodedata.normalize("NFC", out)


def _upper1(char: str) -> str:
    # 'ß'.upper() is 'SS': a length-changing capital would make the result all-caps and not idempotent.
    upper = char.upper()
    return upper if len(upper) == len(char) else char


def normalize_name(value: object) -> Normalized:
    """Collapse whitespace; fix case only when the whole value is upper- or lower-case; CJK untouched."""
    if value is None or not str(value).strip():
        return Normalized(None, reason="empty")
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    if _CJK.search(text):
        return Normalized(text, reason="CJK: kept as written")
    letters = [c for c in text if c.isalpha()]
    if letters and (all(c.isupper() for c in letters) or all(c.islower() for c in letters)):
        fixed = " ".join(_titlecase(w, i == 0) for i, w in enumerate(text.split(" ")))
        return Normalized(fixed, reason="recased (was all upper or all lower case)")
    return Normalized(text, reason="kept as written")


def normalize_company(value: object) -> Normalized:
    """Like names, but words of 2–4 capitals (IBM, SAP, AG) stay capitals."""
    n = normalize_name(value)
    if n.value and n.reason.startswith("recased") and str(value).isupper():
        words = [w if len(w) <= 3 and w.isalpha() else w2 for w, w2 in zip(str(value).split(), n.value.split())]
        return Normalized(" ".join(words), reason=n.reason)
    return n


def company_key(value: object) -> str | None:
    """The matching key of a company (legal suffixes removed, case and punctuation folded); never shown."""
    if value is None or not str(value).strip():
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for suffix in CJK_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    prev = None
    while prev != text:
        prev, text = text, LEGAL_SUFFIXES.sub("", text).strip()
    text = re.sub(r"[^\w\s]", " ", text.casefold())
    return " ".join(text.split()) or None
