"""List import as users do it: mapping, dedupe, accounting, rejects, resume, idempotence."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from leadbridge.errors import ImportFileError, MappingError
from leadbridge.model import Change, SourceKind


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",",
              newline: str = "\n") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path



HEADER = ["First Name", "Last Name", "E-mail Address", "Company", "Country", "Notes"]


def people_rows(n: int, start: int = 0) -> list[list[str]]:
    return [[f"First{i}", f"Last{i}", f"p{i}@example.com", f"Co {i % 7}", "Germany", f"note {i}"]
            for i in range(start, start + n)]


def test_accounting_dedupe_and_idempotence(importer, workspace, tmp_path):
    rows = [HEADER, *people_rows(5),
            ["", "Again", "P1@Example.com", "", "", "later note"],   # duplicate in file: collapsed
            ["No", "Email", "", "X", "", ""]]                          # no key: rejected
    f = write_csv(tmp_path / "list.csv", rows)
    rep = importer(f, list_name="Webinar")
    assert (rep.rows_read, rep.created, rep.collapsed, rep.rejected) == (7, 5, 1, 1) and rep.balanced
    p1 = workspace.list(where="email = 'p1@example.com'")[0]
    assert (p1["last_name"], p1["first_name"], p1["comments"]) == ("Again", "First1", "later note")
    assert p1["person_source"] == "List Import: Webinar"
    again = importer(f, list_name="Webinar")
    assert (again.created, again.updated, again.unchanged, again.collapsed, again.rejected) == (0, 0, 5, 1, 1)
    assert workspace.count() == 5
    members = workspace.list("campaign_member")
    assert len(members) == 5 and workspace.list("campaign")[0]["is_list"] is True


def test_update_existing_and_key_only_rows(importer, workspace, tmp_path):
    pid = workspace.write([Change({"email": "known@example.com", "title": "CTO", "company": "Acme"})],
                          SourceKind.API).items[0].id
    f = write_csv(tmp_path / "min.csv", [["email", "title"], ["known@example.com", ""],
                                        ["KNOWN@example.com", "CEO"]])
    rep = importer(f)
    assert rep.updated == 1 and rep.collapsed == 1
    rec = workspace.get(pid)
    assert (rec["title"], rec["company"]) == ("CEO", "Acme")  # blank cells never erase


def test_person_source_only_fills_empty(importer, workspace, tmp_path):
    pid = workspace.write([Change({"email": "s@example.com", "person_source": "Paid Search"})],
                          SourceKind.API).items[0].id
    importer(write_csv(tmp_path / "s.csv", [["email"], ["s@example.com"]]), list_name="Expo")
    assert workspace.get(pid)["person_source"] == "Paid Search"


def _source_history(workspace, pid):
    return [h for h in workspace.history(pid) if h["field"] == "person_source"]


def test_person_source_is_set_once_by_the_write_path(importer, workspace, tmp_path):
    """New people: the registration stage stamps List Import / name, the sourcing stage derives the source."""
    f = write_csv(tmp_path / "expo.csv", [["email", "city"], ["n@example.com", "Oslo"]])
    importer(f, list_name="Expo 2026")
    person = workspace.list(where="email = 'n@example.com'")[0]
    assert person["person_source"] == "List Import: Expo 2026"
    assert (person["registration_source_type"], person["registration_source_info"]) == ("List Import", "Expo 2026")
    hist = _source_history(workspace, person["id"])
    assert len(hist) == 1 and hist[0]["note"].startswith("person source: rule 'list import'")
    importer(f, list_name="Expo 2026")  # again: nothing changes, no second history entry
    importer(f, list_name="Other list")  # another list never overwrites a source
    assert workspace.get(person["id"])["person_source"] == "List Import: Expo 2026"
    assert len(_source_history(workspace, person["id"])) == 1


def test_person_source_fills_existing_people_without_one(importer, workspace, tmp_path):
    pid = workspace.write([Change({"email": "old@example.com"})], SourceKind.UI).items[0].id
    workspace.write([Change({"person_source": None}, id=pid)], SourceKind.UI)
    assert not workspace.get(pid)["person_source"]
    rep = importer(write_csv(tmp_path / "k.csv", [["email"], ["old@example.com"]]), list_name="Key only")
    assert rep.updated == 1
    rec = workspace.get(pid)
    assert rec["person_source"] == "List Import: Key only"
    assert rec["registration_source_type"] == "Manual"  # how the person was registered stays true


def test_person_source_column_in_the_file_wins(importer, workspace, tmp_path):
    importer(write_csv(tmp_path / "p.csv", [["email", "Person Source"], ["c@example.com", "Trade Show"]]),
             list_name="Expo")
    assert workspace.list(where="email = 'c@example.com'")[0]["person_source"] == "Trade Show"


def test_person_source_without_a_list_name_uses_the_file_name(importer, workspace, tmp_path):
    importer(write_csv(tmp_path / "partners-q4.csv", [["email"], ["f@example.com"]]))
    assert workspace.list(where="email = 'f@example.com'")[0]["person_source"] == "List Import: partners-q4"


def test_rejects_file_is_original_rows_with_reasons_in_input_encoding(importer, tmp_path):
    rows = [["姓名", "邮箱", "评分"], ["张伟", "zw@example.cn", "10"], ["李娜", "ln@example.cn", "很多"],
            ["王芳", "", "3"]]
    f = write_csv(tmp_path / "gbk.csv", rows, encoding="gb18030", delimiter=";")
    rep = importer(f, overrides={"评分": "lead_score"}, rejects=tmp_path / "rej.csv")
    assert rep.encoding == "gb18030" and rep.delimiter == ";" and (rep.created, rep.rejected) == (1, 2)
    text = (tmp_path / "rej.csv").read_bytes().decode("gb18030")
    got = list(csv.reader(text.splitlines(), delimiter=";"))
    assert got[0] == ["姓名", "邮箱", "评分", "leadbridge_row", "leadbridge_reasons"]
    assert got[1][:4] == ["李娜", "ln@example.cn", "很多", "3"] and "'很多' is not a valid integer" in got[1][4]
    assert got[2][:4] == ["王芳", "", "3", "4"] and "no email" in got[2][4]


def test_fixed_rejects_file_reimports(importer, workspace, tmp_path):
    f = write_csv(tmp_path / "a.csv", [["email", "lead_score"], ["a@x.com", "ten"], ["b@x.com", "5"]])
    importer(f, rejects=tmp_path / "rej.csv")
    rows = list(csv.reader((tmp_path / "rej.csv").read_text().splitlines()))
    rows[1][1] = "10"
    fixed = write_csv(tmp_path / "fixed.csv", rows)
    rep = importer(fixed)
    assert rep.created == 1 and "leadbridge_row" in rep.unmapped
    assert workspace.list(where="email = 'a@x.com'")[0]["lead_score"] == 10


def test_dry_run_predicts_and_writes_nothing(importer, workspace, tmp_path):
    workspace.write([Change({"email": "p0@example.com"})], SourceKind.API)
    rep = importer(write_csv(tmp_path / "d.csv", [HEADER, *people_rows(3)]), dry_run=True)
    assert (rep.created, rep.updated, rep.dry_run) == (2, 1, True)
    assert rep.preview[0]["values"]["first_name"] == "First0"
    assert workspace.count() == 1


def test_mapping_reasons_unmapped_and_saved(importer, workspace, tmp_path):
    f = write_csv(tmp_path / "m.csv", [["Emial Adress", "Firma", "Shoe size", "手机"], ["q@x.com", "Acme", "42", "138"]])
    rep = importer(f, dry_run=True, save_mapping=tmp_path / "map.yaml")
    by_col = {m["column"]: m for m in rep.mapping}
    assert by_col["Emial Adress"]["field"] == "email" and by_col["Emial Adress"]["reason"].startswith("fuzzy")
    assert by_col["Firma"]["field"] == "company" and by_col["手机"]["field"] == "mobile_phone"
    assert rep.unmapped == ["Shoe size"]
    rep2 = importer(f, mapping_file=tmp_path / "map.yaml")
    assert rep2.created == 1 and {m["reason"] for m in rep2.mapping} <= {"saved mapping", "not mapped"}


def test_no_key_column_is_a_mapping_error(importer, tmp_path):
    with pytest.raises(MappingError, match="no column maps to email"):
        importer(write_csv(tmp_path / "k.csv", [["Name", "City"], ["A", "B"]]))


# -- bad input: a clear error or per-row rejects, never a traceback or a silent loss -------------

def test_empty_file(importer, tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        importer(tmp_path / "e.csv")


def test_header_only(importer, tmp_path):
    rep = importer(write_csv(tmp_path / "h.csv", [["email", "first name"]]))
    assert rep.rows_read == 0 and rep.balanced


def test_duplicate_headers_are_renamed_and_reported(importer, workspace, tmp_path):
    rep = importer(write_csv(tmp_path / "d.csv", [["email", "email", "city"], ["a@x.com", "b@x.com", "Oslo"]]))
    assert rep.header_notes == ["duplicate header 'email' in column 2 renamed 'email (2)'"]
    assert "email (2)" in rep.unmapped and workspace.count() == 1


def test_ragged_rows_are_rejected_with_reason(importer, tmp_path):
    rep = importer(write_csv(tmp_path / "r.csv", [["email", "city", "title"], ["a@x.com", "Oslo", "CTO"],
                                                  ["b@x.com", "Rome", "CEO", "surprise"], ["c@x.com"]]))
    assert (rep.created, rep.rejected) == (1, 2) and rep.balanced
    assert any("4 cells" in r for r in rep.reject_reasons) and any("ragged" in r for r in rep.reject_reasons)


def test_unclosed_quote_is_reported_not_swallowed_silently(importer, tmp_path):
    body = "email,city\n" + 'a@x.com,"Oslo\n' + "".join(f"p{i}@x.com,City\n" for i in range(2000))
    (tmp_path / "q.csv").write_text(body)
    rep = importer(tmp_path / "q.csv")
    assert rep.rows_read == 1 and rep.rejected == 1
    assert any("unclosed quote" in r for r in rep.reject_reasons)


def test_nul_bytes_reject_the_row(importer, tmp_path):
    (tmp_path / "n.csv").write_bytes(b"email,city\na@x.com,Os\x00lo\nb@x.com,Rome\n")
    rep = importer(tmp_path / "n.csv")
    assert (rep.created, rep.rejected) == (1, 1) and any("NUL" in r for r in rep.reject_reasons)


def test_mixed_line_endings(importer, tmp_path):
    (tmp_path / "l.csv").write_bytes(b"email,city\r\na@x.com,Oslo\nb@x.com,Rome\rc@x.com,Bern\r\n")
    assert importer(tmp_path / "l.csv").created == 3


def test_fifty_megabyte_cell_is_rejected(importer, tmp_path):
    (tmp_path / "big.csv").write_text("email,comments\n" + "a@x.com," + "x" * (50 * 1024 * 1024) + "\nb@x.com,ok\n")
    rep = importer(tmp_path / "big.csv")
    assert (rep.created, rep.rejected) == (1, 1) and any("MB" in r for r in rep.reject_reasons)


def test_binary_junk_is_refused(importer, tmp_path):
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 400)
    with pytest.raises(ImportFileError):
        importer(tmp_path / "junk.csv")


def test_gbk_file_declared_utf8_says_which_encoding_it_is(importer, tmp_path):
    f = write_csv(tmp_path / "g.csv", [["姓名", "邮箱"], ["张伟", "zw@example.cn"]] * 30, encoding="gbk")
    with pytest.raises(ImportFileError) as exc:
        importer(f, encoding="utf-8")
    assert "not valid utf-8" in str(exc.value) and "gb18030" in exc.value.hint


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "gb18030", "big5", "cp932", "cp1252"])
def test_encodings_are_detected(importer, workspace, tmp_path, encoding):
    names = {"utf-8-sig": "Zoë", "utf-16": "Zoë", "gb18030": "张伟", "big5": "陳大文", "cp932": "山田太郎",
             "cp1252": "Zoë Müller-Lüdenscheidt"}
    rows = [["name", "email", "city"]] + [[names[encoding], f"u{i}@example.com", "x"] for i in range(40)]
    rep = importer(write_csv(tmp_path / "enc.csv", rows, encoding=encoding))
    assert rep.created == 40
    stored = workspace.list(where="email = 'u1@example.com'")[0]
    first, last = stored["first_name"] or "", stored["last_name"] or ""
    assert names[encoding] in (last + first, f"{first} {last}")  # CJK names are surname-first


def test_xlsx_with_merged_cells_and_formulas(importer, workspace, tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    sh = wb.active
    sh.append(["Email", "Company", "Score"])
    sh.append(["a@x.com", "Acme", 5])
    sh.append(["b@x.com", None, 7])
    sh.append(["c@x.com", "Beta", "=C2*2"])   # a formula no spreadsheet ever computed: no saved result
    sh.append(["d@x.com", "Gamma", "#REF!"])
    sh.merge_cells("B2:B3")
    wb.create_sheet("Other").append(["Email"])
    wb.save(tmp_path / "book.xlsx")
    rep = importer(tmp_path / "book.xlsx", overrides={"Score": "lead_score"}, rejects=tmp_path / "rej.csv")
    assert rep.format == "xlsx" and rep.rows_read == 4 and (rep.created, rep.rejected) == (2, 2) and rep.balanced
    assert workspace.list(where="email = 'b@x.com'")[0]["company"] == "Acme"  # merged cell filled
    rejected = list(csv.reader((tmp_path / "rej.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [r[0] for r in rejected[1:]] == ["c@x.com", "d@x.com"]
    assert "formula (=C2*2) without a saved result" in rejected[1][-1] and "#REF!" in rejected[2][-1]
    assert [r[-2] for r in rejected[1:]] == ["4", "5"]  # sheet row numbers
    assert importer(tmp_path / "book.xlsx", sheet="Other").rows_read == 0
    with pytest.raises(ImportFileError, match="no sheet 'Nope'"):
        importer(tmp_path / "book.xlsx", sheet="Nope")


def test_ten_thousand_columns(importer, workspace, tmp_path):
    header = ["email"] + [f"col{i}" for i in range(10_000)]
    rep = importer(write_csv(tmp_path / "wide.csv", [header, ["w@x.com"] + ["v"] * 10_000]))
    assert rep.created == 1 and len(rep.unmapped) == 10_000


def test_hostile_strings_survive_import_and_export_is_escaped(importer, workspace, tmp_path):
    from leadbridge.importing.export import export_csv
    evil = ["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(1)", "Robert'); DROP TABLE person;--"]
    rows = [["email", "title"]] + [[f"e{i}@x.com", s] for i, s in enumerate(evil)]
    importer(write_csv(tmp_path / "evil.csv", rows))
    n = export_csv(workspace, tmp_path / "out.csv", columns=["email", "title"])
    out = list(csv.reader((tmp_path / "out.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert n == 5 and [r[1] for r in out[1:]] == ["'" + s if s[0] in "=+-@" else s for s in evil]


WRITER = """
import sys
from pathlib import Path
from leadbridge.importing import ImportOptions, run_import
from leadbridge.workspace import Workspace
ws = Workspace.open(sys.argv[1])
ws.config.write.batch_size = 200
run_import(ws, Path(sys.argv[2]), ImportOptions(resume=len(sys.argv) > 3, list_name="L"),
           progress=lambda done, n: print(done, flush=True))
