"""Field types the mocks' request models share: what a vendor's JSON allows where pydantic alone
would allow more (a date as a number, a whole number as 5.5, a PATCH nulling a required field).
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["IsoDate", "WholeNumber", "not_null"]


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str | date):  # a date object comes from in-process callers
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


def _whole(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a whole JSON number")
    if isinstance(value, int):
        return value
    if not math.isfinite(value) or value != int(value):
        raise ValueError("must be a whole number")
    return int(value)


# A JSON date is text: pydantic alone would also read 0 as 1970-01-01.
IsoDate = Annotated[date, BeforeValidator(_iso_text)]
# JSON Schema's integer: 5 and 5.0 alike, but neither true nor 5.5.
WholeNumber = Annotated[int, BeforeValidator(_whole)]


def not_null(value: Any) -> Any:
    """A pydantic field validator for PATCH models: a required field may be left out, not nulled.

    Use as ``check = field_validator("a", "b")(not_null)``; defaults are not validated, so an
    omitted field still passes.
    """
    if value is None:
        raise ValueError("this field cannot be null")
    return value
