"""Error bodies and status codes with a raw HTTP client: every failure is Salesforce-shaped."""

from __future__ import annotations

import httpx

from sandbox_clients import trust

NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]


def test_routing_errors_are_salesforce_shaped(sandbox, raw):
    assert (raw.get("/nope").status_code, raw.get("/nope").json()) == (404, NOT_FOUND)
    r = raw.put("/sobjects/Lead/00Q000000000001AAA")
    assert r.status_code == 405 and r.json() == [{"errorCode": "METHOD_NOT_ALLOWED", "message":
                                                  "HTTP Method 'PUT' not allowed. Allowed are DELETE,GET,PATCH"}]
    r = raw.get("/query")
    assert (r.status_code, r.json()[0]["errorCode"]) == (400, "MALFORMED_QUERY")
    r = raw.post("/sobjects/Lead", content=b"{not json", headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()[0]["errorCode"]) == (400, "JSON_PARSER_ERROR")
    r = raw.post("/sobjects/Nope", json={"Name": "x"})
    assert (r.status_code, r.json()[0]["errorCode"]) == (404, "NOT_FOUND")
    r = raw.get("/sobjects/Lead/updated/", params={"start": "2026-01-01T00:00:00+00:00"})
    assert (r.status_code, r.json()[0]["errorCode"]) == (400, "MISSING_ARGUMENT")
    r = httpx.get(f"{sandbox.instance_url}/services/data/v59.0/limits", verify=trust(sandbox),
                  headers={"Authorization": "Bearer nope"})
    assert (r.status_code, r.json()) == (401, [{"message": "Session expired or invalid",
                                                "errorCode": "INVALID_SESSION_ID"}])


def test_record_errors_are_salesforce_shaped(raw):
    r = raw.post("/sobjects/Lead", json={"FirstName": "x"})
    assert r.status_code == 400 and r.json() == [{"message": "Required fields are missing: [LastName, Company]",
                                                  "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName", "Company"]}]
    first = raw.post("/sobjects/Lead", json={"LastName": "U", "Company": "C", "Leadbridge_Id__c": "dup"}).json()["id"]
    r = raw.post("/sobjects/Lead", json={"LastName": "V", "Company": "C", "Leadbridge_Id__c": "DUP"})
    assert r.status_code == 400 and r.json() == [{
        "message": f"duplicate value found: Leadbridge_Id__c duplicates value on record with id: {first}",
        "errorCode": "DUPLICATE_VALUE", "fields": ["Leadbridge_Id__c"]}]
    r = raw.post("/sobjects/Contact", json={"LastName": "W", "AccountId": "001000000000999AAA"})
    assert r.json() == [{"message": "invalid cross reference id", "errorCode": "INVALID_CROSS_REFERENCE_KEY",
                         "fields": ["AccountId"]}]
    assert raw.delete(f"/sobjects/Lead/{first}").status_code == 204
    r = raw.get(f"/sobjects/Lead/{first}")
    assert (r.status_code, r.json()[0]["errorCode"]) == (404, "ENTITY_IS_DELETED")
    r = raw.patch(f"/sobjects/Lead/{first}", json={"Title": "x"})
    assert (r.status_code, r.json()[0]["errorCode"]) == (400, "ENTITY_IS_DELETED")
    r = raw.get("/sobjects/Lead/garbage")
    assert r.status_code == 404 and "Provided external ID field does not exist" in r.json()[0]["message"]
    r = raw.patch("/composite/sobjects", json={"records": [
        {"attributes": {"type": "Lead"}, "Id": "00Q000000000999AAA", "Title": "x"}]})
    assert r.status_code == 200 and r.json()[0]["errors"][0] == {
        "statusCode": "NOT_FOUND", "message": "The requested resource does not exist", "fields": []}
    assert "api-usage=" in r.headers["Sforce-Limit-Info"]


def test_upsert_body_must_not_repeat_the_key(raw):
    r = raw.patch("/sobjects/Lead/Leadbridge_Id__c/k1", json={"LastName": "A", "Company": "B",
                                                              "Leadbridge_Id__c": "k1"})
    assert (r.status_code, r.json()[0]["errorCode"]) == (400, "INVALID_FIELD")
    r = raw.patch("/sobjects/Lead/Leadbridge_Id__c/k1", json={"LastName": "A", "Company": "B"})
    assert (r.status_code, r.json()["created"]) == (201, True)
    r = raw.patch("/sobjects/Lead/Leadbridge_Id__c/k1", json={"Title": "x"})
    assert (r.status_code, r.json()["created"]) == (200, False)
