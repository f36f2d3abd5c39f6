"""Value indexes over the in-memory records: unique and external-id fields, duplicate-rule keys.

Keys compare as Salesforce compares text (case-insensitively), so an upsert by `ABC` finds the
record holding `abc`, and a unique field refuses both.
"""

from __future__ import annotations

from typing import Any, Iterable

Fields = tuple[str, ...]


def norm(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value.casefold() if isinstance(value, str) else str(value).casefold()


def key_of(rec: dict[str, Any], fields: Fields) -> tuple[str, ...] | None:
    out = []
    for f in fields:
        v = norm(rec.get(f))
        if v is None:
            return None
        out.append(v)
    return tuple(out)


class Indexes:
    """(object, fields) → {key → ids}; built on first use, kept current by `update` and `remove`."""

    def __init__(self, tables: dict[str, dict[str, dict[str, Any]]]):
        self.tables = tables
        self._by: dict[tuple[str, Fields], dict[tuple[str, ...], set[str]]] = {}
        self._of: dict[str, list[Fields]] = {}

    def ensure(self, obj: str, fields: Fields) -> dict[tuple[str, ...], set[str]]:
        idx = self._by.get((obj, fields))
        if idx is None:
            idx = {}
            for r in self.tables.get(obj, {}).values():
                k = key_of(r, fields)
                if k is not None:
                    idx.setdefault(k, set()).add(r["Id"])
            self._by[(obj, fields)] = idx
            self._of.setdefault(obj, []).append(fields)
        return idx

    def lookup(self, obj: str, fields: Fields, values: Iterable[Any]) -> set[str]:
        k = tuple(norm(v) for v in values)
        if any(v is None for v in k):
            return set()
        return set(self.ensure(obj, fields).get(k, ()))

    def update(self, obj: str, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        for fields in self._of.get(obj, ()):
            idx = self._by[(obj, fields)]
            ok = key_of(old, fields) if old is not None else None
            nk = key_of(new, fields)
            if ok == nk:
                continue
            if ok is not None:
                ids = idx.get(ok)
                if ids is not None:
                    ids.discard(new["Id"])
                    if not ids:
                        del idx[ok]
            if nk is not None:
                idx.setdefault(nk, set()).add(new["Id"])

    def remove(self, obj: str, rec: dict[str, Any]) -> None:
        for fields in self._of.get(obj, ()):
            k = key_of(rec, fields)
            ids = self._by[(obj, fields)].get(k) if k is not None else None
            if ids is not None:
                ids.discard(rec["Id"])
                if not ids:
                    del self._by[(obj, fields)][k]

    def clear(self) -> None:
        self._by.clear()
        self._of.clear()
