"""What the checks of one upsert batch pass between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import AppError
from .prepare import Prepared


@dataclass(frozen=True, slots=True)
class Stored:
    """The stored state of a record the batch names."""

    pk: int
    version: int
    values: dict[str, Any]
    links: tuple[str, ...] | None


@dataclass(slots=True)
class Candidate:
    """A record that passed its own checks, waiting for the checks that span the batch."""

    index: int
    record: Prepared
    id: str
    stored: Stored | None = None
    problems: list[AppError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        stored = self.stored
        return (
            stored is None
            or stored.values != self.record.values
            or stored.links != self.record.links
        )
