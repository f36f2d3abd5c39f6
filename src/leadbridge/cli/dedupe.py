"""`leadbridge dedupe`: find duplicates, review pairs, merge (by hand or automatically), undo a merge."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import typer
from rich.table import Table

from leadbridge.cli.context import JsonOpt, WorkspaceOpt, open_workspace
from leadbridge.cli.output import console, err_console, print_json
from leadbridge.cli.people import WHERE_HELP
from leadbridge.errors import DedupeError

app = typer.Typer(help="Duplicates: find, review, merge with survivorship, undo.", no_args_is_help=True)
SHOWN = ("first_name", "last_name", "email", "company", "phone", "city", "country")


@contextmanager
def _progress(quiet: bool) -> Iterator:
    if quiet:
        yield None
        return
    with err_console.status("dedupe: starting") as status:
        yield lambda msg: status.update(f"dedupe: {msg}")


def _reasons(fields: list[dict]) -> str:
    strong = sorted((f for f in fields if f["level"] != "missing"), key=lambda f: -abs(f["weight"]))[:3]
    return ", ".join(f"{f['field']} {f['level']} ({f['weight']:+.1f})" for f in strong)


@app.command("find")
def find_cmd(where: Optional[str] = typer.Option(None, "--where", help=WHERE_HELP),
             limit: int = typer.Option(20, "--limit", "-n", help="Clusters and review pairs to print (0: all)."),
             workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Find duplicate people: clusters above auto_merge_threshold, and pairs for review below it."""
    from leadbridge.dedupe.find import find
    with open_workspace(workspace) as ws, _progress(as_json) as step:
        report = find(ws, where, progress=step)
    if as_json:
        print_json(report.as_dict())
        return
    console.print(f"{report.records:,} people, {report.candidates:,} candidate pairs compared in "
                  f"{report.seconds:.1f} s")
    table = Table(title=f"{len(report.clusters):,} clusters to merge (p >= {report.thresholds['auto_merge']})")
    for col in ("people", "score", "rule", "why"):
        table.add_column(col)
    for c in report.clusters[: limit or None]:
        table.add_row(", ".join(map(str, c.ids)), f"{c.score:.4f}", c.pairs[0]["rule"], _reasons(c.pairs[0]["fields"]))
    console.print(table)
    console.print(f"{len(report.review):,} pairs for review ({report.new_review:,} new): `leadbridge dedupe review`")
    if report.rejected_before:
        console.print(f"{report.rejected_before:,} pairs skipped: rejected earlier")
    big = {k: v for k, v in report.skipped_blocks.items() if v}
    if big:
        console.print(f"blocks too large to compare (max_block_size): {big}")
    if report.clusters:
        console.print("next: `leadbridge dedupe merge --auto --dry-run`, then without --dry-run")


