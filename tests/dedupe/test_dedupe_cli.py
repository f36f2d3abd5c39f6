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
