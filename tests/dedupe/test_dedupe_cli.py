"""`leadbridge dedupe` as a user runs it: find, merge --dry-run, merge --auto, merges, undo, review."""

from __future__ import annotations

import json

from leadbridge.cli.main import main
from leadbridge.model import Change, SourceKind
from leadbridge.workspace import Workspace


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def seed(ws: Workspace) -> list[int]:
    return ws.write([
        Change({"first_name": "William", "last_name": "Okonkwo", "email": "w.okonkwo@fabrikam.com",
                "company": "Fabrikam Inc.", "phone": "+13125550142"}),
        Change({"first_name": "Bill", "last_name": "Okonkwo", "email": "W.Okonkwo@Fabrikam.com ",
                "company": "FABRIKAM"}),
        Change({"first_name": "Bill", "last_name": "Okonkwo", "email": "bill.o@gmail.com",
                "company": "Fabrikam", "phone": "(312) 555-0142"}),
        Change({"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.mil", "company": "US Navy"}),
    ], SourceKind.LIST_IMPORT).ids


def test_find_merge_and_undo_from_the_command_line(workspace: Workspace, capsys):
    ids = seed(workspace)
    w = str(workspace.root)
    assert ids[0] == ids[1]  # the same email (case and spaces aside) was already one person on import
    code, out, _ = run(capsys, "dedupe", "find", "-w", w, "--json")
    report = json.loads(out)
    assert code == 0 and [c["ids"] for c in report["clusters"]] == [[ids[0], ids[2]]]
    assert report["clusters"][0]["pairs"][0]["fields"]

    code, out, _ = run(capsys, "dedupe", "merge", "--auto", "--dry-run", "-w", w)
    assert code == 0 and f"would merge {ids[2]} into {ids[0]}" in out and "nothing changed" in out
    assert workspace.count() == 3

    code, out, _ = run(capsys, "dedupe", "merge", "--auto", "-w", w, "--json")
    merged = json.loads(out)
    assert code == 0 and merged[0]["winner"] == ids[0] and merged[0]["losers"] == [ids[2]]
    assert workspace.count() == 2

    code, out, _ = run(capsys, "dedupe", "merges", "-w", w, "--json")
    assert [m["id"] for m in json.loads(out)] == [merged[0]["merge_id"]]

    code, out, _ = run(capsys, "dedupe", "undo", str(merged[0]["merge_id"]), "-w", w)
    assert code == 0 and f"restored people {ids[2]}" in out
    assert workspace.count() == 3
    code, out, _ = run(capsys, "dedupe", "find", "-w", w, "--json")
    assert json.loads(out)["clusters"] == []  # an undone merge is remembered as "not duplicates"


def test_errors_say_what_to_do(workspace: Workspace, capsys):
    seed(workspace)
    w = str(workspace.root)
    code, _, err = run(capsys, "dedupe", "merge", "-w", w)
    assert code != 0 and "--auto" in err
    code, _, err = run(capsys, "dedupe", "undo", "99", "-w", w)
    assert code != 0 and "no merge with id 99" in err and "dedupe merges" in err
    code, _, err = run(capsys, "dedupe", "accept", "5", "-w", w)
    assert code != 0 and "no review pair 5" in err


def test_review_accept_and_reject_from_the_command_line(workspace: Workspace, capsys):
    from leadbridge.dedupe.synthetic import synthetic_people
    cfg = workspace.root / "leadbridge.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("auto_merge_threshold: 0.99", "auto_merge_threshold: 1.0")
                   .replace("review_threshold: 0.8 ", "review_threshold: 0.5 "), encoding="utf-8")
    people = synthetic_people(150, duplicate_share=0.0, hard_share=0.0, seed=9)
    workspace.write([Change({k: v for k, v in p.items() if k != "entity"}) for p in people], SourceKind.LIST_IMPORT)
    x, y, u, v = workspace.write([
        Change({"first_name": "Dana", "last_name": "Okafor", "email": "dana.okafor@contoso.com", "company": "Contoso"}),
        Change({"first_name": "Dana", "last_name": "Okafor", "email": "dokafor@contoso.com", "company": "Contoso Ltd"}),
        Change({"first_name": "Priya", "last_name": "Raman", "email": "priya.raman@fabrikam.com", "company": "Fabrikam"}),
        Change({"first_name": "Priya", "last_name": "Raman", "email": "praman@fabrikam.com", "company": "Fabrikam Inc"}),
    ], SourceKind.LIST_IMPORT).ids
    w = str(workspace.root)
    code, out, _ = run(capsys, "dedupe", "find", "-w", w, "--json")
    assert code == 0 and json.loads(out)["clusters"] == []          # nothing merges by itself at 1.0
    code, out, _ = run(capsys, "dedupe", "review", "-w", w, "--json", "-n", "0")
    queue = {(p["a_id"], p["b_id"]): p for p in json.loads(out)}
    assert {(x, y), (u, v)} <= set(queue) and queue[(x, y)]["a"]["first_name"] == "Dana"
    code, out, _ = run(capsys, "dedupe", "review", "-w", w)
    assert code == 0 and f"pair {queue[(x, y)]['id']}" in out and "agreement" in out
    code, out, _ = run(capsys, "dedupe", "reject", str(queue[(x, y)]["id"]), "-w", w)
    assert code == 0 and "rejected 1 pair" in out
    code, out, _ = run(capsys, "dedupe", "accept", str(queue[(u, v)]["id"]), "-w", w, "--json")
    assert code == 0 and json.loads(out)[0]["merge_id"] and workspace.get(v)["merged_into_id"] in (u, v)
    code, out, _ = run(capsys, "dedupe", "find", "-w", w, "--json")
    again = json.loads(out)
    assert (x, y) not in {(p["a"], p["b"]) for p in again["review"]} and again["skipped_rejected_pairs"] >= 1
    code, out, _ = run(capsys, "dedupe", "review", "--status", "rejected", "-w", w, "--json")
    assert [(p["a_id"], p["b_id"]) for p in json.loads(out)] == [(x, y)]
