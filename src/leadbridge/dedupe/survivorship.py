"""Who survives a merge, and which value each field keeps (pure functions over record dicts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from leadbridge.dedupe.config import DedupeConfig
from leadbridge.model.types import is_blank

# bookkeeping columns a merge never copies between records
NOT_MERGED = {"id", "created_at", "updated_at", "field_times", "merged_into_id",
              # recomputed by the standards stage from the surviving values
              "data_issues", "data_invalid", "email_invalid", "email_invalid_reason", "email_flags",
              "email_suggestion"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Candidate:
    """One record of a cluster: its row, its CRM objects, its per-field change times and sources."""

    row: Mapping[str, Any]
    crm_objects: frozenset[str] = frozenset()
    field_times: Mapping[str, datetime] | None = None
    field_sources: Mapping[str, str] | None = None

    @property
    def id(self) -> int:
        return self.row["id"]

    def changed_at(self, field: str) -> datetime:
        t = (self.field_times or {}).get(field)
        return t or self.row.get("created_at") or _EPOCH

    def completeness(self) -> int:
        return sum(1 for k, v in self.row.items() if k not in NOT_MERGED and not is_blank(v))


def choose_winner(cands: Sequence[Candidate], order: Sequence[str]) -> tuple[Candidate, str]:
    """The surviving record and why: CRM Contact > CRM Lead > marketing-only, then the configured order."""
    def key(c: Candidate) -> tuple:
        parts: list[Any] = []
        for crit in order:
            if crit == "crm_contact":
                parts.append(0 if "Contact" in c.crm_objects else 1)
            elif crit == "crm_lead":
                parts.append(0 if "Lead" in c.crm_objects else 1)
            elif crit == "oldest":
                parts.append(c.row.get("created_at") or _EPOCH)
            elif crit == "most_recent":
                parts.append(-(c.row.get("updated_at") or _EPOCH).timestamp())
            elif crit == "most_complete":
                parts.append(-c.completeness())
        return (*parts, c.id)

    ranked = sorted(cands, key=key)
    winner = ranked[0]
    why = "lowest id"
    runner = ranked[1] if len(ranked) > 1 else None
    for crit in order:
        if runner is None:
            break
        a, b = key(winner), key(runner)
        i = list(order).index(crit)
        if a[i] != b[i]:
            why = {"crm_contact": "is a CRM Contact", "crm_lead": "is a CRM Lead", "oldest": "oldest record",
                   "most_recent": "most recently updated", "most_complete": "most complete"}[crit]
            break
    return winner, why


def survive(winner: Candidate, others: Sequence[Candidate], fields: Sequence[str],
            cfg: DedupeConfig) -> dict[str, tuple[Any, str]]:
    """Field → (value, rule) for every field whose surviving value differs from the winner's.

    A blank never overwrites a value: when a rule's choice is blank the field keeps
    the most recent non-blank value of the cluster.
    """
    everyone = [winner, *others]
    out: dict[str, tuple[Any, str]] = {}
    for f in fields:
        if f in NOT_MERGED:
            continue
        rule = cfg.survivorship.get(f, cfg.survivorship_default)
        filled = [c for c in everyone if not is_blank(c.row.get(f))]
        if not filled:
            continue
        if rule == "winner":
            value = winner.row.get(f)
        elif rule == "most_recent":
            value = max(filled, key=lambda c: c.changed_at(f)).row[f]
        elif rule == "oldest":
            value = min(filled, key=lambda c: c.changed_at(f)).row[f]
        elif rule == "most_complete":
            value = max(filled, key=lambda c: len(str(c.row[f]))).row[f]
        elif rule == "source_priority":
            rank = {s: i for i, s in enumerate(cfg.source_priority)}
            value = min(filled, key=lambda c: (rank.get((c.field_sources or {}).get(f, ""), len(rank)),
                                               -c.changed_at(f).timestamp())).row[f]
        else:  # append: distinct values, winner's first
            seen: list[str] = []
            for c in filled:
                for part in str(c.row[f]).split("\n"):
                    if part and part not in seen:
                        seen.append(part)
            value = "\n".join(seen)
        if is_blank(value):
            value, rule = max(filled, key=lambda c: c.changed_at(f)).row[f], "most recent non-blank"
        if value != winner.row.get(f):
            out[f] = (value, rule)
    return out
