"""The SOAP calls over HTTPS: convertLead (status, opportunity, existing records, atomicity) and merge
(Salesforce's semantics: masterRecord values only, children re-parented, losers deleted with MasterRecordId)."""

from __future__ import annotations

import re

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from leadbridge.crm.salesforce.connector import SalesforceConnector
from leadbridge.crm.salesforce.session import Credentials
from leadbridge.errors import CrmDataError
from sandbox_clients import oauth_token, soap


def tag(xml: str, name: str) -> str | None:
    m = re.search(rf"<{name}>(.*?)</{name}>", xml, re.S)
    return m.group(1) if m else None


def convert(srv, lead: str, **fields) -> str:
    parts = "".join(f"<urn:{k}>{v}</urn:{k}>" for k, v in {"leadId": lead, **fields}.items())
    r = soap(srv, oauth_token(srv), f"<urn:convertLead><urn:leadConverts>{parts}</urn:leadConverts></urn:convertLead>")
    assert r.status_code == 200, r.text
    return r.text


def merge_call(srv, obj: str, master: str, losers: list[str], values: str = "") -> str:
    dups = "".join(f"<urn:recordToMergeIds>{d}</urn:recordToMergeIds>" for d in losers)
    r = soap(srv, oauth_token(srv), f"<urn:merge><urn:request><urn:masterRecord><urn1:type>{obj}</urn1:type>"
                                    f"<urn1:Id>{master}</urn1:Id>{values}</urn:masterRecord>{dups}</urn:request></urn:merge>")
    assert r.status_code == 200, r.text
    return r.text


