"""Splitting a full-name column into first and last name."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Two-character Chinese surnames (复姓); any other CJK name takes one character as the surname.
_COMPOUND = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
             "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "歐陽", "司徒", "諸葛"}


def split_full_name(value: str) -> tuple[str | None, str | None]:
    """(first, last): CJK names surname-first; others split at the last space ("Smith, John" too)."""
    name = " ".join(value.split())
    if not name:
        return None, None
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip() or None, last.strip() or None
    if _CJK.match(name) and " " not in name:
        if len(name) <= 1:
            return None, name
        cut = 2 if name[:2] in _COMPOUND and len(name) > 2 else 1
        return name[cut:], name[:cut]
    if " " in name and _CJK.match(name):
        last, _, first = name.partition(" ")
        return first or None, last
    first, _, last = name.rpartition(" ")
    return (first or None), last
