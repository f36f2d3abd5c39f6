"""Which text encoding a list file is in: BOM, then a strict UTF-8 check, then charset detection."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from charset_normalizer import from_bytes

from leadbridge.errors import ImportFileError

SAMPLE = 256 * 1024
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
# charset-normalizer names → the codec we read with (GB2312/GBK are subsets of GB18030)
_PREFER = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "shift_jis": "cp932",
           "ascii": "utf-8", "latin_1": "cp1252", "iso8859_1": "cp1252"}
SUPPORTED = "utf-8, utf-8-sig, utf-16, gb18030 (gbk), big5, shift_jis (cp932), cp1252, latin-1"


@dataclass(frozen=True)
class Detected:
    encoding: str
    reason: str


def detect_encoding(sample: bytes, *, complete: bool) -> Detected:
    """Guess the encoding of a file from its first bytes (`complete`: the sample is the whole file)."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Detected(name, "byte order mark")
    if _valid_utf8(sample, complete):
        return Detected("utf-8", "valid UTF-8")
    best = from_bytes(sample).best()
    if best is None:
        raise ImportFileError("cannot tell the file's text encoding (is it a binary file?)",
                              hint=f"pass --encoding (one of: {SUPPORTED}), or export the list as CSV")
    name = best.encoding.lower()
    return Detected(_PREFER.get(name, name), f"detected ({best.encoding})")


def _valid_utf8(sample: bytes, complete: bool) -> bool:
    try:
        sample.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is not an error
        return not complete and exc.start >= len(sample) - 3


def looks_binary(sample: bytes, encoding: str) -> bool:
    """True when decoded text is mostly control characters (an image, a zip, an executable)."""
    if not sample:
        return False
    text = sample[:65536].decode(encoding, errors="replace")
    bad = sum(1 for c in text if (ord(c) < 32 and c not in "\r\n\t") or c == "\ufffd")
    return bad > max(16, len(text) // 10)


def check_codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ImportFileError(f"unknown encoding {name!r}", hint=f"use one of: {SUPPORTED}") from None
