"""Field definitions: what a field is called, its type, and how it may be written."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from leadbridge.errors import FieldError
from leadbridge.model.types import FieldType, coerce

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Columns every object table has; never user-writable.
SYSTEM_COLUMNS = ("id", "created_at", "updated_at", "field_times")


@dataclass(frozen=True)
class FieldDef:
    """One field of an object (a real column in the store)."""

    name: str
    type: FieldType
    label: str = ""
    length: int | None = None
    values: tuple[str, ...] = ()
    custom: bool = False
    indexed: bool = False
    writable: bool = True
    references: str | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        # plain text needs only a strip; picklists with declared values must be checked against them
        fast = self.type.is_text and self.type is not FieldType.MULTIPICKLIST and not self.values
        object.__setattr__(self, "fast_text", fast)
        object.__setattr__(self, "fast_int", self.type in (FieldType.INTEGER, FieldType.REFERENCE))

    @property
    def display_label(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def coerce(self, value: Any) -> Any:
        """Coerce `value` to this field's type (CoercionError names field, value and type)."""
        if type(value) is str and self.fast_text and "\x00" not in value:
            return value.strip() or None  # the common case, without the general machinery
        if type(value) is int and self.fast_int:
            return value  # an id (a membership's campaign and person) as it comes
        return coerce(self.name, self.type, value, values=self.values)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type.value, "label": self.display_label,
            "length": self.length, "values": list(self.values), "custom": self.custom,
            "indexed": self.indexed, "references": self.references,
        }


def check_custom_name(name: str, existing: set[str]) -> None:
    """Raise FieldError unless `name` is a valid, unused custom field name."""
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise FieldError(
            f"invalid field name {name!r}",
            hint="use lowercase letters, digits and underscores, starting with a letter (max 63)",
        )
    if name in existing or name in SYSTEM_COLUMNS:
        raise FieldError(f"field {name!r} already exists", hint="`leadbridge fields list` shows the fields")


def make_custom_field(name: str, type_name: str, *, label: str = "", values: list[str] | None = None,
                      length: int | None = None, indexed: bool = True) -> FieldDef:
    """Build a custom FieldDef from user input, with clear errors."""
    try:
        type_ = FieldType(type_name)
    except ValueError:
        choices = ", ".join(t.value for t in FieldType if t is not FieldType.REFERENCE)
        raise FieldError(f"unknown field type {type_name!r}", hint=f"choose one of: {choices}") from None
    vals = tuple(v.strip() for v in (values or []) if v.strip())
    if type_ in (FieldType.PICKLIST, FieldType.MULTIPICKLIST) and not vals:
        raise FieldError(f"a {type_.value} field needs --values", hint="e.g. --values a,b,c")
    if vals and type_ not in (FieldType.PICKLIST, FieldType.MULTIPICKLIST):
        raise FieldError(f"--values only applies to picklist fields, not {type_.value}")
    return FieldDef(name=name, type=type_, label=label, values=vals, length=length, custom=True, indexed=indexed)