@app.command("review")
def review_cmd(status: str = typer.Option("review", "--status", help="review, accepted, rejected or merged."),
               limit: int = typer.Option(20, "--limit", "-n", help="Pairs to show (0: all)."),
               workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """List pairs waiting for a decision, side by side."""
    from leadbridge.store import dedupe_state
    with open_workspace(workspace) as ws:
        pairs = dedupe_state.review_queue(ws.db, "person", status, limit or None)
        people = {i: ws.get(i) for p in pairs for i in (p["a_id"], p["b_id"])}
    if as_json:
        print_json([{**p, "a": {f: people[p["a_id"]].get(f) for f in SHOWN},
                     "b": {f: people[p["b_id"]].get(f) for f in SHOWN}} for p in pairs])
        return
    if not pairs:
        console.print(f"no pairs with status {status}")
        return
    for p in pairs:
        a, b = people[p["a_id"]], people[p["b_id"]]
        table = Table(title=f"pair {p['id']}: {p['a_id']} ↔ {p['b_id']}  p={p['score']:.3f}  rule: {p['rule']}")
        table.add_column("field")
        table.add_column(str(p["a_id"]))
        table.add_column(str(p["b_id"]))
        levels = {f["field"]: f for f in (p.get("detail") or {}).get("fields", [])}
        table.add_column("agreement")
        for f in SHOWN:
            lv = levels.get(f)
            table.add_row(f, str(a.get(f) or ""), str(b.get(f) or ""),
                          f"{lv['level']} ({lv['weight']:+.1f})" if lv else "")
        console.print(table)
    console.print("decide: `leadbridge dedupe accept ID` (merges) or `leadbridge dedupe reject ID` (never proposed again)")


@app.command("accept")
def accept_cmd(pair_ids: List[int] = typer.Argument(..., help="Pair ids from `dedupe review`."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Show the merge without doing it."),
               workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Accept pairs as duplicates: each is merged now."""
    from leadbridge.dedupe.merge import merge
    from leadbridge.store import dedupe_state
    out = []
    with open_workspace(workspace) as ws:
        for pid in pair_ids:
            pair = _open_pair(ws, pid)
            outcome = merge(ws, [pair["a_id"], pair["b_id"]], reason=f"review pair {pid} accepted", dry_run=dry_run)
            if not dry_run:
                dedupe_state.decide_pair(ws.db, pid, "merged", _actor())
            out.append(outcome)
    _print_merges(out, as_json)


@app.command("reject")
def reject_cmd(pair_ids: List[int] = typer.Argument(..., help="Pair ids from `dedupe review`."),
               workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Reject pairs: they are remembered and not proposed again."""
    from leadbridge.store import dedupe_state
    with open_workspace(workspace) as ws:
        for pid in pair_ids:
            _open_pair(ws, pid)
            dedupe_state.decide_pair(ws.db, pid, "rejected", _actor())
    print_json({"rejected": pair_ids}) if as_json else console.print(f"rejected {len(pair_ids)} pair(s)")


def _open_pair(ws, pid: int) -> dict:
    from leadbridge.store import dedupe_state
    pair = dedupe_state.get_pair(ws.db, pid)
    if pair is None:
        raise DedupeError(f"no review pair {pid}", hint="`leadbridge dedupe review` lists them")
    if pair["status"] != "review":
        raise DedupeError(f"pair {pid} is already {pair['status']}")
    return pair


def _actor() -> str:
    from leadbridge.workspace import _actor as actor
    return actor()


@app.command("merge")
def merge_cmd(ids: Optional[List[int]] = typer.Argument(None, help="People to merge into one."),
              auto: bool = typer.Option(False, "--auto", help="Merge every cluster above auto_merge_threshold."),
              where: Optional[str] = typer.Option(None, "--where", help="With --auto: only these people."),
              dry_run: bool = typer.Option(False, "--dry-run", help="Show winners and field values, change nothing."),
              workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Merge people: the winner keeps its id; fields follow the survivorship rules; undo with `dedupe undo`."""
    from leadbridge.dedupe.find import auto_merge
    from leadbridge.dedupe.merge import merge
    if bool(ids) == auto:
        raise DedupeError("give the people to merge, or --auto", hint="`leadbridge dedupe merge 12 57` or "
                          "`leadbridge dedupe merge --auto --dry-run`")
    with open_workspace(workspace) as ws:
        if auto:
            with _progress(as_json) as step:
                _, outcomes = auto_merge(ws, where, dry_run=dry_run, progress=step)
        else:
            outcomes = [merge(ws, ids, dry_run=dry_run)]
    _print_merges(outcomes, as_json)


def _print_merges(outcomes: list, as_json: bool) -> None:
    if as_json:
        print_json([o.as_dict() for o in outcomes])
        return
    for o in outcomes:
        p = o.plan
        head = "would merge" if o.dry_run else f"merge {o.merge_id}:"
        console.print(f"{head} {', '.join(map(str, p.loser_ids))} into {p.winner_id} (winner: {p.why})")
        for f, (value, rule) in p.values.items():
            console.print(f"  {f}: {p.before[p.winner_id].get(f)!r} → {value!r}  [{rule}]", highlight=False)
        if o.moved:
            console.print("  moved to the winner: " + ", ".join(f"{n} {k}" for k, n in o.moved.items() if n))
        if o.crm_action:
            console.print(f"  CRM: {o.crm_action}")
    if not outcomes:
        console.print("nothing to merge")
    elif any(o.dry_run for o in outcomes):
        console.print(f"dry run: {len(outcomes)} merge(s), nothing changed")
    else:
        console.print(f"{len(outcomes)} merge(s) done; undo one with `leadbridge dedupe undo MERGE_ID`")


@app.command("undo")
def undo_cmd(merge_id: int = typer.Argument(..., help="The merge to undo (see `dedupe merges`)."),
             dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be restored."),
             workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """Undo a merge: every person, field, CRM id, membership and history entry goes back; later edits stay."""
    from leadbridge.dedupe.merge import undo
    with open_workspace(workspace) as ws:
        outcome = undo(ws, merge_id, dry_run=dry_run)
    if as_json:
        print_json(outcome.as_dict())
        return
    verb = "would restore" if dry_run else "restored"
    console.print(f"{verb} people {', '.join(map(str, outcome.losers))}; winner fields back: "
                  f"{', '.join(outcome.restored) or 'none'}")
    if outcome.kept:
        console.print(f"kept later edits: {', '.join(outcome.kept)}")
    if outcome.moved_back:
        console.print("moved back: " + ", ".join(f"{n} {k}" for k, n in outcome.moved_back.items()))
    if not dry_run:
        console.print("the pair is remembered as not duplicates (`dedupe find` will not propose it again)")


@app.command("merges")
def merges_cmd(person: Optional[int] = typer.Option(None, "--person", help="Only merges into this person."),
               limit: int = typer.Option(50, "--limit", "-n"),
               workspace: Optional[Path] = WorkspaceOpt, as_json: bool = JsonOpt) -> None:
    """List merges, newest first, with what was reported or done in the CRM."""
    from leadbridge.store import dedupe_state
    with open_workspace(workspace) as ws:
        rows = dedupe_state.merges(ws.db, limit=limit, record_id=person)
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} merges")
    for col in ("id", "winner", "merged", "reason", "when", "CRM", "undone"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), str(r["winner_id"]), ", ".join(map(str, r["loser_ids"])), r["reason"] or "",
                      f"{r['merged_at']:%Y-%m-%d %H:%M}", r["crm_action"] or "",
                      f"{r['undone_at']:%Y-%m-%d %H:%M}" if r["undone_at"] else "")
    console.print(table)
