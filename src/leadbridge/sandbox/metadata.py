"""The sandbox's objects and fields, and describe() in Salesforce's shape (with the API user's permissions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.picklists import countries, state_picklist

KEY_PREFIX = {"Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006", "User": "005",
              "Campaign": "701", "CampaignMember": "00v", "LeadStatus": "01J", "OpportunityStage": "01K",
              "AssignmentRule": "01Q"}
PREFIX_OBJECT = {v: k for k, v in KEY_PREFIX.items()}
LEAD_STATUS = ["Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"]
CONVERTED_STATUS = {"Closed - Converted"}
LEAD_SOURCE = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other", "Advertisement",
               "Employee Referral", "External Referral", "Trade Show", "Word of mouth"]
SETUP_OBJECTS = {"LeadStatus", "OpportunityStage", "AssignmentRule"}  # read-only reference data
MERGEABLE = ("Lead", "Contact", "Account")
_LABELS = {("Lead", "Status"): "Lead Status", ("Lead", "Name"): "Full Name", ("Contact", "Name"): "Full Name",
           ("Account", "Name"): "Account Name", ("Opportunity", "Name"): "Opportunity Name",
           ("Opportunity", "StageName"): "Stage", ("Lead", "Company"): "Company",
           ("Opportunity", "ForecastCategoryName"): "Forecast Category"}
_CHILD_NAMES = {("Contact", "AccountId"): "Contacts", ("Opportunity", "AccountId"): "Opportunities",
                ("CampaignMember", "CampaignId"): "CampaignMembers", ("CampaignMember", "LeadId"): "CampaignMembers",
                ("CampaignMember", "ContactId"): "CampaignMembers", ("Opportunity", "CampaignId"): "Opportunities",
                ("Account", "ParentId"): "ChildAccounts"}
_SOAP = {"boolean": "xsd:boolean", "int": "xsd:int", "double": "xsd:double", "currency": "xsd:double",
         "percent": "xsd:double", "date": "xsd:date", "datetime": "xsd:dateTime", "id": "tns:ID", "reference": "tns:ID"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted: bool = False
    values: tuple[tuple[str, str, bool], ...] = ()  # (value, label, default)
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    external_id: bool = False
    unique: bool = False
    custom: bool = False
    label: str = ""
    controller: str | None = None  # StateCode's controlling CountryCode field

    @property
    def required(self) -> bool:
        """Salesforce's rule: createable, not nillable and not defaulted on create."""
        return not self.nillable and self.createable and not self.defaulted and self.type != "boolean"

    def value_set(self) -> frozenset[str]:
        return frozenset(v for v, _, _ in self.values)

    def describe(self, obj: str) -> dict[str, Any]:
        rel = None
        if self.type == "reference":
            rel = self.name[:-3] + "__r" if self.name.endswith("__c") else re.sub(r"Id$", "", self.name)
        numeric = self.type in ("int", "double", "currency", "percent")
        picklist = self.controller and state_picklist() or [
            {"active": True, "defaultValue": d, "label": lab, "validFor": None, "value": v} for v, lab, d in self.values]
        return {
            "name": self.name, "label": self.label or _LABELS.get((obj, self.name)) or label_of(self.name),
            "type": self.type, "length": 0 if numeric else self.length, "byteLength": self.length * 3,
            "precision": 18 if self.type in ("double", "currency", "percent") else 0,
            "scale": 2 if self.type in ("double", "currency", "percent") else 0,
            "digits": 9 if self.type == "int" else 0,
            "nillable": self.nillable, "createable": self.createable, "updateable": self.updateable,
            "defaultedOnCreate": self.defaulted, "defaultValue": None, "externalId": self.external_id,
            "unique": self.unique, "idLookup": self.type == "id" or self.external_id or self.name == "Email",
            "caseSensitive": False, "restrictedPicklist": self.restricted, "dependentPicklist": bool(self.controller),
            "controllerName": self.controller, "picklistValues": picklist if self.values or self.controller else [],
            "referenceTo": list(self.reference_to), "relationshipName": rel, "custom": self.custom,
            "nameField": self.name == "Name", "calculated": False, "autoNumber": False,
            "compoundFieldName": "Name" if self.name in ("FirstName", "LastName") and obj in ("Lead", "Contact") else None,
            "soapType": _SOAP.get(self.type, "xsd:string"), "filterable": self.type != "textarea",
            "sortable": self.type != "textarea", "groupable": self.type not in ("textarea", "double", "currency"),
        }


