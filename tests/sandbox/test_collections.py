"""sObject Collections with the real client: per-record results, allOrNone, limits, delete and retrieve."""

from __future__ import annotations

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest


def lead(name: str, **kw) -> dict:
    return {"attributes": {"type": "Lead"}, "LastName": name, "Company": "Coll", **kw}


def post(sf, records, all_or_none=False, method="POST", path="composite/sobjects"):
    return sf.restful(path, method=method, json={"allOrNone": all_or_none, "records": records})


def count(sf, where: str) -> int:
    return sf.query(f"SELECT COUNT() FROM Lead WHERE {where}")["totalSize"]


def test_per_record_results_in_order(sf):
    res = post(sf, [lead("Ok1"), {"attributes": {"type": "Lead"}, "LastName": "NoCompany"}, lead("Ok2")])
    assert [r["success"] for r in res] == [True, False, True]
    assert res[1] == {"success": False, "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message":
                      "Required fields are missing: [Company]", "fields": ["Company"]}]}
    res = post(sf, [{"attributes": {"type": "Nope"}, "Name": "x"}, {"Name": "untyped"}])
    assert [r["errors"][0]["statusCode"] for r in res] == ["INVALID_TYPE", "INVALID_TYPE"]
    ids = [post(sf, [lead("Upd")])[0]["id"]]
    res = post(sf, [{"attributes": {"type": "Lead"}, "Id": ids[0], "Title": "T"},
                    {"attributes": {"type": "Lead"}, "Title": "no id"}], method="PATCH")
    assert res[0] == {"id": ids[0], "success": True, "errors": []}
    assert res[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"


def test_all_or_none_rolls_back_and_sees_earlier_records_of_the_call(sf):
    res = post(sf, [lead("Rolled"), {"attributes": {"type": "Lead"}, "LastName": "Bad"}], all_or_none=True)
    assert res[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert count(sf, "LastName = 'Rolled'") == 0
    same_key = [lead("Twin1", Leadbridge_Id__c="twin"), lead("Twin2", Leadbridge_Id__c="twin")]
    res = post(sf, same_key, all_or_none=True, method="PATCH", path="composite/sobjects/Lead/Leadbridge_Id__c")
    assert [(r["success"], r["created"]) for r in res] == [(True, True), (True, False)]
    assert res[0]["id"] == res[1]["id"] and count(sf, "Leadbridge_Id__c = 'twin'") == 1
    res = post(sf, [lead("Dupe", Leadbridge_Id__c="one"), lead("Dupe2", Leadbridge_Id__c="two"),
                    lead("Dupe3", Leadbridge_Id__c="one", Email="bad email")],
               all_or_none=True, method="PATCH", path="composite/sobjects/Lead/Leadbridge_Id__c")
    assert [r["errors"][0]["statusCode"] for r in res] == ["ALL_OR_NONE_OPERATION_ROLLED_BACK"] * 2 + [
        "INVALID_EMAIL_ADDRESS"]
    assert count(sf, "Leadbridge_Id__c IN ('one', 'two')") == 0


def test_upsert_collection_reports_created(sf):
    up = post(sf, [lead("C1", Leadbridge_Id__c="c-1")], method="PATCH", path="composite/sobjects/Lead/Leadbridge_Id__c")
    again = post(sf, [{"attributes": {"type": "Lead"}, "Title": "T", "Leadbridge_Id__c": "c-1"}], method="PATCH",
                 path="composite/sobjects/Lead/Leadbridge_Id__c")
    assert (up[0]["created"], again[0]["created"], again[0]["id"]) == (True, False, up[0]["id"])
    missing = post(sf, [lead("NoKey")], method="PATCH", path="composite/sobjects/Lead/Leadbridge_Id__c")
    assert missing[0]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"


def test_a_value_of_the_wrong_type_fails_the_whole_request(sf):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        post(sf, [lead("Typed1"), lead("Typed2", NumberOfEmployees="many")])
    assert exc.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert count(sf, "LastName = 'Typed1'") == 0  # nothing saved, not even the first record


def test_limits_of_200(sf):
    with pytest.raises(SalesforceMalformedRequest) as exc:
        post(sf, [lead("x")] * 201)
    assert exc.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(["00Q000000000001AAA"] * 201)})
    assert exc.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_delete_collection_with_and_without_all_or_none(sf):
    good = [r["id"] for r in post(sf, [lead("Del1"), lead("Del2")])]
    gone = post(sf, [lead("Del3")])[0]["id"]
    sf.Lead.delete(gone)
    res = sf.restful("composite/sobjects", method="DELETE",
                     params={"ids": f"{good[0]},{gone},bogus", "allOrNone": "true"})
    assert [r["success"] for r in res] == [False, False, False]
    assert [r["errors"][0]["statusCode"] for r in res] == ["ALL_OR_NONE_OPERATION_ROLLED_BACK", "ENTITY_IS_DELETED",
                                                             "MALFORMED_ID"]
    assert count(sf, f"Id = '{good[0]}'") == 1  # nothing was deleted
    res = sf.restful("composite/sobjects", method="DELETE", params={"ids": f"{good[0]},{gone}", "allOrNone": "false"})
    assert [r["success"] for r in res] == [True, False] and count(sf, f"Id = '{good[0]}'") == 0


def test_retrieve_collection(sf):
    ids = [r["id"] for r in post(sf, [lead("Get1", Title="A"), lead("Get2", Title="B")])]
    got = sf.restful("composite/sobjects/Lead", params={"ids": ",".join([*ids, "00Q000000000999AAA"]),
                                                         "fields": "LastName,Title"})
    assert [g and (g["LastName"], g["Title"]) for g in got] == [("Get1", "A"), ("Get2", "B"), None]
