"""`leadbridge import` / `leadbridge export` as a user runs them: what they print, and errors without tracebacks."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from leadbridge.cli.main import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr with whitespace removed (rich wraps lines at the terminal's width)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out if "--json" in args else flat(out), flat(err)


def flat(text: str) -> str:
    return "".join(text.split())


CHINESE = ["姓名", "电子邮件", "手机", "公司名称", "国家/地区", "省份", "备注"]


@pytest.fixture
def chinese_list(tmp_path: Path) -> Path:
    rows = [CHINESE, ["张伟", "zw@example.cn", "13800138000", "华为", "中国", "广东", "老客户"],
            ["李娜", "ln@example.cn", "13900139000", "腾讯", "中国", "广东省", ""],
            ["王芳", "", "", "阿里巴巴", "中国", "浙江", ""]]
    path = tmp_path / "展会名单.csv"
    with path.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_chinese_headers_map_by_synonym(workspace, chinese_list, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "import", str(chinese_list), "-w", str(workspace.root), "--dry-run", "--json")
    rep = json.loads(out)
    fields = {m["column"]: (m["field"], m["reason"], m["confidence"]) for m in rep["mapping"]}
    assert fields == {"姓名": ("full_name", "synonym", 1.0), "电子邮件": ("email", "synonym", 1.0),
                      "手机": ("mobile_phone", "synonym", 1.0), "公司名称": ("company", "synonym", 1.0),
                      "国家/地区": ("country", "synonym", 1.0), "省份": ("state", "synonym", 1.0),
                      "备注": ("comments", "synonym", 1.0)}
    assert code == 0 and rep["encoding"] == "gb18030" and rep["dry_run"] and workspace.count() == 0
    assert (rep["created"], rep["rejected"], rep["balanced"]) == (2, 1, True)
    first = rep["preview"][0]["values"]
    assert (first["country"], first["email"]) == ("China", "zw@example.cn")  # 中国, normalized in the preview


def test_dry_run_prints_mapping_preview_and_predicted_counts(workspace, chinese_list, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "import", str(chinese_list), "-w", str(workspace.root), "--dry-run")
    assert code == 0 and flat("column mapping") in out and "synonym" in out and "1.00" in out
    assert flat("row 2 → created") in out and flat("would be") in out and flat("nothing written") in out
    assert flat("rows read 3 = created 2 + updated 0 + unchanged 0 + collapsed 0 + rejected 1") in out
    assert workspace.count() == 0 and not list(tmp_path.glob("*.rejects.csv"))


def test_import_prints_accounting_and_records_campaign_membership(workspace, chinese_list, capsys, monkeypatch,
                                                                  tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "import", str(chinese_list), "-w", str(workspace.root),
                       "--campaign", "Expo 2026", "--status", "Responded")
    assert code == 0, out
    assert flat("rows read 3 = created 2 + updated 0 + unchanged 0 + collapsed 0 + rejected 1") in out
    assert "展会名单.rejects.csv" in out and flat("added 2 people to Expo 2026") in out
    members = workspace.list("campaign_member")
    assert len(members) == 2 and {m["status"] for m in members} == {"Responded"} and all(m["responded"] for m in members)
    campaign = workspace.list("campaign")[0]
    assert (campaign["name"], campaign["is_list"]) == ("Expo 2026", False)
    assert {p["person_source"] for p in workspace.list()} == {"List Import: Expo 2026"}
    code, out, _ = run(capsys, "import", str(chinese_list), "-w", str(workspace.root), "--campaign", "Expo 2026",
                       "--status", "Responded", "--json")
    again = json.loads(out)  # the same file again changes nothing
    assert (again["created"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 2, 1)
    assert len(workspace.list("campaign_member")) == 2


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (bytes(range(256)) * 400, "binary"),
])
def test_bad_files_are_one_line_errors_with_a_next_step(workspace, tmp_path, capsys, content, message):
    (tmp_path / "bad.csv").write_bytes(content)
    code, out, err = run(capsys, "import", str(tmp_path / "bad.csv"), "-w", str(workspace.root))
    assert code == 1 and flat(message) in err and "next:" in err and "Traceback" not in out + err


def test_missing_key_column_and_unknown_map_field(workspace, tmp_path, capsys):
    (tmp_path / "k.csv").write_text("Name,City\nAnn,Oslo\n")
    code, out, err = run(capsys, "import", str(tmp_path / "k.csv"), "-w", str(workspace.root))
    assert code == 1 and flat("no column maps to email") in err and "--map" in err and "Traceback" not in out + err
    code, out, err = run(capsys, "import", str(tmp_path / "k.csv"), "-w", str(workspace.root), "--map", "City=shoe")
    assert code == 1 and flat("unknown field 'shoe'") in err


def test_export_where_escapes_formulas(workspace, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.csv").write_text("email,title,city\na@x.com,=HYPERLINK(\"http://evil\"),Oslo\n"
                                     "b@x.com,@SUM(A1),Rome\nc@x.com,Boss,Oslo\n")
    assert run(capsys, "import", str(tmp_path / "in.csv"), "-w", str(workspace.root))[0] == 0
    code, out, _ = run(capsys, "export", "-w", str(workspace.root), "--where", "city = 'Oslo'",
                       "-c", "email,title", "-o", str(tmp_path / "out.csv"), "--json")
    assert code == 0 and json.loads(out)["rows"] == 2
    rows = list(csv.reader((tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows == [["email", "title"], ["a@x.com", "'=HYPERLINK(\"http://evil\")"], ["c@x.com", "Boss"]]


def test_ten_thousand_columns_print_a_short_report(workspace, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    header = ["email"] + [f"col{i}" for i in range(10_000)]
    with (tmp_path / "wide.csv").open("w", newline="") as fh:
        csv.writer(fh).writerows([header, ["w@x.com"] + ["v"] * 10_000])
    code, out, _ = run(capsys, "import", str(tmp_path / "wide.csv"), "-w", str(workspace.root))
    assert code == 0 and flat("10,000 columns, no field") in out and flat("and 9,970 more") in out
    assert "col29" in out and "col30," not in out and flat("rows read 1 = created 1") in out
