"""Single-record REST calls with the real client: CRUD, external ids, validation, derived fields, assignment
rules, duplicate rules and the API user's permissions, with the errors Salesforce gives."""

from __future__ import annotations

import re
import time

import pytest
from simple_salesforce.exceptions import (SalesforceMalformedRequest, SalesforceMoreThanOneRecord,
                                          SalesforceResourceNotFound)

from leadbridge.sandbox import SandboxConfig
from leadbridge.sandbox.config import AssignmentRule, CustomField, DuplicateRule, ValidationRule
from sandbox_clients import client_for, permissions


def error_of(call, *args, **kw) -> dict:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        call(*args, **kw)
    return exc.value.content[0]


def test_crud_and_modstamps(sf):
    res = sf.Lead.create({"FirstName": "Ann", "LastName": "Lee", "Company": "Acme", "Email": "ann@example.com"})
    rid = res["id"]
    assert res["success"] and rid.startswith("00Q") and len(rid) == 18
    rec = sf.Lead.get(rid)
    assert (rec["Status"], rec["IsConverted"], rec["Name"]) == ("Open - Not Contacted", False, "Ann Lee")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", rec["SystemModstamp"])
    time.sleep(0.002)
    assert sf.Lead.update(rid, {"Title": "CTO"}) == 204
    again = sf.Lead.get(rid)
    assert again["Title"] == "CTO" and again["SystemModstamp"] > rec["SystemModstamp"]
    assert sf.Lead.get(rid[:15])["Id"] == rid  # a 15-character id works too
    assert set(sf.Lead.get(rid, params={"fields": "title,Email"})) == {"attributes", "Title", "Email"}
    assert sf.Lead.delete(rid) == 204
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Lead.get(rid)
    assert exc.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"
    assert error_of(sf.Lead.update, rid, {"Title": "x"})["errorCode"] == "ENTITY_IS_DELETED"


def test_upsert_read_and_delete_by_external_id(sf):
    assert sf.Lead.upsert("Leadbridge_Id__c/u-1", {"LastName": "Up", "Company": "Sert"}) == 201
    assert sf.Lead.upsert("Leadbridge_Id__c/U-1", {"Title": "Changed"}) == 200  # external ids match case-insensitively
    rec = sf.Lead.get_by_custom_id("Leadbridge_Id__c", "u-1")
    assert (rec["Title"], rec["LastName"]) == ("Changed", "Up")
    assert sf.Lead.delete("Leadbridge_Id__c/u-1") == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get_by_custom_id("Leadbridge_Id__c", "u-1")
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Lead.upsert("Nope__c/1", {"LastName": "x"})
    assert "Provided external ID field does not exist" in exc.value.content[0]["message"]


def test_a_non_unique_external_id_matching_several_records_is_300(make_sandbox):
    srv = make_sandbox(SandboxConfig(custom_fields=[CustomField(object="Lead", name="Legacy__c", external_id=True)]))
    sf = client_for(srv)
    ids = {sf.Lead.create({"LastName": n, "Company": "C", "Legacy__c": "L-1"})["id"] for n in "ab"}
    with pytest.raises(SalesforceMoreThanOneRecord) as exc:
        sf.Lead.upsert("Legacy__c/L-1", {"Title": "x"})
    assert {u.rsplit("/", 1)[1] for u in exc.value.content} == ids
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Lead.get_by_custom_id("Legacy__c", "L-1")


