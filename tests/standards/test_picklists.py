"""Country and state values rendered from the CRM's cached describe (Salesforce's own codes and labels)."""

from __future__ import annotations

import base64
import json

from leadbridge.cli.main import main
from leadbridge.crm import describe_cache
from leadbridge.model import Change, SourceKind
from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.metadata import Schema
from leadbridge.standards.picklists import CrmPicklists
from leadbridge.workspace import Workspace

COUNTRIES = [("US", "United States"), ("CN", "China"), ("MX", "Mexico"), ("DE", "Germany"), ("CA", "Canada")]


def _valid_for(*indexes: int) -> str:
    data = bytearray(3)
    for i in indexes:
        data[i >> 3] |= 0x80 >> (i % 8)
    return base64.b64encode(bytes(data)).decode()


def salesforce_describe() -> dict:
    """A Lead describe in Salesforce's shape: StateCode depends on CountryCode through validFor bitmaps."""
    states = [("CA", "California", 0), ("NY", "New York", 0), ("11", "Beijing", 1), ("44", "Guangdong", 1),
              ("91", "Hong Kong", 1), ("DF", "Distrito Federal", 2), ("JA", "Jalisco", 2), ("ON", "Ontario", 4),
              ("QC", "Quebec", 4)]
    pick = lambda rows: [{"active": True, "defaultValue": False, "value": v, "label": l, **extra}  # noqa: E731
                         for v, l, extra in rows]
    return {"name": "Lead", "fields": [
        {"name": "CountryCode", "type": "picklist", "restrictedPicklist": True,
         "picklistValues": pick([(v, l, {}) for v, l in COUNTRIES])},
        {"name": "StateCode", "type": "picklist", "restrictedPicklist": True, "dependentPicklist": True,
         "controllerName": "CountryCode",
         "picklistValues": pick([(v, l, {"validFor": _valid_for(i)}) for v, l, i in states])},
        {"name": "Country", "type": "string", "length": 80}, {"name": "State", "type": "string", "length": 80}]}


def connected(ws: Workspace, **standards) -> Workspace:
    describe_cache.save(ws.root, "Lead", salesforce_describe())
    for k, v in standards.items():
        setattr(ws.config.standards, k, v)
    ws.install_default_stages()
    return ws


def test_states_split_by_country_with_validfor():
    picks = CrmPicklists.from_describe(salesforce_describe())
    assert picks.states["CN"]["BJ"].value == "11" and picks.states["MX"]["CMX"].value == "DF"
    assert set(picks.states["US"]) == {"CA", "NY"} and set(picks.states["CA"]) == {"ON", "QC"}
    assert "DE" not in picks.states and picks.state_of[("CN", "11")] == "BJ"


def test_values_are_the_crms_labels_and_codes(workspace: Workspace):
    ws = connected(workspace)
    ids = ws.write([Change({"email": "a@x.com", "country": "中国", "state": "北京市"}),
                    Change({"email": "b@x.com", "country": "México", "state": "CDMX"}),
                    Change({"email": "c@x.com", "country": "USA", "state": "Calif."}),
                    Change({"email": "d@x.com", "country": "Deutschland", "state": "Bavaria"})], SourceKind.FORM).ids
    got = [(r["country"], r["state"], r["data_invalid"]) for r in (ws.get(i) for i in ids)]
    assert got == [("China", "11", None), ("Mexico", "DF", None), ("United States", "CA", None),
                   ("Germany", "BY", None)]  # Germany has no state list in the CRM: the ISO code is kept
    again = ws.write([Change({"state": "11", "city": "Beijing"}, id=ids[0])], SourceKind.UI).items[0]
    assert not again.flags and ws.get(ids[0])["state"] == "11"  # the CRM's own code reads back as Beijing


def test_render_as_codes_and_labels(workspace: Workspace):
    ws = connected(workspace, country_render="code", state_render="name")
    pid = ws.write([Change({"email": "a@x.com", "country": "Volksrepublik China", "state": "Guangdong Sheng"})],
                   SourceKind.FORM).items[0].id
    rec = ws.get(pid)
    assert (rec["country"], rec["state"]) == ("CN", "Guangdong")


def test_countries_the_crm_does_not_list_are_flagged(workspace: Workspace):
    ws = connected(workspace)
    res = ws.write([Change({"email": "hk@x.com", "country": "香港"})], SourceKind.FORM).items[0]
    rec = ws.get(res.id)
    assert "country known" in res.flags and rec["data_invalid"] is True
    assert "not in the CRM's country picklist (the CRM lists it as a state of CN)" in rec["data_issues"]
    res = ws.write([Change({"email": "qc@x.com", "country": "Canada", "state": "Nunavut"})], SourceKind.FORM).items[0]
    assert "state valid for US/CA" in res.flags  # a real province, but not in this CRM's list


def test_conditions_read_the_crms_codes(workspace: Workspace):
    ws = connected(workspace)
    ws.config.standards.rules.append(ws.config.standards.rules[0].model_copy(update={
        "name": "beijing zip", "field": "postal_code", "kind": "regex", "format": None, "pattern": r"10\d{4}",
        "when": "state = BJ"}))
    ws.install_default_stages()
    res = ws.write([Change({"email": "a@x.com", "country": "CN", "state": "Beijing", "postal_code": "2000"})],
                   SourceKind.FORM).items[0]
    assert ws.get(res.id)["state"] == "11" and "beijing zip" in res.flags


def test_sandbox_describe_renders_salesforce_codes(workspace: Workspace):
    """The sandbox's describe (no validFor): states matched within Salesforce's default state countries."""
    describe_cache.save(workspace.root, "Lead", Schema(SandboxConfig()).describe("Lead", "59.0"))
    workspace.install_default_stages()
    pid = workspace.write([Change({"email": "a@x.com", "country": "PRC", "state": "广东省"})],
                          SourceKind.FORM).items[0].id
    assert workspace.get(pid)["state"] == "44"


def test_check_cli_renders_with_the_workspace(workspace: Workspace, capsys, tmp_path):
    ws = connected(workspace)
    assert main(["standards", "check", "-w", str(ws.root), "--field", "state", "--country", "China", "北京",
                 "Guangdong", "Texas", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["input"], r["value"], r["code"]) for r in rows] == [
        ("北京", "11", "CN-BJ"), ("Guangdong", "44", "CN-GD"), ("Texas", None, None)]
