"""The pure model: field types, objects, changes, policies, the filter language.

No I/O and no framework imports here; everything else depends on this package.
"""

from leadbridge.model.changes import Change, ItemResult, Outcome, Source, SourceKind, WriteResult
from leadbridge.model.fields import FieldDef
from leadbridge.model.objects import STANDARD_OBJECTS, ObjectDef
from leadbridge.model.policies import Decision, FieldPolicy, FieldRule, decide
from leadbridge.model.types import FieldType, coerce, is_blank

__all__ = [
    "Change", "ItemResult", "Outcome", "Source", "SourceKind", "WriteResult", "FieldDef",
    "STANDARD_OBJECTS", "ObjectDef", "Decision", "FieldPolicy", "FieldRule", "decide",
    "FieldType", "coerce", "is_blank",
]
