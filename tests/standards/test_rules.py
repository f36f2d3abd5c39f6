"""Rules on every write: which writes are checked, conditions on ISO codes, rule kinds, config errors,
email flags stored on the person, and the data_issues contract with other stages."""

from __future__ import annotations

import pytest

from leadbridge.config import load_config
from leadbridge.errors import ConfigError
from leadbridge.model import Change, Outcome, SourceKind
from leadbridge.workspace import Workspace


def configure(ws: Workspace, **standards) -> Workspace:
    ws.config = load_config(None, environ={}, overrides={"standards": standards})
    ws.pipeline.config = ws.config
    ws.install_default_stages()
    return ws


def write(ws: Workspace, values: dict, id: int | None = None, obj: str = "person"):
    return ws.write([Change(values, id=id)], SourceKind.API, obj=obj).items[0]


def test_rules_on_fields_the_normalizers_do_not_touch_are_checked(workspace: Workspace):
    configure(workspace, rules=[
        {"name": "source pick", "field": "lead_source", "kind": "picklist", "values": ["Web"], "action": "reject"},
        {"name": "industry req", "field": "industry", "kind": "required", "action": "flag"}])
    pid = write(workspace, {"email": "a@x.com", "lead_source": "Web", "industry": "Tech"}).id
    res = write(workspace, {"lead_source": "Billboard"}, pid)
    assert res.outcome is Outcome.REJECTED and "source pick" in res.reasons[0]
    assert workspace.get(pid)["lead_source"] == "Web"
    write(workspace, {"industry": None}, pid)
    rec = workspace.get(pid)
    assert rec["data_invalid"] is True and "industry req" in rec["data_issues"]


def test_conditions_compare_iso_codes_whatever_is_stored(workspace: Workspace):
    configure(workspace, rules=[
        {"name": "zip", "field": "postal_code", "kind": "regex", "pattern": r"\d{5}", "when": "country = US"},
        {"name": "zip de", "field": "postal_code", "kind": "regex", "pattern": r"\d{5}",
         "when": "country = 'Deutschland'"},
        {"name": "ny zip", "field": "postal_code", "kind": "regex", "pattern": r"1\d{4}", "when": "state = NY"}])
    us = write(workspace, {"email": "u@x.com", "country": "United States", "postal_code": "1234"})
    assert workspace.get(us.id)["country"] == "United States" and "zip" in us.flags
    de = write(workspace, {"email": "d@x.com", "country": "Germany", "postal_code": "123"})
    assert de.flags == ["zip de"]  # the literal 'Deutschland' is read as DE
    fr = write(workspace, {"email": "f@x.com", "country": "France", "postal_code": "1234"})
    assert fr.flags == []
    ny = write(workspace, {"email": "n@x.com", "country": "USA", "state": "New York", "postal_code": "94105"})
    assert set(ny.flags) == {"ny zip"}  # stored as NY; 'New York' and 'NY' are one state


@pytest.mark.parametrize("rule,message", [
    ({"name": "r", "field": "title", "kind": "regex", "pattern": "([a-z"}, "not a valid regex"),
    ({"name": "r", "field": "title", "kind": "max_length"}, "needs `max_length`"),
    ({"name": "r", "field": "title", "kind": "format"}, "needs `format`"),
    ({"name": "r", "field": "title", "kind": "picklist"}, "needs `values` or `crm_picklist`"),
    ({"name": "r", "field": "title", "kind": "required", "when": "country = = US"}, "when:"),
])
def test_bad_rules_are_config_errors(rule, message):
    with pytest.raises(ConfigError, match=message.replace("`", ".").replace("(", r"\(")):
        load_config(None, environ={}, overrides={"standards": {"rules": [rule]}})


def test_rules_naming_unknown_fields_fail_when_the_workspace_opens(workspace: Workspace):
    with pytest.raises(ConfigError, match="unknown field person.titel"):
        configure(workspace, rules=[{"name": "r", "field": "titel", "kind": "required"}])
    with pytest.raises(Exception, match="unknown field 'contry'"):
        configure(workspace, rules=[{"name": "r", "field": "title", "kind": "required", "when": "contry = US"}])


def test_rule_kinds(workspace: Workspace):
    configure(workspace, rules=[
        {"name": "title chars", "field": "title", "kind": "no_special_chars"},
        {"name": "site", "field": "website", "kind": "format", "format": "url"},
        {"name": "industry", "field": "industry", "kind": "picklist", "values": ["Technology", "Retail"]},
        {"name": "city max", "field": "city", "kind": "max_length", "max_length": 5, "action": "reject"},
        {"name": "date", "field": "comments", "kind": "format", "format": "date"}])
    cases = [({"title": "VP, R&D"}, []), ({"title": "CEO!!"}, ["title chars"]), ({"title": "张总"}, []),
             ({"title": "Ingénieur"}, []), ({"website": "not a url"}, ["site"]),
             ({"website": "javascript:alert(1)"}, ["site"]), ({"website": "http://localhost:8080"}, []),
             ({"website": "https://x.com:8443/a?b=1"}, []), ({"website": "https://ex.museum/x"}, []),
             ({"industry": "technology"}, []), ({"industry": "Tech"}, ["industry"]),
             ({"comments": "2024-01-01garbage"}, ["date"]), ({"comments": "2024-02-29"}, [])]
    for i, (values, flags) in enumerate(cases):
        res = write(workspace, {"email": f"k{i}@x.com", **values})
        assert res.outcome is Outcome.CREATED and res.flags == flags, values
    stored = workspace.list(where="email = 'k9@x.com'")[0]
    assert stored["industry"] == "Technology"  # another case is stored as the picklist value
    res = write(workspace, {"email": "long@x.com", "city": "Berlin City"})
    assert res.outcome is Outcome.REJECTED and "city max" in res.reasons[0]


