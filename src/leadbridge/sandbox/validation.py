"""Salesforce's checks on a record write, with its error codes, messages and fields.

Order, as Salesforce applies them: the body is deserialised (a value of the wrong type is a
JSON_PARSER_ERROR for the whole request), fields are checked for existence and write access,
then the record after the write is validated (required, lengths, formats, picklists, the
State and Country picklists, validation rules).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from leadbridge.sandbox import ids
from leadbridge.sandbox.config import SandboxConfig
from leadbridge.sandbox.metadata import Field, Schema
from leadbridge.sandbox.picklists import countries, country_code_for, state_code_for, states

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
ADDRESS_PREFIX = {"Lead": [""], "Contact": ["Mailing"], "Account": ["Billing"]}
COUNTRY_MSG = ("There's a problem with this country, even though it may appear correct. Please select a "
               "country/territory from the list of valid countries.")
STATE_MSG = ("There's a problem with this state, even though it may appear correct. Please select a state from the "
             "list of valid states.")


class RecordError(Exception):
    """One Salesforce error: code, message, fields (and the HTTP status of a single-record call)."""

    def __init__(self, code: str, message: str, fields: list[str] | None = None, status: int = 400,
                 extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.code, self.message, self.fields, self.status = code, message, list(fields or []), status
        self.extra = extra or {}

    def as_single(self) -> dict[str, Any]:
        return {"message": self.message, "errorCode": self.code, "fields": self.fields, **self.extra}

    def as_collection(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": self.fields, **self.extra}


class ParseError(RecordError):
    """The body cannot be deserialised: Salesforce fails the whole request, not one record."""

    def __init__(self, message: str):
        super().__init__("JSON_PARSER_ERROR", message)


def sf_datetime(d: datetime) -> str:
    return d.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def parse_datetime(text: str) -> datetime:
    """ISO 8601 with Z, +hh:mm or +hhmm (a naive value is UTC); ValueError when it is not one."""
    t = text.strip().replace("Z", "+00:00")
    t = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", t)
    d = datetime.fromisoformat(t)
    return (d if d.tzinfo else d.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def coerce(f: Field, value: Any, source: str = "json") -> Any:
    """A client value as Salesforce stores it, or ParseError (JSON/SOAP) / RecordError (CSV) when it is not of the type.

    Salesforce's deserialiser accepts numbers and booleans given as strings ("10", "true") and
    numbers for text fields, and refuses anything else of the wrong type.
    """
    if value is None:
        return None

    def bad(kind: str) -> RecordError:
        if source == "csv":
            return RecordError("INVALID_TYPE_ON_FIELD_IN_RECORD", f"{f.name}: value not of required type: {value}",
                               [f.name])
        return ParseError(f"Cannot deserialize instance of {kind} from VALUE_STRING value {value} or request may be "
                          "missing a required field")
    t = f.type
    if isinstance(value, (list, dict)):
        raise ParseError(f"Cannot deserialize instance of {t} from {'START_ARRAY' if isinstance(value, list) else 'START_OBJECT'} "
                         f"value or request may be missing a required field ({f.name})")
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad("boolean")
    if t in ("int", "double", "currency", "percent"):
        if isinstance(value, bool):
            raise bad(t)
        if isinstance(value, str):
            if not _NUMBER.match(value):
                raise bad("int" if t == "int" else "double")
            value = float(value) if "." in value else int(value)
        if t == "int":
            if isinstance(value, float) and not value.is_integer():
                raise bad("int")
            return int(value)
        return value
    if t == "date":
        m = re.match(r"^(\d{4}-\d{2}-\d{2})(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$", str(value).strip())
        try:
            return date.fromisoformat(m.group(1)).isoformat() if m else date.fromisoformat("bad")
        except ValueError:
            raise bad("date") from None
    if t == "datetime":  # ISO 8601 with a "T": Salesforce refuses "2017-10-17 00:00:00"
        if not _DATETIME.match(str(value).strip()):
            raise bad("datetime")
        try:
            return sf_datetime(parse_datetime(str(value)))
        except ValueError:
            raise bad("datetime") from None
    if t in ("reference", "id"):
        if not ids.looks_like_id(value):
            raise RecordError("MALFORMED_ID", f"{f.label or f.name}: id value of incorrect type: {value}", [f.name])
        return ids.canonical(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def check_fields(schema: Schema, config: SandboxConfig, obj: str, values: dict[str, Any], *, creating: bool,
                 source: str = "json") -> dict[str, Any]:
    """Known, visible, writable fields with their values coerced; field names in their API spelling."""
    p = config.permission(obj)
    hidden = set(p.hidden_fields) if p else set()
    read_only = set(p.read_only_fields) if p else set()
    out: dict[str, Any] = {}
    for name, value in values.items():
        api = schema.field_name(obj, name)
        if api is None or api in hidden:
            raise RecordError("INVALID_FIELD", f"No such column '{name}' on sobject of type {obj}", [name])
        f = schema.fields(obj)[api]
        if (creating and not f.createable) or (not creating and not f.updateable) or api in read_only:
            raise RecordError("INVALID_FIELD_FOR_INSERT_UPDATE",
                              f"Unable to create/update fields: {api}. Please check the security settings of this field "
                              "and verify that it is read/write for your profile or permission set.", [api])
        out[api] = coerce(f, value, source)
    return out


def validate(schema: Schema, config: SandboxConfig, obj: str, rec: dict[str, Any], *, creating: bool,
             changed: dict[str, Any] | None = None) -> None:
    """Check a record after the write is applied (values: all of them, or the `changed` ones of an update)."""
    missing = [name for name in schema.required[obj] if rec.get(name) in (None, "")]
    if missing:
        raise RecordError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
    checked = schema.checked[obj]
    for name in (rec if changed is None else changed):
        f = checked.get(name)
        value = rec.get(name)
        if f is not None and value is not None:
            _check_value(schema, obj, f, value)
    for prefix in ADDRESS_PREFIX.get(obj, []):
        _check_address(rec, prefix, creating)
    for rule in config.validation_rules:
        if rule.object == obj:
            value = rec.get(rule.field)
            bad = (rule.required and value in (None, "")) or \
                  (rule.pattern and value not in (None, "") and not re.fullmatch(rule.pattern, str(value)))
            if bad:
                raise RecordError("FIELD_CUSTOM_VALIDATION_EXCEPTION", rule.message, [rule.field])


def _check_value(schema: Schema, obj: str, f: Field, value: Any) -> None:
    if f.type in ("string", "textarea", "email", "phone", "url") and isinstance(value, str) and len(value) > f.length:
        raise RecordError("STRING_TOO_LONG", f"{schema.with_label(obj, f.name)}: data value too large: {value[:255]} "
                          f"(max length={f.length})", [f.name])
    if f.type == "email" and value != "" and not _EMAIL.match(str(value)):
        raise RecordError("INVALID_EMAIL_ADDRESS", f"{schema.with_label(obj, f.name)}: invalid email address: {value}",
                          [f.name])
    if f.restricted and not f.controller and f.type in ("picklist", "multipicklist") and value != "" \
            and not f.name.endswith("CountryCode"):
        allowed = f.value_set()
        chosen = str(value).split(";") if f.type == "multipicklist" else [value]
        for v in chosen:
            if v not in allowed:
                raise RecordError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                  f"{schema.with_label(obj, f.name)}: bad value for restricted picklist field: {v}",
                                  [f.name])


def _check_address(rec: dict[str, Any], p: str, creating: bool) -> None:
    """The State and Country picklists: names and codes must be valid and agree; codes fill names.

    From Salesforce's help on field syncing: a code and a name that disagree are an error on
    update, while on create the name is overwritten from the code; a state that is not a state
    of the country, or a state with no country, saves nothing and reports an error.
    """
    country, code = rec.get(f"{p}Country"), rec.get(f"{p}CountryCode")
    if code not in (None, "") and code not in countries():
        raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{COUNTRY_MSG}: Country Code", [f"{p}CountryCode"])
    if country not in (None, ""):
        by_name = country_code_for(country)
        if by_name is None:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{COUNTRY_MSG}: Country", [f"{p}Country"])
        if code in (None, ""):
            code = by_name
        elif by_name != code and not creating:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{COUNTRY_MSG}: Country", [f"{p}Country"])
    if code:
        rec[f"{p}CountryCode"], rec[f"{p}Country"] = code, countries()[code]
    else:
        rec[f"{p}CountryCode"] = None
    state, scode = rec.get(f"{p}State"), rec.get(f"{p}StateCode")
    if state in (None, "") and scode in (None, ""):
        return
    if not code:
        raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{STATE_MSG}: State/Province", [f"{p}State"])
    table = states().get(code)
    if table is None:
        if scode not in (None, ""):
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{STATE_MSG}: State Code", [f"{p}StateCode"])
        return  # a country without states keeps its State text as entered
    if scode not in (None, ""):
        if scode not in table:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{STATE_MSG}: State Code", [f"{p}StateCode"])
        if state not in (None, "") and state_code_for(code, state) != scode and not creating:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{STATE_MSG}: State/Province", [f"{p}State"])
        found = scode
    else:
        found = state_code_for(code, state)
        if found is None:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", f"{STATE_MSG}: State/Province", [f"{p}State"])
    rec[f"{p}StateCode"], rec[f"{p}State"] = found, table[found]
