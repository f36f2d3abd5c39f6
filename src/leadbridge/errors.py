"""Every failure leadbridge raises, in one tree.

    LeadbridgeError                 base; `hint` says what to do next
    ├── ConfigError                 leadbridge.yaml or environment is wrong
    ├── WorkspaceError              no workspace here / not initialised
    ├── StoreError                  database unreachable or schema out of date
    ├── FieldError                  unknown field, bad field definition
    │   └── CoercionError           a value cannot become the field's type
    ├── FilterError                 a --where expression does not parse
    ├── RecordNotFound              no person/record with that id
    ├── ValidationFailed            a standard rejected a change
    ├── PolicyViolation             a field policy refused a change
    ├── ImportFileError             a list file cannot be read
    ├── MappingError                column/field or CRM mapping is wrong
    ├── DedupeError                 merge/undo cannot be done
    ├── RoutingError                territories/rules are inconsistent
    ├── SandboxError                the sandbox CRM cannot start or serve
    └── CrmError                    anything the CRM said
        ├── CrmTransientError       retry later (Transient marker)
        ├── CrmDataError            the record's data is refused; fix and resync
        └── CrmConfigError          mapping/permissions/credentials; sync pauses

`Transient` is a marker mixed into errors a worker may retry.
"""

from __future__ import annotations


class Transient:
    """Marker: the operation may succeed if retried later."""


class LeadbridgeError(Exception):
    """Base of every leadbridge error; `hint` is the next step for the user."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(LeadbridgeError):
    pass


class WorkspaceError(LeadbridgeError):
    pass


class StoreError(LeadbridgeError):
    pass


class FieldError(LeadbridgeError):
    pass


class CoercionError(FieldError):
    """A value cannot be coerced to its field's type."""

    def __init__(self, field: str, value: object, type_name: str, reason: str = ""):
        self.field, self.value, self.type_name = field, value, type_name
        detail = f": {reason}" if reason else ""
        super().__init__(
            f"field '{field}': {value!r} is not a valid {type_name}{detail}",
            hint=f"fix the value or change the type of '{field}'",
        )


class FilterError(LeadbridgeError):
    pass


class RecordNotFound(LeadbridgeError):
    pass


class ValidationFailed(LeadbridgeError):
    pass


class PolicyViolation(LeadbridgeError):
    pass


class ImportFileError(LeadbridgeError):
    pass


class MappingError(LeadbridgeError):
    pass


class DedupeError(LeadbridgeError):
    pass


class RoutingError(LeadbridgeError):
    pass


class SandboxError(LeadbridgeError):
    pass


class CrmError(LeadbridgeError):
    """An error reported by (or reaching) the CRM."""

    def __init__(self, message: str, *, code: str | None = None, fields: list[str] | None = None,
                 status: int | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.code, self.fields, self.status = code, list(fields or []), status


class CrmTransientError(CrmError, Transient):
    pass


class CrmDataError(CrmError):
    pass


class CrmConfigError(CrmError):
    pass
