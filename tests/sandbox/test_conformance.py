"""The real simple-salesforce client against the sandbox: what a sync needs behaves like Salesforce."""

from __future__ import annotations

import re
import time

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (SalesforceExpiredSession, SalesforceMalformedRequest,
                                          SalesforceResourceNotFound)




def test_soap_login_gives_a_working_session(sandbox, session):
    env = (f'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body><n1:login '
           f'xmlns:n1="urn:partner.soap.sforce.com"><n1:username>{sandbox.username}</n1:username>'
           f'<n1:password>{sandbox.password}</n1:password></n1:login></env:Body></env:Envelope>')
    r = session.post(f"{sandbox.instance_url}/services/Soap/u/59.0", data=env,
                     headers={"content-type": "text/xml", "SOAPAction": "login"})
    assert r.status_code == 200
    sid = re.search(r"<sessionId>(.*?)</sessionId>", r.text).group(1)
    server = re.search(r"<serverUrl>(.*?)</serverUrl>", r.text).group(1)
    assert server.startswith(sandbox.instance_url + "/services/Soap/u/59.0/")
    sf = Salesforce(instance_url=sandbox.instance_url, session_id=sid, session=session)
    assert sf.query("SELECT COUNT() FROM User")["totalSize"] >= 1


def test_bad_logins_are_refused_like_salesforce(sandbox, session):
    r = session.post(f"{sandbox.instance_url}/services/oauth2/token",
                     data={"grant_type": "password", "client_id": "sandbox", "client_secret": "sandbox",
                           "username": sandbox.username, "password": "wrong"})
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")
    r = session.post(f"{sandbox.instance_url}/services/oauth2/token",
                     data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"})
    assert (r.status_code, r.json()["error"]) == (400, "invalid_client")
    r = session.post(f"{sandbox.instance_url}/services/Soap/u/59.0", data="<login><username>a</username>"
                     "<password>b</password></login>", headers={"SOAPAction": "login"})
    assert r.status_code == 500 and "INVALID_LOGIN" in r.text



def test_describe_has_the_fields_clients_read(sf):
    d = sf.Lead.describe()
    fields = {f["name"]: f for f in d["fields"]}
    assert d["keyPrefix"] == "00Q"
    assert fields["LastName"]["nillable"] is False and fields["Company"]["nillable"] is False
    assert fields["Status"]["restrictedPicklist"] is True
    assert {"value": "US", "label": "United States"}.items() <= {
        k: v for p in fields["CountryCode"]["picklistValues"] if p["value"] == "US" for k, v in p.items()}.items()
    cn = [p["value"] for p in fields["StateCode"]["picklistValues"] if p["label"] == "Guangdong"]
    assert cn == ["44"]  # Salesforce's China codes are not ISO
    assert fields["Leadbridge_Id__c"]["externalId"] is True and fields["Leadbridge_Id__c"]["custom"] is True
    assert fields["OwnerId"]["referenceTo"] == ["User", "Group"]
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Lead", "Contact", "Account", "Opportunity", "Campaign", "CampaignMember", "User"} <= names


def test_crud_and_modstamps(sf):
    res = sf.Lead.create({"FirstName": "Ann", "LastName": "Lee", "Company": "Acme", "Email": "ann@example.com"})
    rid = res["id"]
    assert res["success"] and rid.startswith("00Q") and len(rid) == 18
    rec = sf.Lead.get(rid)
    assert rec["Status"] == "Open - Not Contacted" and rec["IsConverted"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", rec["SystemModstamp"])
    time.sleep(0.01)
    assert sf.Lead.update(rid, {"Title": "CTO"}) == 204
    again = sf.Lead.get(rid)
    assert again["Title"] == "CTO" and again["SystemModstamp"] > rec["SystemModstamp"]
    assert sf.Lead.delete(rid) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get(rid)


def test_upsert_by_external_id(sf):
    first = sf.Lead.upsert("Leadbridge_Id__c/u-1", {"LastName": "Up", "Company": "Sert"})
    assert first == 201
    second = sf.Lead.upsert("Leadbridge_Id__c/u-1", {"Title": "Changed"})
    assert second == 200
    rows = sf.query("SELECT Id, Title FROM Lead WHERE Leadbridge_Id__c = 'u-1'")["records"]
    assert len(rows) == 1 and rows[0]["Title"] == "Changed"


def test_errors_raise_the_client_exceptions_with_salesforce_bodies(sf):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"FirstName": "No"})
    assert exc.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(exc.value.content[0]["fields"]) == {"LastName", "Company"}
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"LastName": "A", "Company": "B", "Status": "Bogus"})
    assert exc.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"LastName": "A", "Company": "B", "Email": "not an email"})
    assert exc.value.content[0]["errorCode"] == "INVALID_EMAIL_ADDRESS"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"LastName": "A" * 81, "Company": "B"})
    assert exc.value.content[0]["errorCode"] == "STRING_TOO_LONG"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.create({"LastName": "A", "Company": "B", "Country": "USA"})
    assert exc.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Nope__c FROM Lead")
    assert exc.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT FROM WHERE")
    assert exc.value.content[0]["errorCode"] == "MALFORMED_QUERY"