def test_convert_creates_contact_account_and_opportunity(sandbox, sf):
    lead = sf.Lead.create({"FirstName": "Conv", "LastName": "Erted", "Company": "ConvCo", "Email": "conv@example.com",
                           "LeadSource": "Web", "CountryCode": "US", "StateCode": "CA"})["id"]
    camp = sf.Campaign.create({"Name": "Launch"})["id"]
    member = sf.CampaignMember.create({"CampaignId": camp, "LeadId": lead, "Status": "Responded"})["id"]
    xml = convert(sandbox, lead, convertedStatus="Closed - Converted", opportunityName="ConvCo deal")
    assert tag(xml, "success") == "true"
    contact, account, opp = tag(xml, "contactId"), tag(xml, "accountId"), tag(xml, "opportunityId")
    rec = sf.Lead.get(lead)
    assert (rec["IsConverted"], rec["Status"], rec["ConvertedContactId"], rec["ConvertedAccountId"],
            rec["ConvertedOpportunityId"]) == (True, "Closed - Converted", contact, account, opp)
    c = sf.Contact.get(contact)
    assert (c["Email"], c["AccountId"], c["MailingStateCode"], c["LeadSource"]) == ("conv@example.com", account,
                                                                                   "CA", "Web")
    o = sf.Opportunity.get(opp)
    assert (o["Name"], o["AccountId"], o["IsClosed"], o["StageName"]) == ("ConvCo deal", account, False, "Prospecting")
    assert sf.CampaignMember.get(member)["ContactId"] == contact  # the membership follows the person
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Lead.update(lead, {"Title": "x"})
    assert exc.value.content[0]["errorCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"


def test_convert_into_existing_records_without_an_opportunity(sandbox, sf):
    account = sf.Account.create({"Name": "Existing Inc"})["id"]
    contact = sf.Contact.create({"LastName": "Known", "AccountId": account, "Title": "Keeps"})["id"]
    lead = sf.Lead.create({"LastName": "Known", "Company": "Existing Inc", "Title": "Lead title",
                           "Phone": "+15551234567"})["id"]
    xml = convert(sandbox, lead, convertedStatus="Closed - Converted", accountId=account, contactId=contact,
                  doNotCreateOpportunity="true")
    assert (tag(xml, "contactId"), tag(xml, "accountId")) == (contact, account)
    assert '<opportunityId xsi:nil="true"/>' in xml
    c = sf.Contact.get(contact)
    assert (c["Title"], c["Phone"]) == ("Keeps", "+15551234567")  # blanks filled, values kept


def test_a_failed_conversion_changes_nothing(sandbox, sf):
    lead = sf.Lead.create({"LastName": "Atomic", "Company": "Atom Co"})["id"]
    before = {o: sf.query(f"SELECT COUNT() FROM {o}")["totalSize"] for o in ("Account", "Contact", "Opportunity")}
    xml = convert(sandbox, lead, convertedStatus="Working - Contacted")
    assert tag(xml, "success") == "false" and tag(xml, "statusCode") == "INVALID_STATUS"
    sandbox.config.permissions["Opportunity"] = {"access": "read"}  # fails after the Account and Contact were made
    try:
        xml = convert(sandbox, lead, convertedStatus="Closed - Converted")
    finally:
        sandbox.config.permissions.clear()
    assert tag(xml, "statusCode") == "INSUFFICIENT_ACCESS_OR_READONLY"
    after = {o: sf.query(f"SELECT COUNT() FROM {o}")["totalSize"] for o in ("Account", "Contact", "Opportunity")}
    assert after == before and sf.Lead.get(lead)["IsConverted"] is False
    xml = convert(sandbox, "00Q000000000999AAA", convertedStatus="Closed - Converted")
    assert tag(xml, "statusCode") == "INVALID_CROSS_REFERENCE_KEY"


def test_merge_keeps_master_values_and_applies_only_the_given_ones(sandbox, sf):
    a = sf.Contact.create({"LastName": "M1", "Email": "m1@example.com"})["id"]
    b = sf.Contact.create({"LastName": "M2", "Title": "Boss", "Phone": "+4930111"})["id"]
    xml = merge_call(sandbox, "Contact", a, [b], "<urn1:Phone>+4930111</urn1:Phone>")
    assert tag(xml, "success") == "true" and tag(xml, "mergedRecordIds") == b
    master = sf.Contact.get(a)
    assert (master["Title"], master["Phone"], master["Email"]) == (None, "+4930111", "m1@example.com")
    with pytest.raises(SalesforceResourceNotFound):
        sf.Contact.get(b)
    loser = sf.query_all(f"SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id = '{b}'",
                         include_deleted=True)["records"][0]
    assert (loser["IsDeleted"], loser["MasterRecordId"]) == (True, a)


def test_merge_reparents_related_records(sandbox, sf):
    a1, a2 = (sf.Account.create({"Name": n})["id"] for n in ("Acme", "Acme Inc"))
    contact = sf.Contact.create({"LastName": "Kid", "AccountId": a2})["id"]
    opp = sf.Opportunity.create({"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2026-12-31",
                                 "AccountId": a2})["id"]
    xml = merge_call(sandbox, "Account", a1, [a2])
    assert set(re.findall(r"<updatedRelatedIds>(.*?)</updatedRelatedIds>", xml)) == {contact, opp}
    assert sf.Contact.get(contact)["AccountId"] == a1 and sf.Opportunity.get(opp)["AccountId"] == a1
    assert sf.Contact.update(contact, {"Title": "still editable"}) == 204
    camp = sf.Campaign.create({"Name": "Both"})["id"]
    l1, l2 = (sf.Lead.create({"LastName": n, "Company": "C"})["id"] for n in ("L1", "L2"))
    m1 = sf.CampaignMember.create({"CampaignId": camp, "LeadId": l1})["id"]
    m2 = sf.CampaignMember.create({"CampaignId": camp, "LeadId": l2})["id"]
    other = sf.Campaign.create({"Name": "Only loser"})["id"]
    m3 = sf.CampaignMember.create({"CampaignId": other, "LeadId": l2})["id"]
    merge_call(sandbox, "Lead", l1, [l2])
    assert sf.CampaignMember.get(m3)["LeadId"] == l1
    assert sf.CampaignMember.get(m1)["LeadId"] == l1
    with pytest.raises(SalesforceResourceNotFound):
        sf.CampaignMember.get(m2)  # the master was already a member: no second membership


def test_merge_refuses_what_salesforce_refuses(sandbox, sf):
    ids = [sf.Lead.create({"LastName": f"R{i}", "Company": "C"})["id"] for i in range(4)]
    cases = [("Lead", ids[0], ids[1:4], "LIMIT_EXCEEDED"), ("Lead", ids[0], [ids[0]], "INVALID_ID_FIELD"),
             ("Opportunity", ids[0], [ids[1]], "INVALID_TYPE_FOR_OPERATION"),
             ("Lead", ids[0], ["00Q000000000999AAA"], "INVALID_CROSS_REFERENCE_KEY")]
    for obj, master, losers, code in cases:
        xml = merge_call(sandbox, obj, master, losers)
        assert (tag(xml, "success"), tag(xml, "statusCode")) == ("false", code)
    assert sf.query(f"SELECT COUNT() FROM Lead WHERE Id IN ('{ids[1]}', '{ids[2]}', '{ids[3]}')")["totalSize"] == 3
    xml = merge_call(sandbox, "Lead", ids[0], [ids[1]], "<urn1:Email>bad email</urn1:Email>")
    assert tag(xml, "statusCode") == "INVALID_EMAIL_ADDRESS"  # masterRecord values are validated like an update
    assert sf.query(f"SELECT COUNT() FROM Lead WHERE Id = '{ids[1]}'")["totalSize"] == 1


def test_the_connectors_merge_works_against_the_sandbox(sandbox, sf):
    a, b = (sf.Lead.create({"LastName": n, "Company": "Conn"})["id"] for n in ("Keep", "Go"))
    conn = SalesforceConnector(Credentials(login_url=sandbox.instance_url, client_id=sandbox.client_id,
                                           client_secret=sandbox.client_secret, ca_bundle=sandbox.ca_bundle))
    assert conn.merge("Lead", a, [b]) == [b]
    with pytest.raises(CrmDataError) as exc:
        conn.merge("Lead", a, [a])
    assert exc.value.code == "INVALID_ID_FIELD"


def test_soap_calls_need_a_live_session(sandbox):
    r = soap(sandbox, "00D!expired", "<urn:merge/>")
    assert r.status_code == 500 and "<sf:exceptionCode>INVALID_SESSION_ID</sf:exceptionCode>" in r.text
    r = soap(sandbox, oauth_token(sandbox), "<urn:describeGlobal/>")
    assert r.status_code == 500 and "No operation available" in r.text


def test_one_convert_call_converts_several_leads_each_on_its_own(sandbox, sf):
    good, bad = (sf.Lead.create({"LastName": n, "Company": f"{n} Co"})["id"] for n in ("Many1", "Many2"))
    body = "".join(f"<urn:leadConverts><urn:leadId>{lead}</urn:leadId><urn:convertedStatus>{status}"
                   "</urn:convertedStatus><urn:doNotCreateOpportunity>true</urn:doNotCreateOpportunity>"
                   "</urn:leadConverts>" for lead, status in ((good, "Closed - Converted"), (bad, "Bogus")))
    xml = soap(sandbox, oauth_token(sandbox), f"<urn:convertLead>{body}</urn:convertLead>").text
    assert re.findall(r"<success>(\w+)</success>", xml) == ["true", "false"]
    assert (sf.Lead.get(good)["IsConverted"], sf.Lead.get(bad)["IsConverted"]) == (True, False)