def test_validation_errors_have_salesforces_codes_messages_and_fields(sf):
    e = error_of(sf.Lead.create, {"FirstName": "No"})
    assert (e["errorCode"], e["fields"]) == ("REQUIRED_FIELD_MISSING", ["LastName", "Company"])
    e = error_of(sf.Lead.create, {"LastName": "A", "Company": "B", "Status": "Bogus"})
    assert (e["errorCode"], e["message"]) == ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                              "Lead Status: bad value for restricted picklist field: Bogus")
    e = error_of(sf.Lead.create, {"LastName": "A", "Company": "B", "Email": "not an email"})
    assert (e["errorCode"], e["message"]) == ("INVALID_EMAIL_ADDRESS", "Email: invalid email address: not an email")
    e = error_of(sf.Lead.create, {"LastName": "A" * 81, "Company": "B"})
    assert e["errorCode"] == "STRING_TOO_LONG" and e["message"].startswith("Last Name: data value too large:")
    assert error_of(sf.Lead.create, {"LastName": "A", "Company": "B", "Country": "USA"})["errorCode"] == \
        "FIELD_INTEGRITY_EXCEPTION"
    e = error_of(sf.Lead.create, {"LastName": "A", "Company": "B", "Nope__c": 1})
    assert (e["errorCode"], e["fields"]) == ("INVALID_FIELD", ["Nope__c"])
    e = error_of(sf.Lead.create, {"LastName": "A", "Company": "B", "IsConverted": True})
    assert e["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    e = error_of(sf.Lead.create, {"LastName": "A", "Company": "B", "OwnerId": "005000000000999AAA"})
    assert (e["errorCode"], e["fields"]) == ("INVALID_CROSS_REFERENCE_KEY", ["OwnerId"])
    e = error_of(sf.Contact.create, {"LastName": "A", "AccountId": "not-an-id"})
    assert (e["errorCode"], e["fields"]) == ("MALFORMED_ID", ["AccountId"])


def test_values_are_deserialised_like_salesforces_json_parser(sf):
    rid = sf.Lead.create({"LastName": "A", "Company": "B", "NumberOfEmployees": "10", "AnnualRevenue": "2.5",
                          "HasOptedOutOfEmail": "true"})["id"]
    rec = sf.Lead.get(rid)
    assert (rec["NumberOfEmployees"], rec["AnnualRevenue"], rec["HasOptedOutOfEmail"]) == (10, 2.5, True)
    assert error_of(sf.Lead.create, {"LastName": "A", "Company": "B", "NumberOfEmployees": "ten"})["errorCode"] == \
        "JSON_PARSER_ERROR"
    e = error_of(sf.Opportunity.create, {"Name": "O", "StageName": "Prospecting", "CloseDate": "notadate"})
    assert e["errorCode"] == "JSON_PARSER_ERROR" and "notadate" in e["message"]


def test_country_code_and_name_that_disagree_fail_on_update_only(sf):
    rid = sf.Lead.create({"LastName": "A", "Company": "B", "CountryCode": "CA", "Country": "Germany"})["id"]
    assert sf.Lead.get(rid)["Country"] == "Canada"  # on create the code wins
    assert error_of(sf.Lead.update, rid, {"CountryCode": "FR", "Country": "Germany"})["errorCode"] == \
        "FIELD_INTEGRITY_EXCEPTION"
    sf.Lead.update(rid, {"CountryCode": "CA", "StateCode": "QC"})
    assert error_of(sf.Lead.update, rid, {"Country": "Germany"})["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    sf.Lead.update(rid, {"Country": "Germany", "State": None})
    rec = sf.Lead.get(rid)
    assert (rec["CountryCode"], rec["Country"], rec["StateCode"]) == ("DE", "Germany", None)


def test_opportunity_stage_and_member_status_derive_their_fields(sf):
    won = sf.Opportunity.create({"Name": "W", "StageName": "Closed Won", "CloseDate": "2026-12-31"})["id"]
    rec = sf.Opportunity.get(won)
    assert (rec["IsWon"], rec["IsClosed"], rec["Probability"], rec["ForecastCategoryName"]) == (True, True, 100,
                                                                                               "Closed")
    sf.Opportunity.update(won, {"StageName": "Negotiation/Review", "Probability": 80})
    rec = sf.Opportunity.get(won)
    assert (rec["IsWon"], rec["IsClosed"], rec["Probability"]) == (False, False, 80)
    sf.Opportunity.update(won, {"StageName": "Closed Lost"})
    assert (sf.Opportunity.get(won)["IsClosed"], sf.Opportunity.get(won)["IsWon"]) == (True, False)
    camp = sf.Campaign.create({"Name": "Webinar"})["id"]
    lead = sf.Lead.create({"LastName": "M", "Company": "C"})["id"]
    member = sf.CampaignMember.create({"CampaignId": camp, "LeadId": lead})["id"]
    assert (sf.CampaignMember.get(member)["Status"], sf.CampaignMember.get(member)["HasResponded"]) == ("Sent", False)
    sf.CampaignMember.update(member, {"Status": "Responded"})
    rec = sf.CampaignMember.get(member)
    assert rec["HasResponded"] is True and rec["FirstRespondedDate"]
    assert error_of(sf.CampaignMember.create, {"CampaignId": camp, "LeadId": lead})["message"] == \
        "Already a campaign member."


def test_assignment_rules_follow_the_auto_assign_header(make_sandbox):
    srv = make_sandbox(SandboxConfig(assignment_rules=[
        AssignmentRule(country="DE", owner_email="anna@sandbox.leadbridge.local"),
        AssignmentRule(country="US", state="CA", owner_email="ben@sandbox.leadbridge.local"),
        AssignmentRule(rule="APAC", country="JP", owner_email="chen@sandbox.leadbridge.local")],
        default_lead_owner="chen@sandbox.leadbridge.local"))
    sf = client_for(srv)
    users = {u["Email"].split("@")[0]: u["Id"] for u in sf.query("SELECT Id, Email FROM User")["records"]}
    owner = lambda rid: sf.Lead.get(rid)["OwnerId"]  # noqa: E731
    absent = sf.Lead.create({"LastName": "A", "Company": "C", "CountryCode": "DE"})["id"]
    assert owner(absent) == users["anna"]  # no header: TRUE, the REST API's default
    off = sf.Lead.create({"LastName": "B", "Company": "C", "CountryCode": "DE"}, headers={"Sforce-Auto-Assign": "FALSE"})
    assert owner(off["id"]) == users["admin"]
    sf.Lead.update(off["id"], {"CountryCode": "US", "StateCode": "CA"}, headers={"Sforce-Auto-Assign": "true"})
    assert owner(off["id"]) == users["ben"]
    nomatch = sf.Lead.create({"LastName": "D", "Company": "C", "CountryCode": "FR"})["id"]
    assert owner(nomatch) == users["chen"]  # no entry matched: the default lead owner
    rules = {r["Name"]: r for r in sf.query("SELECT Id, Name, Active FROM AssignmentRule")["records"]}
    assert rules["Standard"]["Active"] and not rules["APAC"]["Active"]
    apac = sf.Lead.create({"LastName": "E", "Company": "C", "CountryCode": "JP"},
                          headers={"Sforce-Auto-Assign": rules["APAC"]["Id"]})["id"]
    assert owner(apac) == users["chen"]
    res = sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": "Lead"}, "LastName": "F", "Company": "C", "CountryCode": "DE"}]})
    assert owner(res[0]["id"]) == users["anna"]  # collections honour it too


def test_duplicate_rules_block_alert_and_report(make_sandbox):
    srv = make_sandbox(SandboxConfig(duplicate_rules=[
        DuplicateRule(object="Lead", name="Email Rule", fields=["Email"], action="alert"),
        DuplicateRule(object="Contact", fields=["LastName", "Email"], action="block"),
        DuplicateRule(object="Account", fields=["Name"], action="report")]))
    sf = client_for(srv)
    first = sf.Lead.create({"LastName": "A", "Company": "C", "Email": "dup@example.com"})["id"]
    e = error_of(sf.Lead.create, {"LastName": "B", "Company": "C", "Email": "DUP@example.com"})
    assert (e["errorCode"], e["message"]) == ("DUPLICATES_DETECTED", "Use one of these records?")
    result = e["duplicateResult"]
    assert (result["allowSave"], result["duplicateRule"], result["duplicateRuleEntityType"]) == (True, "Email_Rule",
                                                                                               "Lead")
    assert [m["record"]["Id"] for m in result["matchResults"][0]["matchRecords"]] == [first]
    allowed = sf.Lead.create({"LastName": "B", "Company": "C", "Email": "dup@example.com"},
                             headers={"Sforce-Duplicate-Rule-Header": "allowSave=true"})
    assert allowed["success"]
    sf.Contact.create({"LastName": "X", "Email": "x@example.com"})
    e = error_of(sf.Contact.create, {"LastName": "x", "Email": "x@example.com"},
                 headers={"Sforce-Duplicate-Rule-Header": "allowSave=true"})
    assert e["errorCode"] == "DUPLICATES_DETECTED" and e["duplicateResult"]["allowSave"] is False
    sf.Account.create({"Name": "Acme"})
    assert sf.Account.create({"Name": "Acme"})["success"]  # report-only rules save


def test_validation_rules_from_config(make_sandbox):
    srv = make_sandbox(SandboxConfig(validation_rules=[
        ValidationRule(object="Lead", name="Phone format", field="Phone", pattern=r"\+\d{6,15}",
                       message="Phone must be in E.164"),
        ValidationRule(object="Contact", name="Email required", field="Email", required=True,
                       message="Contacts need an email")]))
    sf = client_for(srv)
    e = error_of(sf.Lead.create, {"LastName": "A", "Company": "C", "Phone": "555-1234"})
    assert (e["errorCode"], e["message"], e["fields"]) == ("FIELD_CUSTOM_VALIDATION_EXCEPTION",
                                                           "Phone must be in E.164", ["Phone"])
    assert sf.Lead.create({"LastName": "A", "Company": "C", "Phone": "+4930123456"})["success"]
    assert error_of(sf.Contact.create, {"LastName": "A"})["message"] == "Contacts need an email"


def test_writes_follow_the_api_users_permissions(sandbox, sf):
    lead = sf.Lead.create({"LastName": "P", "Company": "C", "Title": "Before"})["id"]
    camp = sf.Campaign.create({"Name": "P"})["id"]
    with permissions(sandbox, Lead={"read_only_fields": ["Title"], "hidden_fields": ["Rating"]},
                     Campaign={"access": "read"}, Opportunity={"access": "none"}):
        e = error_of(sf.Lead.update, lead, {"Title": "After"})
        assert (e["errorCode"], e["fields"]) == ("INVALID_FIELD_FOR_INSERT_UPDATE", ["Title"])
        e = error_of(sf.Lead.update, lead, {"Rating": "Hot"})
        assert (e["errorCode"], e["message"]) == ("INVALID_FIELD", "No such column 'Rating' on sobject of type Lead")
        assert "Rating" not in sf.Lead.get(lead)
        e = error_of(sf.query, "SELECT Rating FROM Lead")
        assert e["errorCode"] == "INVALID_FIELD"
        for call in (lambda: sf.Campaign.update(camp, {"Name": "Q"}), lambda: sf.Campaign.create({"Name": "Q"})):
            e = error_of(call)
            assert (e["errorCode"], e["message"]) == ("INSUFFICIENT_ACCESS_OR_READONLY",
                                                      "insufficient access rights on object id")
        assert sf.Campaign.get(camp)["Name"] == "P"  # reading is fine
        with pytest.raises(SalesforceResourceNotFound):
            sf.Opportunity.create({"Name": "O", "StageName": "Prospecting", "CloseDate": "2026-01-01"})
        assert error_of(sf.query, "SELECT Id FROM Opportunity")["errorCode"] == "INVALID_TYPE"
        res = sf.restful("composite/sobjects", method="POST", json={"records": [
            {"attributes": {"type": "Campaign"}, "Name": "Q"}]})
        assert res[0]["errors"][0]["statusCode"] == "INSUFFICIENT_ACCESS_OR_READONLY"
    sandbox.config.permissions["Lead"] = {"read_only_fields": ["Title"]}  # runtime change, the next request sees it
    try:
        assert error_of(sf.Lead.update, lead, {"Title": "After"})["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    finally:
        sandbox.config.permissions.clear()
    assert sf.Lead.update(lead, {"Title": "After"}) == 204


def test_dates_and_datetimes_are_iso_8601_stored_in_utc(make_sandbox):
    srv = make_sandbox(SandboxConfig(custom_fields=[CustomField(object="Lead", name="Seen__c", type="datetime")]))
    sf = client_for(srv)
    rid = sf.Lead.create({"LastName": "A", "Company": "B", "Seen__c": "2026-03-01T10:00:00+02:00"})["id"]
    assert sf.Lead.get(rid)["Seen__c"] == "2026-03-01T08:00:00.000+0000"
    assert sf.query("SELECT Id FROM Lead WHERE Seen__c = 2026-03-01T08:00:00Z")["totalSize"] == 1
    e = error_of(sf.Lead.create, {"LastName": "A", "Company": "B", "Seen__c": "2017-10-17 00:00:00"})
    assert e["errorCode"] == "JSON_PARSER_ERROR" and "instance of datetime" in e["message"]
    camp = sf.Campaign.create({"Name": "Dates", "StartDate": "2026-03-01"})["id"]
    assert error_of(sf.Campaign.update, camp, {"StartDate": "03/01/2026"})["errorCode"] == "JSON_PARSER_ERROR"