def test_your_rules_add_to_the_defaults(workspace: Workspace):
    configure(workspace, rules=[{"name": "title req", "field": "title", "kind": "required", "action": "flag"},
                                {"name": "country known", "field": "country", "kind": "format", "format": "country",
                                 "action": "keep"}], disabled_rules=["email valid"])
    names = {r.name for r in workspace.config.standards.rules}
    assert {"title req", "last name required", "country known"} <= names and "email valid" not in names
    res = write(workspace, {"email": "x@@y", "country": "Narnia"})
    assert res.flags == ["title req"]  # country known now only keeps; email valid is off


def test_email_flags_are_stored_on_the_person(workspace: Workspace):
    ids = [write(workspace, {"email": e, "last_name": "X", "company": "C"}).id for e in
           ("test@acme.com", "info@acme.com", "ann@gmial.com", "x@mailinator.com", "sales+eu@acme.com",
            "用户@例子.广告")]
    test, role, typo, disposable, tagged, unicode = (workspace.get(i) for i in ids)
    assert test["is_test"] is True and test["email_flags"] == "test" and not test["data_invalid"]
    assert role["email_flags"] == "role" and not role["data_invalid"] and not role["email_invalid"]
    assert typo["email_suggestion"] == "ann@gmail.com" and "typo" in typo["email_flags"]
    assert disposable["email_invalid"] is True and disposable["email_invalid_reason"].startswith("disposable")
    assert disposable["data_invalid"] is True and "email disposable" in disposable["data_issues"]
    assert tagged["email_flags"] == "role"  # the +tag does not hide a role account
    assert unicode["data_invalid"] is True and "non_ascii" in unicode["email_flags"]
    assert workspace.count(where=workspace.config.sync.filter) == 2  # role and the typo still sync
    write(workspace, {"email": "ann.lee@acme.com"}, test["id"])
    again = workspace.get(test["id"])
    assert again["is_test"] is None and again["email_flags"] is None  # the test address that made it one is gone


def test_email_flag_actions_are_configurable(workspace: Workspace):
    configure(workspace, email={"disposable": "keep", "role": "flag", "test": "reject"})
    d = workspace.get(write(workspace, {"email": "x@mailinator.com"}).id)
    assert not d["data_invalid"] and d["email_flags"] == "disposable" and not d["email_invalid"]
    r = workspace.get(write(workspace, {"email": "info@acme.com"}).id)
    assert r["data_invalid"] is True and r["email_invalid_reason"].startswith("role")
    t = write(workspace, {"email": "test@acme.com"})
    assert t.outcome is Outcome.REJECTED and "test or fake" in t.reasons[0]


def test_standards_keep_other_stages_issues(workspace: Workspace):
    """The contract with hygiene: only `standards: ` entries are replaced; data_invalid stays while others remain."""
    pid = write(workspace, {"email": "x@@y", "last_name": "X", "company": "C"}).id
    before = workspace.get(pid)["data_issues"]
    assert before.startswith("standards: email valid")
    other = "hygiene: rule 'no competitors' flagged"
    workspace.write([Change({"data_issues": f"{before}; {other}", "data_invalid": True}, id=pid)], SourceKind.HYGIENE)
    write(workspace, {"email": "x@example.org"}, pid)
    rec = workspace.get(pid)
    assert rec["data_issues"] == other and rec["data_invalid"] is True  # fixed email, hygiene's flag kept
    write(workspace, {"country": "Narnia"}, pid)
    rec = workspace.get(pid)
    assert rec["data_issues"].split("; ")[0] == other and rec["data_issues"].count("standards: ") == 1
    write(workspace, {"country": "Norway", "data_issues": None, "data_invalid": None}, pid)
    rec = workspace.get(pid)
    assert rec["data_issues"] is None and rec["data_invalid"] is None  # nobody's issue left


def test_company_writes_are_normalized_and_checked(workspace: Workspace):
    res = write(workspace, {"name": "ACME INC", "country": "USA", "state": "Calif.", "phone": "(415) 555-0132 x12",
                            "website": "WWW.Acme.COM/"}, obj="company")
    rec = workspace.get(res.id, "company")
    assert (rec["name"], rec["country"], rec["state"], rec["phone"], rec["website"]) == \
        ("Acme Inc", "United States", "CA", "+14155550132 ext. 12", "www.acme.com")
    bad = write(workspace, {"name": "Beta", "country": "Atlantis"}, obj="company")
    rec = workspace.get(bad.id, "company")
    assert rec["data_invalid"] is True and "company: country known" in rec["data_issues"]
