"""`dedupe find` over a workspace: load people, score pairs, form clusters, fill the review queue."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import polars as pl

from leadbridge.dedupe.engine import find_matches
from leadbridge.store import dedupe_state

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

OBJ = "person"


@dataclass
class Cluster:
    """People the matcher says are one person (pairs at or above auto_merge_threshold, joined transitively)."""

    ids: list[int]
    pairs: list[dict[str, Any]]

    @property
    def score(self) -> float:
        return min(p["probability"] for p in self.pairs)

    def as_dict(self) -> dict[str, Any]:
        return {"ids": self.ids, "score": round(self.score, 4), "pairs": self.pairs}


@dataclass
class FindReport:
    records: int
    candidates: int
    clusters: list[Cluster]
    review: list[dict[str, Any]]
    new_review: int
    rejected_before: int
    skipped_blocks: dict[str, int]
    model: dict[str, Any]
    seconds: float
    thresholds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"records": self.records, "candidate_pairs": self.candidates,
                "clusters": [c.as_dict() for c in self.clusters],
                "people_in_clusters": sum(len(c.ids) for c in self.clusters),
                "review": self.review, "new_in_review": self.new_review,
                "skipped_rejected_pairs": self.rejected_before, "skipped_blocks": self.skipped_blocks,
                "thresholds": self.thresholds, "model": self.model, "seconds": round(self.seconds, 2)}


def _components(pairs: list[tuple[int, int]]) -> list[list[int]]:
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def find(ws: "Workspace", where: str | None = None, *, save: bool = True,
         progress: Callable[[str], None] | None = None) -> FindReport:
    """Find duplicate people: clusters to merge, and pairs for a person to review (saved unless `save=False`)."""
    t0 = time.perf_counter()
    cfg = ws.config.dedupe
    step = progress or (lambda _m: None)
    step("loading people")
    columns = [c.field for c in cfg.comparisons]
    frame = dedupe_state.load_frame(ws.db, OBJ, columns, where)
    matches = find_matches(frame, cfg, progress=step)
    pairs = matches.pairs.with_row_index("_i").filter(pl.col("decision").is_not_null())
    decided = dedupe_state.decided_pairs(ws.db, OBJ)
    rejected = {k for k, v in decided.items() if v == "rejected"}
    step("clustering")
    auto, review_rows, skipped = [], [], 0
    explained = matches.explain_many(pairs["_i"].to_numpy())
    for fields, (a, b, rule, weight, prob, conflict, decision) in zip(explained, pairs.select(
            "a", "b", "rule", "weight", "probability", "conflict", "decision").iter_rows()):
        if (a, b) in rejected:
            skipped += 1
            continue
        entry = {"a": a, "b": b, "rule": rule, "probability": round(prob, 6), "weight": round(weight, 2),
                 "fields": fields}
        if conflict:
            entry["conflict"] = f"{conflict} differs: review, not auto-merge"
        (auto if decision == "merge" else review_rows).append(entry)
    groups = _components([(p["a"], p["b"]) for p in auto])
    where_group = {x: n for n, g in enumerate(groups) for x in g}
    by_group: dict[int, list[dict[str, Any]]] = {}
    for p in auto:
        by_group.setdefault(where_group[p["a"]], []).append(p)
    clusters = [Cluster(g, by_group[n]) for n, g in enumerate(groups)]
    review = [p for p in review_rows if where_group.get(p["a"], -1) != where_group.get(p["b"], -2)]
    new = 0
    if save and review:
        new = dedupe_state.save_review(ws.db, OBJ, [
            {"a": p["a"], "b": p["b"], "score": p["probability"], "rule": p["rule"],
             "detail": {"weight": p["weight"], "fields": p["fields"]}} for p in review])
    return FindReport(matches.records, matches.pairs.height, clusters, review, new, skipped,
                      matches.skipped_blocks, matches.model.as_dict(), time.perf_counter() - t0,
                      {"auto_merge": cfg.auto_merge_threshold, "review": cfg.review_threshold})


def auto_merge(ws: "Workspace", where: str | None = None, *, dry_run: bool = False,
               progress: Callable[[str], None] | None = None) -> tuple[FindReport, list]:
    """Find, then merge every cluster at or above auto_merge_threshold; returns (report, merge outcomes)."""
    from leadbridge.dedupe.merge import merge
    report = find(ws, where, save=not dry_run, progress=progress)
    outcomes = []
    for cluster in report.clusters:
        reason = f"auto: {cluster.pairs[0]['rule']} (p >= {ws.config.dedupe.auto_merge_threshold})"
        outcomes.append(merge(ws, cluster.ids, reason=reason, auto=True, dry_run=dry_run))
    return report, outcomes