def test_country_and_state_names_and_codes_stay_consistent(sf):
    rid = sf.Lead.create({"LastName": "A", "Company": "B", "CountryCode": "CA", "StateCode": "QC"})["id"]
    rec = sf.Lead.get(rid)
    assert (rec["Country"], rec["State"]) == ("Canada", "Quebec")
    with pytest.raises(SalesforceMalformedRequest) as exc:  # Quebec is not a state of Germany
        sf.Lead.update(rid, {"Country": "Germany"})
    assert exc.value.content[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    sf.Lead.update(rid, {"Country": "Germany", "State": None})
    rec = sf.Lead.get(rid)
    assert (rec["CountryCode"], rec["Country"], rec["StateCode"]) == ("DE", "Germany", None)


def test_query_pagination_with_query_more_and_query_all(sf):
    sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Contact"}, "LastName": f"Page{i}"} for i in range(200)]})
    for start in (200, 400):
        sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
            {"attributes": {"type": "Contact"}, "LastName": f"Page{i}"} for i in range(start, min(start + 200, 450))]})
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    first = sf.query("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'Page%' ORDER BY LastName")
    assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert len(second["records"]) == 200 and second["records"][0]["LastName"] != first["records"][0]["LastName"]
    everything = sf.query_all("SELECT Id FROM Contact WHERE LastName LIKE 'Page%'")
    assert everything["totalSize"] == 450 and len(everything["records"]) == 450
    del sf.headers["Sforce-Query-Options"]
    assert sf.query("SELECT COUNT() FROM Contact WHERE LastName LIKE 'Page%'")["totalSize"] == 450


def test_soql_operators(sf):
    for i, (name, score) in enumerate([("Op1", 10), ("Op2", 20), ("Op3", None)]):
        sf.Lead.create({"LastName": name, "Company": "SOQL", "NumberOfEmployees": score})
    q = lambda where: sorted(r["LastName"] for r in sf.query_all(  # noqa: E731
        f"SELECT LastName FROM Lead WHERE Company = 'SOQL' AND ({where})")["records"])
    assert q("NumberOfEmployees > 10") == ["Op2"]
    assert q("NumberOfEmployees = null") == ["Op3"]
    assert q("LastName IN ('Op1', 'Op3')") == ["Op1", "Op3"]
    assert q("LastName NOT IN ('Op1')") == ["Op2", "Op3"]
    assert q("NOT NumberOfEmployees >= 20") == ["Op1", "Op3"]  # a null comparison is false; NOT flips it
    assert q("CreatedDate = LAST_N_DAYS:1 AND SystemModstamp > 2020-01-01T00:00:00Z") == ["Op1", "Op2", "Op3"]
    page = sf.query("SELECT LastName FROM Lead WHERE Company = 'SOQL' ORDER BY LastName DESC LIMIT 1 OFFSET 1")
    assert [r["LastName"] for r in page["records"]] == ["Op2"]


