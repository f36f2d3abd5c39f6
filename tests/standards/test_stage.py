"""Standards on every write: normalized values, flags, rejects, history notes, and the CLI."""

from __future__ import annotations

import json

from leadbridge.cli.main import main
from leadbridge.config import load_config
from leadbridge.model import Change, Outcome, SourceKind
from leadbridge.workspace import Workspace


def test_values_are_normalized_on_write_with_history_notes(workspace: Workspace):
    pid = workspace.write([Change({"email": " Ann@Example.COM", "country": "USA", "state": "Calif.",
                                   "phone": "(415) 555-0132", "last_name": "LEE", "company": "Acme"})],
                          SourceKind.FORM).items[0].id
    rec = workspace.get(pid)
    assert (rec["email"], rec["country"], rec["state"], rec["phone"], rec["last_name"]) == \
        ("Ann@example.com", "United States", "CA", "+14155550132", "Lee")
    notes = {h["field"]: h["note"] for h in workspace.history(pid)}
    assert "'USA' → US" in notes["country"] and "'Calif.' → US-CA" in notes["state"]
    assert not rec["data_invalid"]


def test_flagged_records_are_kept_and_marked(workspace: Workspace):
    res = workspace.write([Change({"email": "x@@y", "country": "Narnia", "last_name": "X", "company": "C"})],
                          SourceKind.FORM).items[0]
    rec = workspace.get(res.id)
    assert res.outcome is Outcome.CREATED and set(res.flags) == {"email valid", "country known"}
    assert rec["data_invalid"] is True and rec["email_invalid"] is True and "Narnia" in rec["data_issues"]
    workspace.write([Change({"email": "x@example.org", "country": "Norway"}, id=res.id)], SourceKind.UI)
    rec = workspace.get(res.id)
    assert rec["data_invalid"] is None and rec["email_invalid"] is None and rec["data_issues"] is None


def test_reject_rules_refuse_the_change(workspace: Workspace):
    rules = [{"name": "score range", "field": "title", "kind": "regex", "pattern": "[A-Za-z ]+", "action": "reject"}]
    workspace.config = load_config(None, environ={}, overrides={"standards": {"rules": rules}})
    workspace.pipeline.config = workspace.config
    workspace.install_default_stages()
    res = workspace.write([Change({"email": "r@example.org", "title": "CEO!!"})], SourceKind.FORM).items[0]
    assert res.outcome is Outcome.REJECTED and "score range" in res.reasons[0]
    assert workspace.count() == 0


def test_standards_check_cli(capsys, tmp_path):
    f = tmp_path / "values.txt"
    f.write_text("USA\nDeutschland\nEurope\n中国\n", encoding="utf-8")
    assert main(["standards", "check", "--field", "country", "--file", str(f), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["input"], r["value"], r["code"]) for r in rows] == [
        ("USA", "United States", "US"), ("Deutschland", "Germany", "DE"), ("Europe", None, None), ("中国", "China", "CN")]
    assert main(["standards", "check", "--field", "state", "--country", "US", "Calif.", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["code"] == "US-CA"


def test_standards_apply_normalizes_stored_people_through_the_door(workspace: Workspace, capsys):
    workspace.config.standards.enabled = False
    pid = workspace.write([Change({"email": "a@example.org", "country": "deutschland", "last_name": "SMITH"})],
                          SourceKind.API).items[0].id
    workspace.config.standards.enabled = True
    w = str(workspace.root)
    assert main(["standards", "apply", "-w", w, "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["changed"] == 1 and workspace.get(pid)["country"] == "deutschland"
    assert main(["standards", "apply", "-w", w, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["fields"]["country"] == [{"old": "deutschland", "new": "Germany", "count": 1}]
    rec = Workspace.open(workspace.root).get(pid)
    assert (rec["country"], rec["last_name"]) == ("Germany", "Smith")
    assert [h["source"] for h in Workspace.open(workspace.root).history(pid) if h["field"] == "country"] == \
        ["api", "standards"]


def test_picklist_values_from_the_crms_describe_cache(workspace, tmp_path):
    """A rule with crm_picklist takes the CRM's values (API names and labels) once the describe is cached."""
    from leadbridge.sandbox import SandboxServer
    from leadbridge.standards.config import Rule
    from leadbridge.sync.connection import connect_sandbox
    from leadbridge.sync.engine import connect
    from leadbridge.sync.mapping_check import check
    ws = workspace
    rule = Rule(name="lead source from CRM", field="lead_source", kind="picklist", crm_picklist="Lead.LeadSource",
                action="flag")
    with SandboxServer(tmp_path / "sandbox") as srv:
        srv.write_env(tmp_path / "sandbox.env")
        connect_sandbox(ws, tmp_path / "sandbox.env")
        ws.config.standards.rules.append(rule)
        assert ws.load_crm_picklists() == ["lead source from CRM"]  # not cached yet: the rule waits
        check(ws, connect(ws))
    assert ws.load_crm_picklists() == [] and "Web" in rule.values
    ok, bad = ws.write([Change({"email": "p1@x.com", "lead_source": "Web"}),
                        Change({"email": "p2@x.com", "lead_source": "Billboard"})], SourceKind.FORM).ids
    assert not ws.get(ok)["data_invalid"]
    assert ws.get(bad)["data_invalid"] and "lead source from CRM" in ws.get(bad)["data_issues"]
