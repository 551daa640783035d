"""The values of `q` terms, and what they stand for as numbers, booleans and dates."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from .errors import QueryError

NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Literal:
    text: str
    quoted: bool = False
    position: int = dataclass_field(default=0, compare=False)


def to_number(value: Literal) -> int | float:
    if not NUMBER.fullmatch(value.text):
        raise QueryError(f"'{value.text}' is not a number", value.position)
    number = float(value.text)
    if not math.isfinite(number):
        raise QueryError(f"the number '{value.text}' is out of range", value.position)
    if _INTEGER.fullmatch(value.text) and abs(number) < 2**63:
        return int(value.text)
    return number


def number_bind(number: int | float) -> Any:
    # typed apart from the column, so 1.5 is never cast to an integer column's type (and rounded)
    return sa.literal(number, sa.Float() if isinstance(number, float) else sa.BigInteger())


def to_bool(value: Literal) -> bool:
    if value.text not in ("true", "false"):
        raise QueryError(f"'{value.text}' is not a boolean; use true or false", value.position)
    return value.text == "true"


def to_date(value: Literal) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise QueryError(
            f"'{value.text}' is not an ISO-8601 date-time such as \"2024-01-01T00:00:00.000Z\"",
            value.position,
        ) from None