def label_of(name: str) -> str:
    """Salesforce-style label from an API name: LastName → Last Name, AccountId → Account ID."""
    text = re.sub(r"(?<!^)(?=[A-Z][a-z])", " ", name.removesuffix("__c").replace("_", " ")).replace("  ", " ")
    return re.sub(r" Id$", " ID", text)


def S(name: str, length: int = 255, **kw: Any) -> Field:
    return Field(name, "string", length, **kw)


def _pick(values: list[str], default: str | None = None) -> tuple[tuple[str, str, bool], ...]:
    return tuple((v, v, v == default) for v in values)


RO = {"createable": False, "updateable": False}


def _system() -> list[Field]:
    return [Field("Id", "id", 18, nillable=False, **RO), Field("IsDeleted", "boolean", nillable=False, **RO),
            Field("CreatedDate", "datetime", nillable=False, **RO), Field("LastModifiedDate", "datetime", nillable=False, **RO),
            Field("SystemModstamp", "datetime", nillable=False, **RO),
            Field("CreatedById", "reference", 18, reference_to=("User",), **RO),
            Field("LastModifiedById", "reference", 18, reference_to=("User",), **RO)]


def _address(prefix: str) -> list[Field]:
    cc = tuple((c, lab, False) for c, lab in countries().items())
    return [Field(f"{prefix}Street", "textarea", 255), S(f"{prefix}City", 40), S(f"{prefix}State", 80),
            Field(f"{prefix}StateCode", "picklist", 255, restricted=True, controller=f"{prefix}CountryCode"),
            S(f"{prefix}PostalCode", 20), S(f"{prefix}Country", 80),
            Field(f"{prefix}CountryCode", "picklist", 255, values=cc, restricted=True)]


def _ref(name: str, *to: str, **kw: Any) -> Field:
    return Field(name, "reference", 18, reference_to=to, **kw)


def _owner() -> Field:
    return Field("OwnerId", "reference", 18, nillable=False, defaulted=True, reference_to=("User", "Group"))


def _merged(obj: str) -> Field:
    return _ref("MasterRecordId", obj, **RO)


