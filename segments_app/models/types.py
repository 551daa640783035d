"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

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


def isoformat(value: datetime | None) -> str | None:
    """The contract's timestamp format: UTC, milliseconds, `Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
