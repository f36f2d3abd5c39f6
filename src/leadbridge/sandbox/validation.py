"""Salesforce's checks on a record write, with its error codes, messages and fields."""

from __future__ import annotations

import re
from typing import Any

from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.metadata import Field, Schema
from leadbridge.sandbox.picklists import countries, country_code_for, state_code_for, states

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
ADDRESS_PREFIX = {"Lead": [""], "Contact": ["Mailing"], "Account": ["Billing"]}


class RecordError(Exception):
    """One Salesforce error: code, message, fields (and the HTTP status of a single-record call)."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.fields, self.status = code, message, list(fields or []), status

    def as_single(self) -> dict[str, Any]:
        return {"message": self.message, "errorCode": self.code, "fields": self.fields}

    def as_collection(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


def check_fields(schema: Schema, obj: str, values: dict[str, Any], *, creating: bool) -> None:
    """Unknown or read-only fields (INVALID_FIELD_FOR_INSERT_UPDATE / INVALID_FIELD)."""
    fields = schema.fields(obj)
    for name in values:
        f = fields.get(name)
        if f is None:
            raise RecordError("INVALID_FIELD", f"No such column '{name}' on sobject of type {obj}", [name])
        if (creating and not f.createable) or (not creating and not f.updateable):
            raise RecordError("INVALID_FIELD_FOR_INSERT_UPDATE",
                              f"Unable to create/update fields: {name}. Please check the security settings of this field "
                              "and verify that it is read/write for your profile or permission set.", [name])


def validate(schema: Schema, config: SandboxConfig, obj: str, rec: dict[str, Any]) -> None:
    """Check a full record after the write is applied; raises the first RecordError."""
    fields = schema.fields(obj)
    missing = [f.name for f in fields.values() if not f.nillable and f.createable and not f.defaulted
               and f.type != "boolean" and rec.get(f.name) in (None, "")]
    if missing:
        raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
    for name, value in rec.items():
        f = fields.get(name)
        if f is None or value is None or not f.createable and not f.updateable:
            continue
        _check_value(f, value)
    for prefix in ADDRESS_PREFIX.get(obj, []):
        _check_address(rec, prefix)
    for rule in config.validation_rules:
        if rule.object == obj:
            value = rec.get(rule.field)
            bad = (rule.required and value in (None, "")) or \
                  (rule.pattern and value not in (None, "") and not re.fullmatch(rule.pattern, str(value)))
            if bad:
                raise RecordError("FIELD_CUSTOM_VALIDATION_EXCEPTION", rule.message, [rule.field])


def _check_value(f: Field, value: Any) -> None:
    if f.type in ("string", "textarea", "email", "phone", "url") and isinstance(value, str) and len(value) > f.length:
        raise RecordError("STRING_TOO_LONG", f"{f.name}: data value too large: {value[:40]} (max length={f.length})",
                          [f.name])
    if f.type == "email" and value != "" and not _EMAIL.match(str(value)):
        raise RecordError("INVALID_EMAIL_ADDRESS", f"{f.name}: invalid email address: {value}", [f.name])
    if f.type == "picklist" and f.restricted and value not in {v for v, _ in f.values} \
            and not f.name.endswith(("CountryCode", "StateCode")):
        raise RecordError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", f"bad value for restricted picklist field: {value}",
                          [f.name])
    if f.type in ("int", "double", "currency") and not isinstance(value, (int, float)):
        raise RecordError("JSON_PARSER_ERROR" if not isinstance(value, str) else "INVALID_TYPE_ON_FIELD_IN_RECORD",
                          f"{f.name}: value not of required type: {value}", [f.name])


def _check_address(rec: dict[str, Any], p: str) -> None:
    """The State and Country picklists: names and codes must be valid and agree; codes fill names."""
    country, code = rec.get(f"{p}Country"), rec.get(f"{p}CountryCode")
    if code is not None and code not in countries():
        raise RecordError("FIELD_INTEGRITY_EXCEPTION", "There's a problem with this country, even though it may appear "
                          "correct. Please select a country/territory from the list of valid countries.",
                          [f"{p}CountryCode"])
    if country not in (None, ""):
        by_name = country_code_for(country)
        if by_name is None:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", "There's a problem with this country, even though it may "
                              "appear correct. Please select a country/territory from the list of valid countries.",
                              [f"{p}Country"])
        if code is None:
            code = by_name
    if code:
        rec[f"{p}CountryCode"], rec[f"{p}Country"] = code, countries()[code]
    state, scode = rec.get(f"{p}State"), rec.get(f"{p}StateCode")
    table = states().get(code or "", None)
    if table is None:
        if scode:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", "There's a problem with this state, even though it may appear "
                              "correct. Please select a state from the list of valid states.", [f"{p}StateCode"])
        return
    if state not in (None, "") or scode:
        found = scode if scode in table else state_code_for(code, state) if state else None
        if found is None:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", "There's a problem with this state, even though it may appear "
                              "correct. Please select a state from the list of valid states.", [f"{p}State"])
        rec[f"{p}StateCode"], rec[f"{p}State"] = found, table[found]
