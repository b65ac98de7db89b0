"""Request and response bodies of the HTTP API, one module per resource; this package holds
the field types and the strict base they share.

Requests are strict (no booleans for integers, no strings for numbers, no unknown fields,
timestamps with a zone) and bounded to what the columns hold, so that whatever the schema
accepts the database can store. What JSON Schema cannot say (a GTIN's check digit, that a
sku exists) the domain checks, naming the field the same way.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
)

from ...domain.movements import MAX_QUANTITY

MAX_INT32 = 2**31 - 1


def integral(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer: take it as 5 (never a boolean, never "5")."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Integers are `Annotated[StrictInt, Field(<bounds>), BeforeValidator(integral)]`: strict
# (booleans and strings refused), integral floats taken. The bounds go before the validator,
# or the schema shows pydantic's `gt`/`le` instead of JSON Schema's `exclusiveMinimum`/`maximum`.


def _timestamp_text(value: Any) -> Any:
    """An ISO 8601 date and time only: pydantic would take a number as an epoch, and a date
    alone is not an instant."""
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        raise ValueError("expected an ISO 8601 date and time with a zone, as a string, "
                         "e.g. 2026-11-01T09:00:00Z")
    return value


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_text)]  # format: date-time


def _utf8(value: str) -> str:
    value.encode("utf-8")  # lone surrogates cannot be stored; UnicodeEncodeError is a ValueError
    return value


# Whitespace spelled out: `\s` means other characters in JSON Schema's (ECMA) regexes than in
# pydantic's and Python's, and the schema must refuse exactly what the server refuses. This is
# the union of the three (ECMA adds U+FEFF; Python and Unicode add U+001C-U+001F, U+0085).
_SPACE = (r"\x09-\x0d\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
          r"\ufeff")

# An identifier: no whitespace, '/' or control characters (domain/catalog.py `_code`).
CODE_PATTERN = rf"^[^{_SPACE}/\x00-\x1f\x7f]+$"
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=CODE_PATTERN),
                 AfterValidator(_utf8)]


_NO_NUL = r"^[^\x00]*$"
_NOT_BLANK = rf"^[^\x00]*[^{_SPACE}\x00][^\x00]*$"
Name = Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL), AfterValidator(_utf8)]
Reference = Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL),
                      AfterValidator(_utf8)]
Source = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NOT_BLANK),
                   AfterValidator(_utf8)]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=_NOT_BLANK),
                       AfterValidator(_utf8)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_NOT_BLANK),
                   AfterValidator(_utf8)]
Positive = Annotated[StrictInt, Field(gt=0, le=MAX_QUANTITY), BeforeValidator(integral)]
NonZero = Annotated[StrictInt, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY,
                                     json_schema_extra={"not": {"const": 0}}),
                    BeforeValidator(integral)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def example(**values: Any) -> ConfigDict:
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [values]})


T0 = "2026-11-01T09:00:00Z"


Latitude = Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)]
