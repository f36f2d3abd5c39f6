"""Merge duplicates through the one write path (source `merge`), and undo a merge exactly.

A merge writes the surviving values to the winner and `merged_into_id` to the losers,
and in the same transaction re-parents what hangs off the losers (CRM ids, campaign
and list memberships, activities, field history) to the winner. The merge event keeps
a snapshot of everything it changed, so `undo` can put it back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from leadbridge.dedupe.survivorship import NOT_MERGED, Candidate, choose_winner, survive
from leadbridge.errors import DedupeError
from leadbridge.model.changes import Change, Source, SourceKind
from leadbridge.model.types import FieldType, to_text
from leadbridge.store import dedupe_state, records

if TYPE_CHECKING:
    from leadbridge.workspace import Workspace

OBJ = "person"


@dataclass
class MergePlan:
    """What a merge would do: who wins and why, and each field that changes on the winner."""

    winner_id: int
    loser_ids: list[int]
    why: str
    values: dict[str, tuple[Any, str]]  # field → (surviving value, rule)
    before: dict[int, dict[str, Any]]
    crm: dict[int, list[tuple[str, str]]]  # record → [(crm_object, crm_id)]

    def as_dict(self) -> dict[str, Any]:
        return {"winner": self.winner_id, "losers": self.loser_ids, "why": self.why,
                "fields": {f: {"from": to_text(self.before[self.winner_id].get(f)), "to": to_text(v), "rule": r}
                           for f, (v, r) in self.values.items()},
                "crm": {str(k): [f"{o}/{i}" for o, i in v] for k, v in self.crm.items() if v}}


@dataclass
class MergeOutcome:
    plan: MergePlan
    merge_id: int | None = None
    moved: dict[str, int] = field(default_factory=dict)
    crm_action: str | None = None
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"merge_id": self.merge_id, **self.plan.as_dict(), "moved": self.moved,
                "crm_action": self.crm_action, "dry_run": self.dry_run}


def _related(ws: "Workspace") -> list[tuple[str, str]]:
    """(object, field) of every reference to a person, except merged_into_id."""
    out = []
    for obj in ws.db.objects.values():
        for f in obj.fields:
            if f.type is FieldType.REFERENCE and f.references == OBJ and f.name != "merged_into_id":
                out.append((obj.name, f.name))
    return out


def _candidates(ws: "Workspace", ids: list[int], need_sources: bool) -> list[Candidate]:
    table = ws.db.object_table(OBJ)
    links = ws.db.table("crm_link")
    with ws.db.engine.connect() as conn:
        rows = records.fetch_by_ids(conn, table, ids)
        crm: dict[int, set[str]] = {}
        for r in conn.execute(sa.select(links.c.record_id, links.c.crm_object).where(
                links.c.object == OBJ, links.c.record_id.in_(ids), links.c.active.is_(True))):
            crm.setdefault(r.record_id, set()).add(r.crm_object)
        sources: dict[int, dict[str, str]] = {}
        if need_sources:
            h = ws.db.table("record_change")
            for r in conn.execute(sa.select(h.c.record_id, h.c.source, h.c.changes).where(
                    h.c.object == OBJ, h.c.record_id.in_(ids)).order_by(h.c.id)):
                for f in json.loads(r.changes):
                    sources.setdefault(r.record_id, {})[f] = r.source
    missing = [i for i in ids if i not in rows]
    if missing:
        raise DedupeError(f"no person with id {', '.join(map(str, missing))}", hint="`leadbridge people list`")
    merged = {i: rows[i]["merged_into_id"] for i in ids if rows[i].get("merged_into_id")}
    if merged:
        i, into = next(iter(merged.items()))
        raise DedupeError(f"person {i} was already merged into {into}",
                          hint=f"merge {into} instead, or undo that merge (`leadbridge dedupe merges --person {into}`)")
    out = []
    for i in ids:
        row = rows[i]
        times = {f: datetime.fromisoformat(t) for f, t in json.loads(row.get("field_times") or "{}").items()}
        out.append(Candidate(row, frozenset(crm.get(i, ())), times, sources.get(i)))
    return out


def plan_merge(ws: "Workspace", ids: list[int]) -> MergePlan:
    """Choose the winner and the surviving value of every field, without writing."""
    ids = list(dict.fromkeys(int(i) for i in ids))
    if len(ids) < 2:
        raise DedupeError("a merge needs at least two people", hint="`leadbridge dedupe merge ID ID...`")
    cfg = ws.config.dedupe
    cands = _candidates(ws, ids, "source_priority" in (cfg.survivorship_default, *cfg.survivorship.values()))
    winner, why = choose_winner(cands, cfg.winner)
    others = [c for c in cands if c.id != winner.id]
    writable = [f.name for f in ws.db.objects[OBJ].fields if f.writable and f.name not in NOT_MERGED]
    values = survive(winner, others, writable, cfg)
    crm = {c.id: [] for c in cands}
    with ws.db.engine.connect() as conn:
        for c in cands:
            crm[c.id] = [(link["crm_object"], link["crm_id"]) for link in records.links_of(conn, ws.db, OBJ, c.id)
                         if link["active"]]
    return MergePlan(winner.id, [c.id for c in others], why, values, {c.id: dict(c.row) for c in cands}, crm)


def merge(ws: "Workspace", ids: list[int], *, reason: str = "manual", auto: bool = False,
          dry_run: bool = False) -> MergeOutcome:
    """Merge the people `ids` into the winner; returns what happened (or would, with `dry_run`)."""
    plan = plan_merge(ws, ids)
    outcome = MergeOutcome(plan, dry_run=dry_run)
    winner, losers = plan.winner_id, plan.loser_ids
    source = Source(SourceKind.MERGE, f"merged {', '.join(map(str, losers))} into {winner}")
    changes = [Change(id=winner, values={f: v for f, (v, _) in plan.values.items()}, create=False)]
    changes += [Change(id=i, values={"merged_into_id": winner}, create=False) for i in losers]
    related = _related(ws)

    def reparent(conn: sa.Connection, result) -> None:
        moved = _move(ws, conn, related, losers, winner, result.batch_id)
        outcome.moved = {k: len(v) for k, v in moved.items()}
        snapshot = {"before": {str(k): _jsonable(v) for k, v in plan.before.items()},
                    # what the write path really changed on the winner (stages may add to survivorship)
                    "set": {f: [to_text(old), to_text(new)] for f, (old, new) in (result.items[0].changed or {}).items()},
                    "moved": moved, "batch_id": result.batch_id}
        outcome.merge_id = dedupe_state.add_merge(conn, ws.db, {
            "object": OBJ, "winner_id": winner, "loser_ids": json.dumps(losers), "reason": reason, "auto": auto,
            "actor": source.actor, "merged_at": datetime.now(timezone.utc), "snapshot": json.dumps(snapshot)})
        dedupe_state.remember(conn, ws.db, OBJ, [winner, *losers], "merged", source.actor)

    result = ws.write(changes, source, OBJ, dry_run=dry_run, after=reparent)
    if dry_run:
        outcome.merge_id = None
    rejected = [r for r in result.items if r.reasons]
    if rejected:
        raise DedupeError(f"the merge was refused: {'; '.join(rejected[0].reasons)}",
                          hint="fix the winner's data or the standards rule, then merge again")
    if not dry_run:
        outcome.crm_action = _crm_side(ws, plan, outcome.merge_id)
    return outcome


def _move(ws: "Workspace", conn: sa.Connection, related: list[tuple[str, str]], losers: list[int],
          winner: int, batch_id: int) -> dict[str, dict[str, list[int]]]:
    """Re-parent the losers' links, related records and history to the winner; {table: {loser: [row ids]}}."""
    moved: dict[str, dict[str, list[int]]] = {}

    def take(table: sa.Table, ref: sa.Column, cond: sa.ColumnElement[bool] = sa.true(), key: str | None = None,
             value: int = winner) -> None:
        rows = conn.execute(sa.select(table.c.id, ref).where(ref.in_(losers), cond)).all()
        if not rows:
            return
        bucket = moved.setdefault(key or table.name, {})
        for rid, owner in rows:
            bucket.setdefault(str(owner), []).append(rid)
        conn.execute(table.update().where(table.c.id.in_([r[0] for r in rows])).values({ref.name: value,
                                                                                       **_touched(table)}))

    links = ws.db.table("crm_link")
    take(links, links.c.record_id, links.c.object == OBJ)
    history = ws.db.table("record_change")
    take(history, history.c.record_id, sa.and_(history.c.object == OBJ, history.c.batch_id != batch_id))
    for obj, ref_name in related:
        table = ws.db.object_table(obj)
        ref = table.c[ref_name]
        cond: sa.ColumnElement[bool] = sa.true()
        keys = [k for k in ws.db.objects[obj].match_keys if ref_name in k]
        if keys:  # a membership the winner already has stays with the loser (no duplicate membership)
            other = [c for c in keys[0] if c != ref_name]
            mine = sa.select(*[table.c[c] for c in other]).where(ref == winner)
            cond = sa.tuple_(*[table.c[c] for c in other]).not_in(mine) if len(other) > 1 else \
                table.c[other[0]].not_in(mine)
        take(table, ref, cond, key=f"{obj}.{ref_name}")
    return moved


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: to_text(v) for k, v in row.items()}


