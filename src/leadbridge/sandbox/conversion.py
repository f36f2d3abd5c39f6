"""convertLead: a Lead becomes a Contact and an Account (new or existing) and, unless told not to, an Opportunity.

Semantics from the SOAP API's convertLead() and LeadConvert docs:

- `convertedStatus` is required and must be a converted Lead status (LeadStatus.IsConverted).
- `accountId` converts into that Account; `contactId` into that Contact (then `accountId` is
  required, and the contact must belong to it). Lead values fill the blank fields of an
  existing Contact or Account; they never overwrite (except LeadSource with
  `overwriteLeadSource`).
- An Opportunity is created (named `opportunityName`, else the company) unless
  `doNotCreateOpportunity`; `opportunityId` attaches an existing one instead.
- `ownerId` owns the new records (default: the lead's owner).
- The lead's campaign memberships gain the Contact (CampaignMember.ContactId).
- All of it is one transaction: any failure leaves every record as it was.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from leadbridge.sandbox import ids
from leadbridge.sandbox.metadata import CONVERTED_STATUS
from leadbridge.sandbox.validation import RecordError

PERSON = ("FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", "HasOptedOutOfEmail", "Description")
ADDRESS = ("Street", "City", "PostalCode", "CountryCode", "StateCode")
COMPANY = ("Website", "Phone", "Industry", "AnnualRevenue", "NumberOfEmployees")


def _truthy(v: Any) -> bool:
    return str(v).strip().lower() == "true" if v is not None else False


def _ref(org: Any, obj: str, rid: str | None, field: str) -> dict[str, Any] | None:
    if not rid:
        return None
    rec = org.store.get(obj, ids.canonical(rid)) if ids.looks_like_id(rid) else None
    if rec is None:
        raise RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field])
    return rec


def _quarter_end(today: date) -> date:
    month = ((today.month - 1) // 3 + 1) * 3
    nxt = date(today.year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _fill_blanks(current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "") and current.get(k) in (None, "", False)}


def convert(org: Any, spec: dict[str, Any], version: str) -> dict[str, Any]:
    """Convert one lead (`spec`: the LeadConvert fields); returns the LeadConvertResult ids."""
    lead = _ref(org, "Lead", spec.get("leadId"), "leadId")
    if lead is None:
        raise RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [leadId]", ["leadId"])
    org.check_writable("Lead")
    if lead.get("IsConverted"):
        raise RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", [])
    status = spec.get("convertedStatus")
    if status not in CONVERTED_STATUS:
        raise RecordError("INVALID_STATUS", f"invalid convertedStatus: {status}", ["convertedStatus"])
    if spec.get("contactId") and not spec.get("accountId"):
        raise RecordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [accountId] (a contactId needs "
                          "the account it belongs to)", ["accountId"])
    owner = _ref(org, "User", spec.get("ownerId"), "ownerId")
    owner_id = owner["Id"] if owner else lead.get("OwnerId")
    account = _ref(org, "Account", spec.get("accountId"), "accountId")
    contact = _ref(org, "Contact", spec.get("contactId"), "contactId")
    opp = _ref(org, "Opportunity", spec.get("opportunityId"), "opportunityId")
    if contact and account and contact.get("AccountId") not in (None, account["Id"]):
        raise RecordError("INVALID_CROSS_REFERENCE_KEY", "the contact does not belong to the account", ["contactId"])

    undo: list = []
    saved: dict[str, list[dict[str, Any]]] = {}

    def keep(obj: str, rec: dict[str, Any]) -> dict[str, Any]:
        undo.extend(org.stage(obj, [rec]))
        saved.setdefault(obj, []).append(rec)
        return rec

    try:
        company = {"Name": lead.get("Company") or lead.get("LastName"), **{k: lead.get(k) for k in COMPANY},
                   **{f"Billing{k}": lead.get(k) for k in ADDRESS}}
        if account is None:
            account = keep("Account", org.prepare_create("Account", {
                **{k: v for k, v in company.items() if v is not None}, "OwnerId": owner_id}, version=version))
        elif fill := _fill_blanks(account, company):
            account = keep("Account", org.prepare_update("Account", account["Id"], fill, version=version))
        person = {**{k: lead.get(k) for k in PERSON}, **{f"Mailing{k}": lead.get(k) for k in ADDRESS},
                  **_custom_values(org, lead), "LeadSource": lead.get("LeadSource")}
        if contact is None:
            contact = keep("Contact", org.prepare_create("Contact", {
                **{k: v for k, v in person.items() if v is not None}, "AccountId": account["Id"], "OwnerId": owner_id},
                version=version))
        else:
            fill = _fill_blanks(contact, {**person, "AccountId": account["Id"]})
            if _truthy(spec.get("overwriteLeadSource")) and lead.get("LeadSource"):
                fill["LeadSource"] = lead["LeadSource"]
            if fill:
                contact = keep("Contact", org.prepare_update("Contact", contact["Id"], fill, version=version))
        if opp is None and not _truthy(spec.get("doNotCreateOpportunity")):
            first_open = next((s.name for s in org.config.opportunity_stages if not s.closed), None)
            opp = keep("Opportunity", org.prepare_create("Opportunity", {
                "Name": spec.get("opportunityName") or lead.get("Company") or lead.get("LastName"),
                "StageName": first_open, "CloseDate": _quarter_end(datetime.now(timezone.utc).date()).isoformat(),
                "AccountId": account["Id"], "OwnerId": owner_id,
                **({"LeadSource": lead["LeadSource"]} if lead.get("LeadSource") else {})}, version=version))
        for m in [m for m in org.store.table("CampaignMember").values() if m.get("LeadId") == lead["Id"]]:
            already = org.indexes.lookup("CampaignMember", ("CampaignId", "ContactId"), [m["CampaignId"], contact["Id"]])
            if not m.get("ContactId") and not already:
                keep("CampaignMember", org.prepare_update("CampaignMember", m["Id"], {"ContactId": contact["Id"]},
                                                          system=True, version=version))
        converted = org.prepare_update("Lead", lead["Id"], {
            "IsConverted": True, "Status": status, "ConvertedContactId": contact["Id"],
            "ConvertedAccountId": account["Id"], "ConvertedOpportunityId": opp["Id"] if opp else None,
            "ConvertedDate": datetime.now(timezone.utc).date().isoformat()}, system=True, version=version)
        keep("Lead", converted)
        org.store.save_many(saved)
    except BaseException:
        org.unstage(undo)
        raise
    return {"leadId": lead["Id"], "contactId": contact["Id"], "accountId": account["Id"],
            "opportunityId": opp["Id"] if opp else None}


def _custom_values(org: Any, lead: dict[str, Any]) -> dict[str, Any]:
    """Custom Lead fields mapped to the Contact field of the same name (not unique ones: they would collide)."""
    contact_fields = org.schema.fields("Contact")
    return {f: lead[f] for f, d in org.schema.fields("Lead").items()
            if d.custom and f in contact_fields and lead.get(f) is not None and not d.unique
            and not contact_fields[f].unique}
