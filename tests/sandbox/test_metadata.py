"""describe, the sObject list and metadata, Salesforce's default State and Country picklists, custom fields
from config, the API user's permissions as describe shows them, and API versions."""

from __future__ import annotations

import base64

import httpx
import pytest
import yaml
from simple_salesforce.exceptions import SalesforceResourceNotFound

from leadbridge.sandbox import SandboxConfig
from sandbox_clients import client_for, permissions, trust


def fields_of(describe: dict) -> dict[str, dict]:
    return {f["name"]: f for f in describe["fields"]}


def valid_countries(state_entry: dict, country_values: list[str]) -> list[str]:
    """Decode validFor as a client does: bit i (MSB first) set = valid for controlling value i."""
    bits = base64.b64decode(state_entry["validFor"])
    return [c for i, c in enumerate(country_values) if bits[i >> 3] & (0x80 >> (i & 7))]


def test_describe_has_the_attributes_clients_read(sf):
    d = sf.Lead.describe()
    f = fields_of(d)
    assert (d["keyPrefix"], d["createable"], d["deletable"], d["urls"]["describe"]) == (
        "00Q", True, True, "/services/data/v59.0/sobjects/Lead/describe")
    assert d["recordTypeInfos"][0]["master"] is True
    assert f["LastName"]["nillable"] is False and f["Company"]["nillable"] is False
    assert f["Status"]["restrictedPicklist"] is True
    status_default = [p["value"] for p in f["Status"]["picklistValues"] if p["defaultValue"]]
    assert status_default == ["Open - Not Contacted"]
    assert f["Leadbridge_Id__c"]["externalId"] is True and f["Leadbridge_Id__c"]["custom"] is True
    assert f["OwnerId"]["referenceTo"] == ["User", "Group"] and f["OwnerId"]["relationshipName"] == "Owner"
    assert f["Name"]["createable"] is False and f["ConvertedOpportunityId"]["referenceTo"] == ["Opportunity"]
    account = sf.Account.describe()
    assert {"childSObject": "Contact", "field": "AccountId", "relationshipName": "Contacts"}.items() <= next(
        c for c in account["childRelationships"] if c["childSObject"] == "Contact").items()
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Lead", "Contact", "Account", "Opportunity", "Campaign", "CampaignMember", "User", "LeadStatus",
            "OpportunityStage"} <= names
    meta = sf.Lead.metadata()
    assert meta["objectDescribe"]["name"] == "Lead" and meta["recentItems"] == []


def test_state_picklists_are_salesforces_defaults_not_iso(sf):
    f = fields_of(sf.Contact.describe())
    countries = [p["value"] for p in f["MailingCountryCode"]["picklistValues"]]
    labels = {p["value"]: p["label"] for p in f["MailingCountryCode"]["picklistValues"]}
    assert len(countries) == 235 and "XK" in countries and "HK" not in countries and "PR" not in countries
    assert (labels["KR"], labels["RU"], labels["TR"], labels["BO"]) == (
        "Korea, Republic of", "Russian Federation", "Türkiye", "Bolivia, Plurinational State of")
    state = f["MailingStateCode"]
    assert (state["controllerName"], state["dependentPicklist"]) == ("MailingCountryCode", True)
    by = {}
    for entry in state["picklistValues"]:
        (country,) = valid_countries(entry, countries)
        by.setdefault(country, {})[entry["value"]] = entry["label"]
    assert {c: len(v) for c, v in by.items()} == {"AU": 8, "BR": 27, "CA": 13, "CN": 34, "IE": 26, "IN": 36,
                                                   "IT": 110, "JP": 47, "MX": 32, "US": 51}
    assert by["MX"]["DF"] == "Federal District" and "CMX" not in by["MX"]          # legacy codes, not ISO
    assert (by["IN"]["OR"], by["IN"]["UT"], by["IN"]["CT"]) == ("Odisha", "Uttarakhand", "Chhattisgarh")
    assert {"CI", "OG", "OT", "VS"} <= set(by["IT"])                                # abolished provinces kept
    assert (by["JP"]["02"], by["JP"]["05"], by["JP"]["23"]) == ("Akita", "Aichi", "Aomori")  # labels permuted
    assert (by["CN"]["44"], by["CN"]["91"], by["JP"]["11"]) == ("Guangdong", "Hong Kong", "Saitama")  # same code
    assert "PR" not in by["US"]  # US territories ship inactive


