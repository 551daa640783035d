"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

#: JSON documents: JSONB on PostgreSQL (indexable, comparable), JSON text on SQLite.
#: Python None is stored as SQL NULL (not JSON null), so `missing`/`null` in `q` see it as absent.
JSONDoc = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC, hands back aware UTC datetimes.

    SQLite has no time zones, so every value is normalised to naive UTC on the way in; that also
    keeps comparisons in `q` and in validity checks consistent on both databases.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# The contract's timestamp format, `2024-05-01T10:00:00.123Z` (UTC, milliseconds cut, not
# rounded), written by Python and, for documents the database writes (query.jsonout), in SQL.


def isoformat(value: datetime | None) -> str | None:
    """The contract's timestamp format: UTC, milliseconds, `Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _sqlite_timestamp_json(column: str) -> str:
    # stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]'; a missing fraction reads as .000
    return (
        f"('\"' || substr({column}, 1, 10) || 'T' || substr({column}, 12, 8) || '.'"
        f" || substr({column} || '.000000', 21, 3) || 'Z\"')"
    )


def _postgresql_timestamp_json(column: str) -> str:
    # to_char's MS cuts the microseconds to milliseconds, as isoformat does
    return f"('\"' || to_char({column}, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') || 'Z\"')"


#: SQL of a UTCDateTime column's value in isoformat's format as a JSON string, per dialect
TIMESTAMP_JSON_SQL: dict[str, Callable[[str], str]] = {
    "sqlite": _sqlite_timestamp_json,
    "postgresql": _postgresql_timestamp_json,
}
