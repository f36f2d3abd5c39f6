"""The sandbox's objects and fields, and describe() in Salesforce's shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.picklists import countries, states

KEY_PREFIX = {"Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006", "User": "005",
              "Campaign": "701", "CampaignMember": "00v"}
LEAD_STATUS = ["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"]
LEAD_SOURCE = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other", "Advertisement",
               "Employee Referral", "External Referral", "Trade Show", "Word of mouth"]
STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
          "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"]


@dataclass
class Field:
    name: str
    type: str = "string"
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted: bool = False
    values: list[tuple[str, str]] = field(default_factory=list)  # (value, label)
    restricted: bool = False
    reference_to: list[str] = field(default_factory=list)
    external_id: bool = False
    unique: bool = False
    custom: bool = False
    label: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name, "label": self.label or _label(self.name), "type": self.type, "length": self.length,
            "nillable": self.nillable, "createable": self.createable, "updateable": self.updateable,
            "defaultedOnCreate": self.defaulted, "externalId": self.external_id, "unique": self.unique,
            "restrictedPicklist": self.restricted, "custom": self.custom, "referenceTo": self.reference_to,
            "picklistValues": [{"active": True, "defaultValue": False, "label": l, "value": v} for v, l in self.values],
            "soapType": _SOAP.get(self.type, "xsd:string"), "calculated": False, "filterable": True, "sortable": True,
        }


_SOAP = {"boolean": "xsd:boolean", "int": "xsd:int", "double": "xsd:double", "currency": "xsd:double",
         "date": "xsd:date", "datetime": "xsd:dateTime", "id": "tns:ID", "reference": "tns:ID"}


def _label(name: str) -> str:
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("__c").replace("_", " ")).replace("  ", " ")


def S(name: str, length: int = 255, **kw: Any) -> Field:
    return Field(name, "string", length, **kw)


def _system() -> list[Field]:
    ro = {"createable": False, "updateable": False}
    return [Field("Id", "id", 18, nillable=False, **ro), Field("IsDeleted", "boolean", nillable=False, **ro),
            Field("CreatedDate", "datetime", nillable=False, **ro), Field("LastModifiedDate", "datetime", nillable=False, **ro),
            Field("SystemModstamp", "datetime", nillable=False, **ro),
            Field("CreatedById", "reference", 18, reference_to=["User"], **ro),
            Field("LastModifiedById", "reference", 18, reference_to=["User"], **ro)]


def _address(prefix: str) -> list[Field]:
    cc = [(c, l) for c, l in countries().items()]
    sc = sorted({(c, l) for table in states().values() for c, l in table.items()})
    return [Field(f"{prefix}Street", "textarea", 255), S(f"{prefix}City", 40), S(f"{prefix}State", 80),
            Field(f"{prefix}StateCode", "picklist", 255, values=sc, restricted=True), S(f"{prefix}PostalCode", 20),
            S(f"{prefix}Country", 80), Field(f"{prefix}CountryCode", "picklist", 255, values=cc, restricted=True)]


def _owner() -> Field:
    return Field("OwnerId", "reference", 18, nillable=False, defaulted=True, reference_to=["User", "Group"])


def _objects() -> dict[str, list[Field]]:
    pick = lambda vals: [(v, v) for v in vals]  # noqa: E731
    return {
        "Lead": [S("FirstName", 40), S("LastName", 80, nillable=False), Field("Email", "email", 80),
                 Field("Phone", "phone", 40), Field("MobilePhone", "phone", 40), S("Title", 128),
                 S("Company", 255, nillable=False), Field("Website", "url", 255), *_address(""),
                 Field("LeadSource", "picklist", 255, values=pick(LEAD_SOURCE)),
                 Field("Status", "picklist", 255, nillable=False, defaulted=True, values=pick(LEAD_STATUS), restricted=True),
                 Field("Rating", "picklist", 255, values=pick(["Hot", "Warm", "Cold"])), S("Industry", 40),
                 Field("AnnualRevenue", "currency"), Field("NumberOfEmployees", "int"), _owner(),
                 Field("HasOptedOutOfEmail", "boolean", nillable=False, defaulted=True),
                 Field("Description", "textarea", 32000),
                 Field("IsConverted", "boolean", nillable=False, defaulted=True, createable=False, updateable=False),
                 Field("ConvertedContactId", "reference", 18, reference_to=["Contact"], createable=False, updateable=False),
                 Field("ConvertedAccountId", "reference", 18, reference_to=["Account"], createable=False, updateable=False),
                 Field("ConvertedDate", "date", createable=False, updateable=False),
                 Field("MasterRecordId", "reference", 18, reference_to=["Lead"], createable=False, updateable=False)],
        "Contact": [S("FirstName", 40), S("LastName", 80, nillable=False), Field("Email", "email", 80),
                    Field("Phone", "phone", 40), Field("MobilePhone", "phone", 40), S("Title", 128), S("Department", 80),
                    *_address("Mailing"), Field("LeadSource", "picklist", 255, values=pick(LEAD_SOURCE)),
                    Field("AccountId", "reference", 18, reference_to=["Account"]), _owner(),
                    Field("HasOptedOutOfEmail", "boolean", nillable=False, defaulted=True),
                    Field("Description", "textarea", 32000),
                    Field("MasterRecordId", "reference", 18, reference_to=["Contact"], createable=False, updateable=False)],
        "Account": [S("Name", 255, nillable=False), Field("Website", "url", 255), S("Industry", 40),
                    Field("AnnualRevenue", "currency"), Field("NumberOfEmployees", "int"), Field("Phone", "phone", 40),
                    *_address("Billing"), _owner()],
        "Opportunity": [S("Name", 120, nillable=False), Field("StageName", "picklist", 255, nillable=False,
                                                             values=pick(STAGES), restricted=True),
                        Field("Amount", "currency"), Field("CloseDate", "date", nillable=False),
                        Field("AccountId", "reference", 18, reference_to=["Account"]),
                        Field("CampaignId", "reference", 18, reference_to=["Campaign"]),
                        Field("IsWon", "boolean", createable=False, updateable=False, defaulted=True),
                        Field("IsClosed", "boolean", createable=False, updateable=False, defaulted=True), _owner()],
        "Campaign": [S("Name", 80, nillable=False), Field("Type", "picklist", 255, values=pick(
                         ["Conference", "Webinar", "Trade Show", "Email", "Advertisement", "Other"])),
                     Field("Status", "picklist", 255, values=pick(["Planned", "In Progress", "Completed", "Aborted"])),
                     Field("StartDate", "date"), Field("EndDate", "date"), Field("BudgetedCost", "currency"),
                     Field("ActualCost", "currency"), Field("IsActive", "boolean", defaulted=True), _owner()],
        "CampaignMember": [Field("CampaignId", "reference", 18, nillable=False, reference_to=["Campaign"], updateable=False),
                           Field("LeadId", "reference", 18, reference_to=["Lead"], updateable=False),
                           Field("ContactId", "reference", 18, reference_to=["Contact"], updateable=False),
                           S("Status", 40), Field("HasResponded", "boolean", createable=False, updateable=False,
                                                   defaulted=True)],
        "User": [S("Name", 121, createable=False, updateable=False), S("FirstName", 40), S("LastName", 80),
                 Field("Email", "email", 128), S("Username", 80), Field("IsActive", "boolean", defaulted=True)],
    }


class Schema:
    """All objects with their fields (standard + custom from the config)."""

    def __init__(self, config: SandboxConfig):
        self.objects: dict[str, dict[str, Field]] = {}
        for name, fields in _objects().items():
            self.objects[name] = {f.name: f for f in (*_system(), *fields)}
        for cf in config.custom_fields:
            self.objects.setdefault(cf.object, {f.name: f for f in _system()})[cf.name] = Field(
                cf.name, cf.type, cf.length, values=[(v, v) for v in cf.values], external_id=cf.external_id,
                unique=cf.unique or cf.external_id, custom=True, label=cf.label)

    def fields(self, obj: str) -> dict[str, Field]:
        return self.objects[obj]

    def sobjects(self, version: str) -> dict[str, Any]:
        return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": [
            {"name": o, "label": _label(o), "keyPrefix": KEY_PREFIX.get(o), "createable": True, "updateable": True,
             "queryable": True, "custom": False,
             "urls": {"sobject": f"/services/data/v{version}/sobjects/{o}",
                      "describe": f"/services/data/v{version}/sobjects/{o}/describe"}} for o in self.objects]}

    @lru_cache(maxsize=64)
    def describe(self, obj: str) -> dict[str, Any]:
        return {"name": obj, "label": _label(obj), "keyPrefix": KEY_PREFIX.get(obj), "createable": True,
                "updateable": True, "queryable": True, "custom": obj.endswith("__c"),
                "fields": [f.describe() for f in self.objects[obj].values()]}

    def __hash__(self) -> int:
        return id(self)