def test_collections_per_record_results_and_all_or_none(sf):
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Lead"}, "LastName": "Ok", "Company": "C"},
        {"attributes": {"type": "Lead"}, "LastName": "NoCompany"}]})
    assert res[0]["success"] is True and res[1]["success"] is False
    assert res[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    res = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": [
        {"attributes": {"type": "Lead"}, "LastName": "Rolled", "Company": "C"},
        {"attributes": {"type": "Lead"}, "LastName": "Bad"}]})
    assert res[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sf.query("SELECT COUNT() FROM Lead WHERE LastName = 'Rolled'")["totalSize"] == 0
    up = sf.restful("composite/sobjects/Lead/Leadbridge_Id__c", method="PATCH", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Lead"}, "LastName": "C1", "Company": "C", "Leadbridge_Id__c": "c-1"}]})
    again = sf.restful("composite/sobjects/Lead/Leadbridge_Id__c", method="PATCH", json={"allOrNone": False, "records": [
        {"attributes": {"type": "Lead"}, "Title": "T", "Leadbridge_Id__c": "c-1"}]})
    assert (up[0]["created"], again[0]["created"], again[0]["id"]) == (True, False, up[0]["id"])
    too_many = {"allOrNone": False, "records": [{"attributes": {"type": "Lead"}, "LastName": "x"}] * 201}
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("composite/sobjects", method="POST", json=too_many)


def test_bulk2_ingest_with_results(sf, tmp_path):
    f = tmp_path / "leads.csv"
    f.write_text("LastName,Company,Leadbridge_Id__c\nBulk1,B,b-1\nBulk2,B,b-2\nBulkBad,,b-3\n")
    results = sf.bulk2.Lead.upsert(csv_file=str(f), external_id_field="Leadbridge_Id__c")
    assert results[0]["numberRecordsProcessed"] == 3 and results[0]["numberRecordsFailed"] == 1
    failed = sf.bulk2.Lead.get_failed_records(results[0]["job_id"])
    assert "REQUIRED_FIELD_MISSING" in failed
    ok = sf.bulk2.Lead.get_successful_records(results[0]["job_id"])
    assert ok.count("\n") >= 3


def test_updated_and_deleted_windows_and_limits(sf, sandbox):
    from datetime import datetime, timedelta, timezone
    start = datetime.now(timezone.utc) - timedelta(minutes=1)
    rid = sf.Lead.create({"LastName": "Win", "Company": "W"})["id"]
    sf.Lead.delete(rid)
    end = datetime.now(timezone.utc) + timedelta(minutes=1)
    assert rid in [d["id"] for d in sf.Lead.deleted(start, end)["deletedRecords"]]
    other = sf.Lead.create({"LastName": "Win2", "Company": "W"})["id"]
    assert other in sf.Lead.updated(start, end)["ids"]
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] >= limits["DailyApiRequests"]["Remaining"] > 0
    assert sf.api_usage  # parsed from the Sforce-Limit-Info header
    deleted = sf.query_all("SELECT Id, IsDeleted FROM Lead WHERE Id = '%s'" % rid, include_deleted=True)
    assert deleted["records"][0]["IsDeleted"] is True


def test_session_expiry(sandbox, session, login):
    sf = Salesforce(instance_url=sandbox.instance_url, session_id=login(session), session=session)
    sandbox.sessions.expire_all()
    with pytest.raises(SalesforceExpiredSession) as exc:
        sf.query("SELECT Id FROM Lead LIMIT 1")
    assert exc.value.content[0]["errorCode"] == "INVALID_SESSION_ID"


def test_upsert_on_a_field_that_is_not_an_external_id_is_not_found(sf):
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.upsert("Nope__c/1", {"LastName": "x"})


def test_convert_and_merge_over_soap(sf, sandbox, session, login):
    sid = login(session)
    lead = sf.Lead.create({"LastName": "Conv", "Company": "ConvCo", "Email": "conv@example.com"})["id"]
    body = (f'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header><SessionHeader>'
            f'<sessionId>{sid}</sessionId></SessionHeader></env:Header><env:Body><convertLead><leadConverts>'
            f'<leadId>{lead}</leadId><convertedStatus>Closed - Converted</convertedStatus></leadConverts>'
            '</convertLead></env:Body></env:Envelope>')
    r = session.post(f"{sandbox.instance_url}/services/Soap/u/59.0/00D000000000001EAA", data=body)
    contact = re.search(r"<contactId>(.*?)</contactId>", r.text).group(1)
    rec = sf.Lead.get(lead)
    assert rec["IsConverted"] is True and rec["ConvertedContactId"] == contact
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.update(lead, {"Title": "x"})
    assert exc.value.content[0]["errorCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    a = sf.Contact.create({"LastName": "M1", "Email": "m@example.com"})["id"]
    b = sf.Contact.create({"LastName": "M2", "Title": "Boss"})["id"]
    body = (f'<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Header><SessionHeader>'
            f'<sessionId>{sid}</sessionId></SessionHeader></env:Header><env:Body><merge><request><masterRecord>'
            f'<type>Contact</type><Id>{a}</Id></masterRecord><recordToMergeIds>{b}</recordToMergeIds></request>'
            '</merge></env:Body></env:Envelope>')
    r = session.post(f"{sandbox.instance_url}/services/Soap/u/59.0/00D000000000001EAA", data=body)
    assert "<success>true</success>" in r.text
    assert sf.Contact.get(a)["Title"] == "Boss"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(b)