def _objects(config: SandboxConfig) -> dict[str, list[Field]]:
    stages = [s.name for s in config.opportunity_stages]
    default_status = next((s.label for s in config.campaign_member_statuses if s.default), None)
    person = [S("FirstName", 40), S("LastName", 80, nillable=False), S("Name", 121, nillable=False, defaulted=True, **RO),
              Field("Email", "email", 80), Field("Phone", "phone", 40), Field("MobilePhone", "phone", 40), S("Title", 128)]
    common = [Field("LeadSource", "picklist", 255, values=_pick(LEAD_SOURCE)), _owner(),
              Field("HasOptedOutOfEmail", "boolean", nillable=False, defaulted=True),
              Field("Description", "textarea", 32000)]
    return {
        "Lead": [*person, S("Company", 255, nillable=False), Field("Website", "url", 255), *_address(""),
                 Field("Status", "picklist", 255, nillable=False, defaulted=True,
                       values=_pick(LEAD_STATUS, LEAD_STATUS[0]), restricted=True),
                 Field("Rating", "picklist", 255, values=_pick(["Hot", "Warm", "Cold"])), S("Industry", 40),
                 Field("AnnualRevenue", "currency"), Field("NumberOfEmployees", "int"), *common,
                 Field("IsConverted", "boolean", nillable=False, defaulted=True, **RO),
                 _ref("ConvertedContactId", "Contact", **RO), _ref("ConvertedAccountId", "Account", **RO),
                 _ref("ConvertedOpportunityId", "Opportunity", **RO), Field("ConvertedDate", "date", **RO),
                 _merged("Lead")],
        "Contact": [*person, S("Department", 80), *_address("Mailing"), _ref("AccountId", "Account"), *common,
                    _merged("Contact")],
        "Account": [S("Name", 255, nillable=False), Field("Website", "url", 255), S("Industry", 40),
                    Field("Type", "picklist", 255, values=_pick(["Prospect", "Customer - Direct", "Customer - Channel",
                                                                 "Partner", "Other"])),
                    Field("AnnualRevenue", "currency"), Field("NumberOfEmployees", "int"), Field("Phone", "phone", 40),
                    *_address("Billing"), Field("Description", "textarea", 32000), _ref("ParentId", "Account"),
                    _owner(), _merged("Account")],
        "Opportunity": [S("Name", 120, nillable=False),
                        Field("StageName", "picklist", 255, nillable=False, values=_pick(stages), restricted=True),
                        Field("Amount", "currency"), Field("CloseDate", "date", nillable=False),
                        Field("Probability", "percent", defaulted=True),
                        Field("ForecastCategoryName", "picklist", 255, defaulted=True, values=_pick(
                            ["Omitted", "Pipeline", "Best Case", "Commit", "Closed"])),
                        Field("Type", "picklist", 255, values=_pick(["Existing Business", "New Business"])),
                        Field("LeadSource", "picklist", 255, values=_pick(LEAD_SOURCE)), S("NextStep", 255),
                        Field("Description", "textarea", 32000), _ref("AccountId", "Account"),
                        _ref("CampaignId", "Campaign"), Field("IsWon", "boolean", nillable=False, defaulted=True, **RO),
                        Field("IsClosed", "boolean", nillable=False, defaulted=True, **RO), _owner()],
        "Campaign": [S("Name", 80, nillable=False), Field("Type", "picklist", 255, values=_pick(
                         ["Conference", "Webinar", "Trade Show", "Email", "Advertisement", "Other"])),
                     Field("Status", "picklist", 255, values=_pick(["Planned", "In Progress", "Completed", "Aborted"])),
                     Field("StartDate", "date"), Field("EndDate", "date"), Field("BudgetedCost", "currency"),
                     Field("ActualCost", "currency"), Field("IsActive", "boolean", defaulted=True),
                     Field("Description", "textarea", 32000), _owner()],
        "CampaignMember": [_ref("CampaignId", "Campaign", nillable=False, updateable=False),
                           _ref("LeadId", "Lead", updateable=False), _ref("ContactId", "Contact", updateable=False),
                           S("Status", 40, defaulted=default_status is not None),
                           Field("HasResponded", "boolean", nillable=False, defaulted=True, **RO),
                           Field("FirstRespondedDate", "date", **RO)],
        "User": [S("Name", 121, **RO), S("FirstName", 40), S("LastName", 80), Field("Email", "email", 128),
                 S("Username", 80), Field("IsActive", "boolean", defaulted=True)],
        "LeadStatus": [S("MasterLabel", 255, **RO), S("ApiName", 255, **RO), Field("IsConverted", "boolean", **RO),
                       Field("IsDefault", "boolean", **RO), Field("SortOrder", "int", **RO)],
        "OpportunityStage": [S("MasterLabel", 255, **RO), S("ApiName", 255, **RO), Field("IsActive", "boolean", **RO),
                             Field("IsClosed", "boolean", **RO), Field("IsWon", "boolean", **RO),
                             Field("DefaultProbability", "percent", **RO), S("ForecastCategoryName", 40, **RO),
                             Field("SortOrder", "int", **RO)],
        "AssignmentRule": [S("Name", 120, **RO), S("SobjectType", 40, **RO), Field("Active", "boolean", **RO)],
    }


def _custom(cf: Any) -> Field:
    values = tuple((v, v, False) if isinstance(v, str) else (v.value, v.label or v.value, v.default) for v in cf.values)
    return Field(cf.name, cf.type, cf.length if cf.type not in ("reference",) else 18, nillable=not cf.required,
                 values=values, restricted=cf.restricted, reference_to=tuple(cf.reference_to),
                 external_id=cf.external_id, unique=cf.unique, custom=True, label=cf.label)