def _crm_side(ws: "Workspace", plan: MergePlan, merge_id: int | None) -> str | None:
    """Both in the CRM: report the pair for sales ops, or merge it there (crm_action)."""
    winner_links = dict(plan.crm.get(plan.winner_id, []))
    dupes: dict[str, list[str]] = {}
    for i in plan.loser_ids:
        for crm_object, crm_id in plan.crm.get(i, []):
            if crm_object in winner_links and crm_id != winner_links[crm_object]:
                dupes.setdefault(crm_object, []).append(crm_id)
    if not dupes:
        return None
    text = "; ".join(f"CRM {o} {winner_links[o]} has duplicates {', '.join(ids)}" for o, ids in dupes.items())
    if ws.config.dedupe.crm_action == "merge":
        from leadbridge.store import sync_state
        from leadbridge.sync.engine import connect
        try:
            conn = connect(ws)
            done = []
            for crm_object, ids in dupes.items():
                for k in range(0, len(ids), 2):  # Salesforce merges at most 3 records per call
                    done += conn.merge(crm_object, winner_links[crm_object], ids[k:k + 2])
            sync_state.deactivate_links(ws.db, ws.pipeline.system, "Lead", done)
            sync_state.deactivate_links(ws.db, ws.pipeline.system, "Contact", done)
            text = f"merged in the CRM: {text}"
        except Exception as exc:  # the local merge stands; the CRM side is reported with the reason
            text = f"report (CRM merge failed: {exc}): {text}"
    else:
        text = f"report: {text}"
    if merge_id is not None:
        dedupe_state.set_crm_action(ws.db, merge_id, text)
    return text


