"""Import a directory file: JSON Lines, one record a line with its `kind`, plain or gzip.

The file is streamed in batches; each batch is grouped by kind and written with
`upsert_records`, so a million lines cost the memory of one batch. The caller commits after
each batch: reference data is idempotent to load, so a failed run is repaired by running the
same file again, while one transaction over the whole file would hold the database's write lock
(and grow its log) for minutes and gain nothing.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from ...extensions import db
from ...models import Tenant
from ..longwork import lift_statement_timeout
from .kinds import KINDS
from .upsert import upsert_records

GZIP_MAGIC = b"\x1f\x8b"
BATCH_SIZE = 5000


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    reason: str


@dataclass(slots=True)
class KindCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


@dataclass
class ImportSummary:
    """What an import did so far."""

    lines: int = 0
    blank: int = 0
    #: lines that are not a record of a known kind (bad JSON, no or an unknown kind)
    unreadable: int = 0
    kinds: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})

    @property
    def rejected(self) -> int:
        return self.unreadable + sum(counts.rejected for counts in self.kinds.values())

    def add(self, other: ImportSummary) -> None:
        """Count `other` (one batch) in."""
        self.lines += other.lines
        self.blank += other.blank
        self.unreadable += other.unreadable
        for name, counts in other.kinds.items():
            mine = self.kinds[name]
            mine.created += counts.created
            mine.updated += counts.updated
            mine.unchanged += counts.unchanged
            mine.rejected += counts.rejected


class Source:
    """An open import file: its lines as bytes, and how far into the file reading has got."""

    def __init__(self, raw: IO[bytes], size: int | None):
        if not hasattr(raw, "peek"):
            # a stream without peek is a raw one, which has the readinto IO[bytes] leaves out
            raw = io.BufferedReader(raw)  # type: ignore[type-var]
        self.raw = raw
        self.size = size
        compressed = raw.peek(2)[:2] == GZIP_MAGIC  # type: ignore[attr-defined]
        # typeshed's GzipFile has every method of IO[bytes] but does not derive from it
        self.lines = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")) if compressed else raw

    @property
    def position(self) -> int:
        """Bytes of the file (compressed, for gzip) read so far; 0 when that is unknown."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return 0


@contextmanager
def open_source(path: str, stdin: IO[bytes] | None = None) -> Iterator[Source]:
    """Open `path` ('-' for `stdin`) for reading, gzip or not (told by its first bytes)."""
    if path == "-":
        assert stdin is not None
        yield Source(stdin, None)
        return
    with open(path, "rb") as raw:
        yield Source(raw, Path(path).stat().st_size)


def read_batches(lines: IO[bytes], size: int = BATCH_SIZE) -> Iterator[list[tuple[int, bytes]]]:
    """The lines of the file, numbered from 1, `size` at a time."""
    batch: list[tuple[int, bytes]] = []
    for number, line in enumerate(lines, start=1):
        batch.append((number, line))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_batch(
    tenant: Tenant, lines: list[tuple[int, bytes]]
) -> tuple[ImportSummary, list[Rejection]]:
    """Parse and upsert one batch of numbered lines: its counts and its rejections, by line."""
    lift_statement_timeout(db.session)  # a batch may rightly run longer than a request
    summary = ImportSummary()
    rejections: list[Rejection] = []
    grouped: dict[str, tuple[list[int], list[Any]]] = {name: ([], []) for name in KINDS}
    for number, line in lines:
        summary.lines += 1
        if not line.strip():
            summary.blank += 1
            continue
        try:
            kind, record = _parse(line)
        except ValueError as exc:
            summary.unreadable += 1
            rejections.append(Rejection(number, str(exc)))
            continue
        numbers, records = grouped[kind]
        numbers.append(number)
        records.append(record)
    for kind, (numbers, records) in grouped.items():
        if not records:
            continue
        counts = summary.kinds[kind]
        for number, result in zip(numbers, upsert_records(tenant, kind, records), strict=True):
            if not result.ok:
                counts.rejected += 1
                name = f"{kind} {result.id}" if result.id is not None else kind
                rejections.append(Rejection(number, f"{name}: {result.message}"))
            elif result.status == 201:
                counts.created += 1
            elif result.changed:
                counts.updated += 1
            else:
                counts.unchanged += 1
    rejections.sort(key=lambda rejection: rejection.line)
    return summary, rejections


def _parse(line: bytes) -> tuple[str, dict]:
    try:
        # decoding first is faster than letting json detect the encoding of bytes
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise ValueError("arrays and objects nest too deeply") from None
    if type(record) is not dict:
        raise ValueError("a line must be a JSON object (one record with its kind)")
    kind = record.pop("kind", None)
    if kind is None:
        raise ValueError(f"kind is missing; use one of {', '.join(KINDS)}")
    if type(kind) is not str or kind not in KINDS:
        raise ValueError(f"unknown kind {json.dumps(kind)}; use one of {', '.join(KINDS)}")
    return kind, record