class Schema:
    """All objects with their fields (standard + custom from the config); names resolve case-insensitively."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self.objects: dict[str, dict[str, Field]] = {}
        for name, fields in _objects(config).items():
            self.objects[name] = {f.name: f for f in (*_system(), *fields)}
        for cf in config.custom_fields:
            self.objects.setdefault(cf.object, {f.name: f for f in _system()})[cf.name] = _custom(cf)
        self._obj_ci = {o.lower(): o for o in self.objects}
        self._field_ci = {o: {f.lower(): f for f in fs} for o, fs in self.objects.items()}
        self._describe: dict[str, dict[str, Any]] = {}
        self.reference_fields = {o: [f for f in fs.values() if f.type == "reference"] for o, fs in self.objects.items()}
        # per object, what every write looks at: required fields, fields whose values are checked, unique ones
        self.required = {o: [f.name for f in fs.values() if f.required] for o, fs in self.objects.items()}
        self.checked = {o: {n: f for n, f in fs.items() if (f.createable or f.updateable) and (
            f.type in ("string", "textarea", "email", "phone", "url") or f.restricted)} for o, fs in self.objects.items()}
        self.unique = {o: [f.name for f in fs.values() if f.unique] for o, fs in self.objects.items()}
        self.defaults = {o: {f.name: (False if f.type == "boolean" else next((v for v, _, d in f.values if d), None))
                             for f in fs.values()} for o, fs in self.objects.items()}

    def fields(self, obj: str) -> dict[str, Field]:
        return self.objects[obj]

    def resolve(self, obj: str) -> str | None:
        """The object's API name for any spelling (`lead` → `Lead`), or None."""
        return self._obj_ci.get(obj.lower())

    def field_name(self, obj: str, name: str) -> str | None:
        return self._field_ci[obj].get(name.lower())

    # -- describe ------------------------------------------------------------------------------

    def _visible(self, obj: str) -> bool:
        p = self.config.permission(obj)
        return p is None or p.access != "none"

    def visible_objects(self) -> list[str]:
        return [o for o in self.objects if self._visible(o)]

    def sobject_entry(self, obj: str, version: str) -> dict[str, Any]:
        p = self.config.permission(obj)
        writable = obj not in SETUP_OBJECTS and (p is None or p.access == "all")
        base = f"/services/data/v{version}/sobjects/{obj}"
        return {"name": obj, "label": label_of(obj), "labelPlural": label_of(obj) + "s", "keyPrefix": KEY_PREFIX.get(obj),
                "createable": writable, "updateable": writable, "deletable": writable, "queryable": True,
                "retrieveable": True, "searchable": obj not in SETUP_OBJECTS, "mergeable": obj in MERGEABLE,
                "custom": obj.endswith("__c"), "layoutable": obj not in SETUP_OBJECTS,
                "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}}

    def sobjects(self, version: str) -> dict[str, Any]:
        return {"encoding": "UTF-8", "maxBatchSize": 200,
                "sobjects": [self.sobject_entry(o, version) for o in self.visible_objects()]}

    def _base_describe(self, obj: str) -> dict[str, Any]:
        if obj not in self._describe:
            children = [{"cascadeDelete": False, "childSObject": o, "field": f.name, "deprecatedAndHidden": False,
                         "relationshipName": _CHILD_NAMES.get((o, f.name))}
                        for o, refs in self.reference_fields.items() for f in refs
                        if obj in f.reference_to and f.name not in ("CreatedById", "LastModifiedById")]
            self._describe[obj] = {"fields": [f.describe(obj) for f in self.objects[obj].values()],
                                   "childRelationships": children}
        return self._describe[obj]

    def describe(self, obj: str, version: str) -> dict[str, Any]:
        """describe as the API user sees it: hidden fields absent, read-only ones not createable/updateable."""
        p = self.config.permission(obj)
        entry = self.sobject_entry(obj, version)
        base = self._base_describe(obj)
        fields = base["fields"]
        if p is not None:
            hidden, ro, obj_ro = set(p.hidden_fields), set(p.read_only_fields), p.access == "read"
            fields = [f if not (obj_ro or f["name"] in ro) else {**f, "createable": False, "updateable": False}
                      for f in fields if f["name"] not in hidden]
        master = {"active": True, "available": True, "defaultRecordTypeMapping": True, "developerName": "Master",
                  "master": True, "name": "Master", "recordTypeId": "012000000000000AAA",
                  "urls": {"layout": f"/services/data/v{version}/sobjects/{obj}/describe/layouts/012000000000000AAA"}}
        return {**entry, "fields": fields, "childRelationships": base["childRelationships"],
                "recordTypeInfos": [master] if obj not in SETUP_OBJECTS else [], "triggerable": obj not in SETUP_OBJECTS,
                "undeletable": obj not in SETUP_OBJECTS, "feedEnabled": False, "activateable": False}

    def with_label(self, obj: str, name: str) -> str:
        f = self.objects[obj].get(name)
        return (f.label if f and f.label else None) or _LABELS.get((obj, name)) or label_of(name)