"""


def test_killed_import_resumes_without_double_applying(workspace, tmp_path, capsys, monkeypatch):
    f = write_csv(tmp_path / "big.csv", [HEADER, *people_rows(6000)])
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(workspace.root), str(f)], stdout=subprocess.PIPE,
                            text=True, cwd=tmp_path)
    for _ in range(5):
        proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = workspace.count()
    assert 0 < done_before < 6000
    with pytest.raises(ImportFileError, match="was interrupted") as exc:
        from leadbridge.importing import ImportOptions, run_import
        run_import(workspace, f, ImportOptions(list_name="L"))
    assert "--resume" in exc.value.hint
    # resume with the CLI, whose batch size (the workspace's) differs from the killed run's 200
    from leadbridge.cli.main import main
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(f), "-w", str(workspace.root), "--resume", "--list", "L", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["resumed_batches"] >= 5 and rep["balanced"]
    assert (rep["rows_read"], rep["created"], rep["updated"], rep["unchanged"]) == (6000, 6000, 0, 0)
    assert workspace.count() == 6000
    hist = workspace.history(workspace.list(where="email = 'p1@example.com'")[0]["id"])
    assert [h["field"] for h in hist].count("first_name") == 1  # applied once
    with pytest.raises(ImportFileError, match="no interrupted import"):
        run_import(workspace, f, ImportOptions(list_name="L", resume=True))
    assert len(workspace.list("campaign_member")) == 6000


def test_field_blocked_for_imports_is_kept_and_reported(importer, workspace, tmp_path):
    from leadbridge.config import PolicyConfig
    workspace.config.policies["country"] = PolicyConfig(blocked_sources=["list_import"])
    pid = workspace.write([Change({"email": "b@x.com", "country": "DE"})], SourceKind.UI).items[0].id
    f = write_csv(tmp_path / "b.csv", [["email", "country", "city"], ["b@x.com", "France", "Paris"],
                                       ["new@x.com", "France", "Lyon"]])
    rep = importer(f)
    assert (rep.created, rep.updated) == (1, 1)
    assert (workspace.get(pid)["country"], workspace.get(pid)["city"]) == ("Germany", "Paris")
    assert rep.kept_by_policy == {"country: source list_import is blocked for this field": 1}
    assert workspace.list(where="email = 'new@x.com'")[0]["country"] == "France"  # blank fields may be filled


def test_encoding_changing_after_the_sample_is_refused_before_writing(importer, workspace, tmp_path):
    ascii_part = "email,city\n" + "".join(f"a{i}@example.com,Oslo\n" for i in range(15_000))  # > 256 KB
    gbk_part = "".join(f"g{i}@example.cn,北京市朝阳区\n" for i in range(200)).encode("gbk")
    (tmp_path / "late.csv").write_bytes(ascii_part.encode() + gbk_part)
    with pytest.raises(ImportFileError) as exc:
        importer(tmp_path / "late.csv")
    assert "not valid utf-8 at line 15002" in str(exc.value) and "nothing was imported" in str(exc.value)
    assert "--encoding gb18030" in exc.value.hint and workspace.count() == 0
    rep = importer(tmp_path / "late.csv", encoding="gb18030", dry_run=True)  # ASCII is valid GB18030 too
    assert rep.rows_read == 15_200 and rep.balanced


@pytest.mark.parametrize("duplicates, expected", [("later", ("CEO", "Oslo", "Acme")),
                                                  ("first", ("CTO", "Oslo", "Acme"))])
def test_duplicates_in_the_file_collapse_later_or_first_wins(importer, workspace, tmp_path, duplicates, expected):
    workspace.config.write.batch_size = 2  # the duplicates land in different batches too
    f = write_csv(tmp_path / "dup.csv", [["email", "title", "city", "company"],
                                         ["d@x.com", "CTO", "", ""], ["other@x.com", "", "", ""],
                                         ["D@x.com", "CEO", "Oslo", ""], ["d@x.com", "", "", "Acme"]])
    rep = importer(f, duplicates=duplicates)
    assert (rep.rows_read, rep.created, rep.collapsed) == (4, 2, 2) and rep.balanced
    p = workspace.list(where="email = 'd@x.com'")[0]
    assert (p["title"], p["city"], p["company"]) == expected


def test_crm_id_only_rows_update_known_people_and_reject_unknown_ids(importer, workspace, tmp_path):
    pid = workspace.write([Change({"email": "k@x.com", "title": "CTO"}, crm_id="00Q000000000001AAA",
                                  crm_object="Lead")], SourceKind.CRM).items[0].id
    f = write_csv(tmp_path / "ids.csv", [["Salesforce Id", "Title"], ["00Q000000000001AAA", "CEO"],
                                         ["00Q000000000999AAA", "CFO"]])
    rep = importer(f, rejects=tmp_path / "rej.csv")
    assert (rep.updated, rep.created, rep.rejected) == (1, 0, 1) and rep.balanced
    assert workspace.get(pid)["title"] == "CEO" and workspace.count() == 1
    assert "matches no one" in (tmp_path / "rej.csv").read_text(encoding="utf-8")


def test_cell_over_the_reader_limit_stops_with_a_reject_saying_so(importer, tmp_path, monkeypatch):
    from leadbridge.importing import sources
    monkeypatch.setattr(sources, "MAX_CELL", 1024 * 1024)
    (tmp_path / "huge.csv").write_text("email,comments\na@x.com,ok\nb@x.com," + "x" * (2 * 1024 * 1024)
                                       + "\nc@x.com,after\n")
    rep = importer(tmp_path / "huge.csv", rejects=tmp_path / "rej.csv")
    assert (rep.created, rep.rejected) == (1, 1) and rep.balanced
    (reason,) = rep.reject_reasons
    assert reason.startswith("the file could not be read from line 3 on (field larger than field limit")
