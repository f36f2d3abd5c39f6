"""SOQL with the real client: operators, date literals, relationships, aggregates, pages and locators."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from leadbridge.sandbox import queries
from leadbridge.sandbox.date_literals import date_range


def names(sf, where: str, obj: str = "Lead") -> list[str]:
    rows = sf.query_all(f"SELECT LastName FROM {obj} WHERE Company = 'SOQL' AND ({where})")["records"]
    return sorted(r["LastName"] for r in rows)


def soql_error(sf, q: str) -> dict:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(q)
    return exc.value.content[0]


@pytest.fixture(scope="module")
def seeded(sandbox):
    from sandbox_clients import client_for
    sf = client_for(sandbox)
    for name, score, title in [("Op1", 10, "it's"), ("Op2", 20, "Line\nbreak"), ("Op3", None, None)]:
        sf.Lead.create({"LastName": name, "Company": "SOQL", "NumberOfEmployees": score, "Title": title})
    return sf


def test_operators_and_null_semantics(seeded):
    sf = seeded
    assert names(sf, "NumberOfEmployees > 10") == ["Op2"]
    assert names(sf, "NumberOfEmployees <= 10") == ["Op1"]
    assert names(sf, "NumberOfEmployees < 20 OR NumberOfEmployees = null") == ["Op1", "Op3"]
    assert names(sf, "NumberOfEmployees != 10") == ["Op2", "Op3"]  # != matches nulls in SOQL
    assert names(sf, "NumberOfEmployees = null") == ["Op3"]
    assert names(sf, "LastName IN ('op1', 'Op3')") == ["Op1", "Op3"]  # text compares case-insensitively
    assert names(sf, "NumberOfEmployees NOT IN (10)") == ["Op2"]  # NOT IN leaves nulls out
    assert names(sf, "NOT NumberOfEmployees >= 20") == ["Op1", "Op3"]
    assert names(sf, "LastName LIKE 'op_'") == ["Op1", "Op2", "Op3"]
    assert names(sf, "Title = 'it\\'s'") == ["Op1"] and names(sf, "Title = 'Line\\nbreak'") == ["Op2"]
    assert names(sf, "CreatedDate = LAST_N_DAYS:1 AND SystemModstamp > 2020-01-01T00:00:00Z") == ["Op1", "Op2",
                                                                                                  "Op3"]
    assert names(sf, "CreatedDate = TODAY AND CreatedDate > YESTERDAY AND CreatedDate = THIS_MONTH") == [
        "Op1", "Op2", "Op3"]
    assert names(sf, "CreatedDate < LAST_N_DAYS:30") == []


def test_ordering_limits_offsets_and_api_names(seeded):
    sf = seeded
    page = sf.query("SELECT lastname FROM lead WHERE Company = 'SOQL' ORDER BY LastName DESC LIMIT 1 OFFSET 1")
    assert [r["LastName"] for r in page["records"]] == ["Op2"]  # names come back in their API spelling
    assert page["records"][0]["attributes"]["type"] == "Lead"
    rows = sf.query("SELECT LastName FROM Lead WHERE Company = 'SOQL' ORDER BY NumberOfEmployees")["records"]
    assert [r["LastName"] for r in rows] == ["Op3", "Op1", "Op2"]  # ASC puts nulls first
    rows = sf.query("SELECT LastName FROM Lead WHERE Company = 'SOQL' ORDER BY NumberOfEmployees DESC")["records"]
    assert [r["LastName"] for r in rows] == ["Op2", "Op1", "Op3"]  # DESC puts them last
    rows = sf.query("SELECT LastName FROM Lead WHERE Company = 'SOQL' ORDER BY NumberOfEmployees NULLS LAST")
    assert [r["LastName"] for r in rows["records"]] == ["Op1", "Op2", "Op3"]
    assert soql_error(sf, "SELECT Id FROM Lead OFFSET 2001")["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"


def test_aggregates(seeded):
    sf = seeded
    assert sf.query("SELECT COUNT() FROM Lead WHERE Company = 'SOQL'")["totalSize"] == 3
    res = sf.query("SELECT COUNT(Id), COUNT(NumberOfEmployees) scored FROM Lead WHERE Company = 'SOQL'")
    assert res["totalSize"] == 1 and (res["records"][0]["expr0"], res["records"][0]["scored"]) == (3, 2)


def test_parent_relationship_fields(sf):
    acc = sf.Account.create({"Name": "Parent Co"})["id"]
    sf.Contact.create({"LastName": "Child", "AccountId": acc})
    sf.Contact.create({"LastName": "Orphan"})
    rows = sf.query("SELECT LastName, Account.Name, Owner.Email FROM Contact WHERE Account.Name = 'parent co'")
    (row,) = rows["records"]
    assert row["Account"]["Name"] == "Parent Co" and row["Account"]["attributes"]["type"] == "Account"
    assert row["Owner"]["Email"] == "admin@sandbox.leadbridge.local"
    orphan = sf.query("SELECT Account.Name FROM Contact WHERE LastName = 'Orphan'")["records"][0]
    assert orphan["Account"] is None
    assert soql_error(sf, "SELECT Nope.Name FROM Contact")["errorCode"] == "INVALID_FIELD"


def test_bad_queries(sf):
    e = soql_error(sf, "SELECT Nope__c FROM Lead")
    assert e["errorCode"] == "INVALID_FIELD" and "No such column 'Nope__c' on entity 'Lead'" in e["message"]
    assert soql_error(sf, "SELECT FROM WHERE")["errorCode"] == "MALFORMED_QUERY"
    assert soql_error(sf, "SELECT Id FROM Nope")["errorCode"] == "INVALID_TYPE"
    e = soql_error(sf, "SELECT Id FROM Lead WHERE NumberOfEmployees = '5'")
    assert e["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR" and "should not be enclosed in quotes" in e["message"]
    assert soql_error(sf, "SELECT Id FROM Lead WHERE CreatedDate > 2020-01-01")["errorCode"] == \
        "INVALID_QUERY_FILTER_OPERATOR"


def test_pages_query_more_and_query_all(sf):
    for start in (0, 200, 400):
        sf.restful("composite/sobjects", method="POST", json={"records": [
            {"attributes": {"type": "Contact"}, "LastName": f"Page{i:03d}"} for i in range(start, min(start + 200, 450))]})
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    try:
        first = sf.query("SELECT Id, LastName FROM Contact WHERE LastName LIKE 'Page%' ORDER BY LastName")
        assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
        second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
        assert second["records"][0]["LastName"] == "Page200"
        everything = sf.query_all("SELECT Id FROM Contact WHERE LastName LIKE 'Page%'")
        assert everything["totalSize"] == 450 and len(everything["records"]) == 450
        doomed = [r["Id"] for r in everything["records"][:250]]
        for i in range(0, 250, 200):
            sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(doomed[i:i + 200])})
        live = sf.query("SELECT Id FROM Contact WHERE LastName LIKE 'Page%'")
        assert live["totalSize"] == 200
        all_rows = sf.query("SELECT Id, IsDeleted FROM Contact WHERE LastName LIKE 'Page%'", include_deleted=True)
        locator = all_rows["nextRecordsUrl"].rsplit("/", 1)[1]
        rest = sf.query_more(locator, include_deleted=True)  # queryAll/{locator}, as the client asks for it
        assert all_rows["totalSize"] == 450 and len(all_rows["records"]) + len(rest["records"]) == 400
    finally:
        del sf.headers["Sforce-Query-Options"]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_more("01gNOPE-2000")
    assert exc.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_an_idle_locator_expires(sf, monkeypatch):
    for start in (0, 200):
        sf.restful("composite/sobjects", method="POST", json={"records": [
            {"attributes": {"type": "Account"}, "Name": f"Idle{i}"} for i in range(start, start + 200)]})
    sf.headers["Sforce-Query-Options"] = "batchSize=200"
    try:
        page = sf.query("SELECT Id FROM Account WHERE Name LIKE 'Idle%'")
    finally:
        del sf.headers["Sforce-Query-Options"]
    monkeypatch.setattr(queries, "CURSOR_SECONDS", 0)  # as if 15 minutes had passed
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_more(page["nextRecordsUrl"], identifier_is_url=True)
    assert exc.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_in_with_200_ids_finds_them_by_index_including_deleted_ones(sf):
    made = [r["id"] for r in sf.restful("composite/sobjects", method="POST", json={"records": [
        {"attributes": {"type": "Lead"}, "LastName": f"Idx{i}", "Company": "Idx", "Leadbridge_Id__c": f"k{i}"}
        for i in range(200)]})]
    sf.Lead.delete(made[0])
    wanted = ", ".join(f"'{i[:15]}'" for i in made)  # 15-character ids are accepted in SOQL too
    assert sf.query(f"SELECT Id FROM Lead WHERE Id IN ({wanted})")["totalSize"] == 199
    merged = sf.query_all(f"SELECT Id, IsDeleted FROM Lead WHERE Id IN ({wanted}) AND IsDeleted = true",
                          include_deleted=True)
    assert [r["Id"] for r in merged["records"]] == [made[0]]
    keys = ", ".join(f"'K{i}'" for i in range(150, 250))
    assert sf.query(f"SELECT Id FROM Lead WHERE Leadbridge_Id__c IN ({keys}) AND Company = 'Idx'")["totalSize"] == 50


def test_date_literal_ranges():
    wed = date(2026, 11, 18)  # a Wednesday
    assert date_range("THIS_WEEK", wed) == (date(2026, 11, 15), date(2026, 11, 22))  # weeks start on Sunday
    assert date_range("LAST_N_DAYS:1", wed) == (date(2026, 11, 17), date(2026, 11, 19))  # includes today
    assert date_range("NEXT_N_DAYS:2", wed) == (date(2026, 11, 19), date(2026, 11, 21))  # starts tomorrow
    assert date_range("N_DAYS_AGO:3", wed) == (date(2026, 11, 15), date(2026, 11, 16))
    assert date_range("THIS_QUARTER", wed) == date_range("THIS_FISCAL_QUARTER", wed) == (date(2026, 10, 1),
                                                                                       date(2027, 1, 1))
    assert date_range("LAST_N_MONTHS:2", wed) == (date(2026, 9, 1), date(2026, 11, 1))  # excludes this month
    assert date_range("N_MONTHS_AGO:1", wed) == (date(2026, 10, 1), date(2026, 11, 1))
    assert date_range("NEXT_N_WEEKS:1", wed) == (date(2026, 11, 22), date(2026, 11, 29))
    assert date_range("LAST_YEAR", wed) == (date(2025, 1, 1), date(2026, 1, 1))
    assert date_range("LAST_90_DAYS", wed)[0] == wed - timedelta(days=90)
    assert date_range("SOMETIME", wed) is None and date_range("N_DAYS:3", wed) is None


def test_date_literals_use_utc(sf):
    sf.Opportunity.create({"Name": "Dated", "StageName": "Prospecting",
                           "CloseDate": datetime.now(timezone.utc).date().isoformat()})
    rows = sf.query("SELECT Name FROM Opportunity WHERE CloseDate = TODAY AND CloseDate < TOMORROW")["records"]
    assert [r["Name"] for r in rows] == ["Dated"]
