"""Column → field mapping: suggested with a reason and a confidence, saved and reused as YAML."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable

import yaml
from rapidfuzz import fuzz, process

from leadbridge.errors import MappingError
from leadbridge.model.objects import ObjectDef

# Pseudo-fields an import understands beyond the object's own fields.
PSEUDO = {"full_name": "split into first and last name", "crm_id": "the record's CRM id (matches by crosswalk)"}
IGNORED_HEADERS = {"leadbridge_row", "leadbridge_reasons"}  # columns our own rejects file adds
FUZZY_MIN = 86
# Salesforce field names (CRM field ids) of the person fields
CRM_NAMES = {
    "FirstName": "first_name", "LastName": "last_name", "Email": "email", "Phone": "phone",
    "MobilePhone": "mobile_phone", "Title": "title", "Company": "company", "Website": "website",
    "Street": "street", "City": "city", "State": "state", "StateCode": "state", "PostalCode": "postal_code",
    "Country": "country", "CountryCode": "country", "LeadSource": "lead_source", "Status": "lead_status",
    "Industry": "industry", "AnnualRevenue": "annual_revenue", "NumberOfEmployees": "number_of_employees",
    "HasOptedOutOfEmail": "unsubscribed", "Description": "comments", "Department": "department",
    "Rating": "rating", "Id": "crm_id",
}


@dataclass
class ColumnMatch:
    column: str
    field: str | None
    reason: str
    confidence: float


@dataclass
class Mapping:
    """Which column feeds which field (None: not imported)."""

    columns: dict[str, str | None] = field(default_factory=dict)
    matches: list[ColumnMatch] = field(default_factory=list)

    @property
    def mapped(self) -> dict[str, str]:
        return {c: f for c, f in self.columns.items() if f}

    @property
    def unmapped(self) -> list[str]:
        return [c for c, f in self.columns.items() if not f]

    def save(self, path: Path) -> None:
        body = {"columns": self.columns}
        path.write_text("# leadbridge import mapping: column → field (null: not imported)\n"
                        + yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, headers: list[str], obj: ObjectDef) -> "Mapping":
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise MappingError(f"cannot read mapping {path}: {exc}") from None
        cols = data.get("columns") if isinstance(data, dict) else None
        if not isinstance(cols, dict):
            raise MappingError(f"{path} has no 'columns:' mapping", hint="save one with --save-mapping")
        m = cls()
        for h in headers:
            f = cols.get(h)
            if f and not (obj.has(f) or f in PSEUDO):
                raise MappingError(f"mapping {path}: column {h!r} → unknown field {f!r}",
                                   hint="`leadbridge fields list` shows the fields")
            m.columns[h] = f or None
            m.matches.append(ColumnMatch(h, f or None, "saved mapping" if f else "not mapped", 1.0 if f else 0.0))
        missing = [c for c in cols if c not in headers]
        if missing:
            raise MappingError(f"mapping {path} names columns the file does not have: {', '.join(missing)}",
                               hint="edit the mapping or use a file with those columns")
        return m


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\s_\-./:()*#]+", " ", text)
    return text.strip()


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, list[str]]:
    raw = resources.files("leadbridge.importing").joinpath("data/synonyms.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(raw)


def _index(obj: ObjectDef, extra: dict[str, list[str]] | None) -> dict[str, tuple[str, str]]:
    """normalized header → (field, reason), strongest reasons first."""
    idx: dict[str, tuple[str, str]] = {}

    def add(key: str, field_: str, reason: str) -> None:
        idx.setdefault(_norm(key), (field_, reason))

    writable = [f for f in obj.fields if f.writable]
    for f in writable:
        add(f.name, f.name, "field name")
    for crm, f in CRM_NAMES.items():
        if obj.has(f) or f in PSEUDO:
            add(crm, f, "CRM field id")
    for f in writable:
        add(f.display_label, f.name, "field label")
    for f, words in {**_synonyms(), **(extra or {})}.items():
        if obj.has(f) or f in PSEUDO:
            for w in words:
                add(w, f, "synonym")
    return idx


def suggest_mapping(headers: Iterable[str], obj: ObjectDef, extra_synonyms: dict[str, list[str]] | None = None
                    ) -> Mapping:
    """Map each header to a field: exact name/label/CRM id/synonym first, then fuzzy (never twice)."""
    idx = _index(obj, extra_synonyms)
    keys = list(idx)
    m, used = Mapping(), set()
    headers = list(headers)
    pending = []
    for h in headers:
        if h in IGNORED_HEADERS:
            m.columns[h] = None
            m.matches.append(ColumnMatch(h, None, "added by a leadbridge rejects file", 0.0))
            continue
        hit = idx.get(_norm(h))
        if hit and hit[0] not in used:
            used.add(hit[0])
            m.columns[h] = hit[0]
            m.matches.append(ColumnMatch(h, hit[0], hit[1], 1.0))
        else:
            pending.append(h)
    for h in pending:
        best = process.extractOne(_norm(h), keys, scorer=fuzz.WRatio, score_cutoff=FUZZY_MIN) if h else None
        if best and idx[best[0]][0] not in used:
            f = idx[best[0]][0]
            used.add(f)
            m.columns[h] = f
            m.matches.append(ColumnMatch(h, f, f"fuzzy: looks like {best[0]!r}", round(best[1] / 100, 2)))
        else:
            m.columns[h] = None
            m.matches.append(ColumnMatch(h, None, "no field matches", 0.0))
    m.matches.sort(key=lambda x: headers.index(x.column))
    m.columns = {h: m.columns[h] for h in headers}
    return m


def apply_overrides(m: Mapping, overrides: dict[str, str | None], obj: ObjectDef) -> Mapping:
    """Apply `--map "Column=field"` overrides from the command line."""
    for col, f in overrides.items():
        if col not in m.columns:
            raise MappingError(f"--map names a column the file does not have: {col!r}",
                               hint="columns: " + ", ".join(m.columns))
        if f and not (obj.has(f) or f in PSEUDO):
            raise MappingError(f"--map {col}={f}: unknown field {f!r}")
        m.columns[col] = f or None
        for match in m.matches:
            if match.column == col:
                match.field, match.reason, match.confidence = f or None, "given with --map", 1.0
    return m
