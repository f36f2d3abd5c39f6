"""Field types and value coercion: every stored value passes through `coerce`."""

from __future__ import annotations

import enum
import math
import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from leadbridge.errors import CoercionError


class FieldType(str, enum.Enum):
    STRING = "string"
    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    PICKLIST = "picklist"
    MULTIPICKLIST = "multipicklist"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    CURRENCY = "currency"
    DATE = "date"
    DATETIME = "datetime"
    REFERENCE = "reference"

    @property
    def is_text(self) -> bool:
        return self._value_ in _TEXTUAL_NAMES


_TEXTUAL = {FieldType.STRING, FieldType.TEXT, FieldType.EMAIL, FieldType.PHONE, FieldType.URL,
            FieldType.PICKLIST, FieldType.MULTIPICKLIST}
_TEXTUAL_NAMES = frozenset(t.value for t in _TEXTUAL)
_TRUE = {"true", "t", "yes", "y", "1", "on", "x", "是", "真"}
_FALSE = {"false", "f", "no", "n", "0", "off", "", "否", "假"}
_NUMBER_JUNK = re.compile(r"[,\s_$€£¥]")


def is_blank(value: Any) -> bool:
    """True for None, empty or whitespace-only strings and empty lists."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, set)):
        return len(value) == 0
    return False


def coerce(field: str, type_: FieldType, value: Any, *, values: tuple[str, ...] = ()) -> Any:
    """Return `value` as the Python value stored for a field of `type_`.

    Blank becomes None. Raises CoercionError naming the field, value and type.
    """
    if is_blank(value):
        return None
    try:
        return _COERCERS[type_](value, values)
    except CoercionError:
        raise
    except InvalidOperation:
        raise CoercionError(field, value, type_.value, "not a number") from None
    except (ValueError, TypeError, InvalidOperation, OverflowError) as exc:
        raise CoercionError(field, value, type_.value, str(exc) if str(exc) else "") from None


def _text(value: Any, _values: tuple[str, ...]) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    return text.strip()


def _picklist(value: Any, values: tuple[str, ...]) -> str:
    text = _text(value, values)
    return _allowed(text, values) if values else text


def _multipicklist(value: Any, values: tuple[str, ...]) -> str:
    items = value if isinstance(value, (list, tuple, set)) else str(value).split(";")
    cleaned = [str(i).strip() for i in items if str(i).strip()]
    if values:
        cleaned = [_allowed(i, values) for i in cleaned]
    return ";".join(dict.fromkeys(cleaned))


def _allowed(text: str, values: tuple[str, ...]) -> str:
    """The declared picklist value `text` stands for (case and spacing aside), or an error listing them."""
    key = " ".join(text.split()).casefold()
    for v in values:
        if v.casefold() == key:
            return v
    shown = ", ".join(values[:12]) + (", …" if len(values) > 12 else "")
    raise ValueError(f"not one of the picklist values ({shown})")


def _boolean(value: Any, _values: tuple[str, ...]) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected true/false, yes/no or 1/0")


def _integer(value: Any, _values: tuple[str, ...]) -> int:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("has a fractional part")
        return int(value)
    number = Decimal(_NUMBER_JUNK.sub("", str(value)))
    if number != number.to_integral_value():
        raise ValueError("has a fractional part")
    return int(number)


def _number(value: Any, _values: tuple[str, ...]) -> float:
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, (int, float)):
        result = float(value)
    else:
        result = float(Decimal(_NUMBER_JUNK.sub("", str(value))))
    if math.isnan(result) or math.isinf(result):
        raise ValueError("not a finite number")
    return result


def _date(value: Any, _values: tuple[str, ...]) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def _datetime(value: Any, _values: tuple[str, ...]) -> datetime:
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        # Salesforce writes +0000; fromisoformat wants +00:00.
        text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
        result = datetime.fromisoformat(text)
    if result.tzinfo is None:
        result = result.replace(tzinfo=timezone.utc)
    return result.astimezone(timezone.utc)


_COERCERS = {
    FieldType.STRING: _text, FieldType.TEXT: _text, FieldType.EMAIL: _text,
    FieldType.PHONE: _text, FieldType.URL: _text, FieldType.PICKLIST: _picklist,
    FieldType.MULTIPICKLIST: _multipicklist, FieldType.BOOLEAN: _boolean,
    FieldType.INTEGER: _integer, FieldType.NUMBER: _number, FieldType.CURRENCY: _number,
    FieldType.DATE: _date, FieldType.DATETIME: _datetime, FieldType.REFERENCE: _integer,
}


def to_text(value: Any) -> str | None:
    """Render a stored value as text (history, CSV export, display)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