def test_state_and_country_values_are_enforced_as_in_an_org(sf):
    rid = sf.Lead.create({"LastName": "A", "Company": "B", "CountryCode": "MX", "StateCode": "DF"})["id"]
    assert sf.Lead.get(rid)["State"] == "Federal District"
    for bad in ({"CountryCode": "MX", "StateCode": "CMX"}, {"CountryCode": "IN", "StateCode": "OD"},
                {"CountryCode": "US", "StateCode": "PR"}, {"State": "California"}):
        with pytest.raises(Exception) as exc:
            sf.Lead.create({"LastName": "A", "Company": "B", **bad})
        assert exc.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION", bad
    rid = sf.Lead.create({"LastName": "A", "Company": "B", "Country": "Japan", "State": "Akita"})["id"]
    assert (sf.Lead.get(rid)["CountryCode"], sf.Lead.get(rid)["StateCode"]) == ("JP", "02")


def test_reference_objects_can_be_queried(sf):
    converted = sf.query("SELECT MasterLabel FROM LeadStatus WHERE IsConverted = true")["records"]
    assert [r["MasterLabel"] for r in converted] == ["Closed - Converted"]
    won = sf.query("SELECT MasterLabel, DefaultProbability FROM OpportunityStage WHERE IsWon = true")["records"]
    assert [(r["MasterLabel"], r["DefaultProbability"]) for r in won] == [("Closed Won", 100)]


def test_custom_fields_from_yaml_keep_the_default_external_ids(make_sandbox, tmp_path):
    path = tmp_path / "sandbox.yaml"
    path.write_text(yaml.safe_dump({"custom_fields": [
        {"object": "Lead", "name": "Tier__c", "type": "picklist", "restricted": True, "required": True,
         "values": ["Gold", {"value": "Silver", "label": "Silver tier", "default": True}]},
        {"object": "Lead", "name": "Legacy_Id__c", "external_id": True, "unique": False}]}))
    srv = make_sandbox(SandboxConfig.load(path))
    sf = client_for(srv)
    f = fields_of(sf.Lead.describe())
    assert "Leadbridge_Id__c" in f and f["Legacy_Id__c"]["unique"] is False and f["Legacy_Id__c"]["externalId"]
    assert f["Tier__c"]["nillable"] is False and f["Tier__c"]["restrictedPicklist"] is True
    assert [(p["value"], p["label"], p["defaultValue"]) for p in f["Tier__c"]["picklistValues"]] == [
        ("Gold", "Gold", False), ("Silver", "Silver tier", True)]
    with pytest.raises(Exception) as exc:
        sf.Lead.create({"LastName": "A", "Company": "B", "Tier__c": "Platinum"})
    assert exc.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert exc.value.content[0]["message"] == "Tier: bad value for restricted picklist field: Platinum"
    assert sf.Lead.create({"LastName": "A", "Company": "B", "Tier__c": "Gold"})["success"]


def test_a_bad_config_file_is_one_clear_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("custom_fields: [{object: Lead, name: NoSuffix, type: string}]\n")
    with pytest.raises(Exception) as exc:
        SandboxConfig.load(path)
    assert "must end in __c" in str(exc.value) and exc.value.hint


def test_describe_follows_the_api_users_permissions(sandbox, sf):
    with permissions(sandbox, Lead={"access": "all", "read_only_fields": ["Title"], "hidden_fields": ["Rating"]},
                     Campaign={"access": "read"}, Opportunity={"access": "none"}):
        f = fields_of(sf.Lead.describe())
        assert "Rating" not in f and (f["Title"]["createable"], f["Title"]["updateable"]) == (False, False)
        assert f["Email"]["createable"] is True
        campaign = sf.Campaign.describe()
        assert (campaign["createable"], campaign["updateable"], campaign["deletable"]) == (False, False, False)
        assert not any(x["createable"] for x in campaign["fields"])
        assert "Opportunity" not in {o["name"] for o in sf.describe()["sobjects"]}
        with pytest.raises(SalesforceResourceNotFound):
            sf.Opportunity.describe()
    assert "Rating" in fields_of(sf.Lead.describe())  # back as soon as the permission is lifted


def test_versions_and_the_version_root(sandbox, raw):
    versions = httpx.get(f"{sandbox.instance_url}/services/data/", verify=trust(sandbox)).json()
    by = {v["version"]: v for v in versions}
    assert by["59.0"] == {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"}
    assert (by["52.0"]["label"], by["60.0"]["label"], by["61.0"]["label"]) == ("Summer '21", "Spring '24",
                                                                              "Summer '24")
    assert raw.get("/").json()["sobjects"] == "/services/data/v59.0/sobjects"
    r = httpx.get(f"{sandbox.instance_url}/services/data/v40.0/limits", verify=trust(sandbox),
                  headers=raw.headers)
    assert (r.status_code, r.json()[0]["errorCode"]) == (404, "NOT_FOUND")