@dataclass
class UndoOutcome:
    merge_id: int
    restored: dict[str, Any]
    kept: dict[str, str]
    losers: list[int]
    moved_back: dict[str, int]
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"merge_id": self.merge_id, "restored": self.restored, "kept_later_edits": self.kept,
                "restored_people": self.losers, "moved_back": self.moved_back, "dry_run": self.dry_run}


def undo(ws: "Workspace", merge_id: int, *, dry_run: bool = False) -> UndoOutcome:
    """Put every record, field, link and membership back as before the merge; later edits to the winner stay."""
    event = dedupe_state.get_merge(ws.db, merge_id)
    if event is None:
        raise DedupeError(f"no merge with id {merge_id}", hint="`leadbridge dedupe merges` lists them")
    if event["undone_at"]:
        raise DedupeError(f"merge {merge_id} was already undone at {event['undone_at']:%Y-%m-%d %H:%M}")
    winner, losers = event["winner_id"], event["loser_ids"]
    later = dedupe_state.later_merges(ws.db, OBJ, merge_id, [winner, *losers])
    if later:
        raise DedupeError(f"merge {merge_id} was followed by merge {later[-1]} of the same people",
                          hint=f"undo merge {later[-1]} first")
    snap = event["snapshot"]
    current = ws.get(winner)
    restored, kept = {}, {}
    for f, (old, new) in snap["set"].items():
        now_text = to_text(current.get(f))
        if now_text == new:
            restored[f] = old
        else:
            kept[f] = now_text
    source = Source(SourceKind.MERGE, f"undo merge {merge_id}")
    changes = [Change(id=winner, values=restored, create=False)] if restored else []
    changes += [Change(id=i, values={"merged_into_id": None}, create=False) for i in losers]
    moved_back: dict[str, int] = {}

    def put_back(conn: sa.Connection, _result) -> None:
        for key, by_owner in snap["moved"].items():
            table, ref = _table_ref(ws, key)
            for owner, row_ids in by_owner.items():
                conn.execute(table.update().where(table.c.id.in_(row_ids)).values({ref: int(owner), **_touched(table)}))
                moved_back[key] = moved_back.get(key, 0) + len(row_ids)
        dedupe_state.mark_undone(conn, ws.db, merge_id, source.actor)
        dedupe_state.remember(conn, ws.db, OBJ, [winner, *losers], "rejected", source.actor, reason="merge undone")

    ws.write(changes, source, OBJ, dry_run=dry_run, after=put_back)
    return UndoOutcome(merge_id, restored, kept, losers, moved_back, dry_run)


def _touched(table: sa.Table) -> dict[str, datetime]:
    """updated_at for re-parented records: every change of a record row moves it (it is the row's version)."""
    return {"updated_at": datetime.now(timezone.utc)} if "updated_at" in table.c else {}


def _table_ref(ws: "Workspace", key: str) -> tuple[sa.Table, str]:
    if key == "crm_link":
        return ws.db.table("crm_link"), "record_id"
    if key == "record_change":
        return ws.db.table("record_change"), "record_id"
    obj, _, ref = key.partition(".")
    return ws.db.object_table(obj), ref
