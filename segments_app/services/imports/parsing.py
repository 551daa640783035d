"""From csv records to columns of values ready to stage, a batch at a time.

A million-row file must not cost a million Python-level steps beyond the csv module's own:
a batch of records that all have the same width is cut into columns with `map` and
`itemgetter`, which run in C. Only batches with irregular rows (blank, short, too long,
unreadable) take the row-by-row path, and only to find those rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter, methodcaller

from ..spreadsheets import NEUTRALISED, restore
from .columns import CUSTOMER_ID, EMAIL, LEGAL_ENTITY_ID, Columns
from .quotes import UnclosedQuote

BATCH = 20_000
#: the longest value each field may have (the directory's column sizes)
MAX_LENGTH = {CUSTOMER_ID: 255, EMAIL: 320, LEGAL_ENTITY_ID: 255}


@dataclass(frozen=True, slots=True)
class Problem:
    """A rejected row: its number, the column at fault (if one is), a code and a message."""

    row: int
    column: str | None
    code: str
    reason: str


@dataclass
class Batch:
    """Consecutive records of the file: the rows to stage and the rows rejected already."""

    first_row: int
    #: records read, blank ones included
    size: int
    #: row numbers of the rows to stage, in order
    rows: Sequence[int]
    #: field -> values aligned with `rows`, trimmed ('' when empty; emails lower-cased)
    values: dict[str, list[str]]
    problems: list[Problem] = field(default_factory=list)
    blank: int = 0

    @property
    def contiguous(self) -> bool:
        return isinstance(self.rows, range)


def record_batches(
    records: Iterator[list[str]], size: int = BATCH
) -> Iterator[tuple[list[list[str]], dict[int, csv.Error]]]:
    """The records `size` at a time, with the records the csv module could not read:
    {index in the batch: error}, each counted as one row (an empty record stands in)."""
    take = getattr(records, "take", None)
    if take is not None:  # CheckedRecords: a stray quote costs its own row only
        while True:
            taken = take(size)
            if not taken[0]:
                return
            yield taken
            if len(taken[0]) < size:
                return
    while True:
        batch: list[list[str]] = []
        errors: dict[int, csv.Error] = {}
        while len(batch) < size:
            before = len(batch)
            try:
                batch.extend(islice(records, size - len(batch)))
            except csv.Error as exc:
                errors[len(batch)] = exc
                batch.append([])
                continue
            if len(batch) == before or len(batch) < size:
                break
        if not batch:
            return
        yield batch, errors
        if len(batch) < size:
            return


def prepare(
    records: list[list[str]], errors: dict[int, csv.Error], first_row: int, columns: Columns
) -> Batch:
    """Cut a batch of records into the columns to stage, and reject what is wrong in itself."""
    n = len(records)
    positions = columns.positions
    shortest = min(map(len, records))
    longest = max(map(len, records))
    needed = max(positions.values()) + 1
    if shortest == longest and shortest >= needed and not errors:
        values = {
            name: _trimmed(name, map(itemgetter(index), records))
            for name, index in positions.items()
        }
    else:
        values = {
            name: _trimmed(name, (r[index] if len(r) > index else "" for r in records))
            for name, index in positions.items()
        }
    rejected: dict[int, Problem] = {}
    blank: set[int] = set()
    for index, error in errors.items():
        row = first_row + index
        if isinstance(error, UnclosedQuote):
            rejected[index] = Problem(row, None, "unclosed_quote", error.reason(row))
        else:
            rejected[index] = Problem(
                row, None, "unreadable", f"The row cannot be read as CSV: {error}."
            )
    if longest > columns.width:
        _reject_extra_fields(records, columns, first_row, rejected)
    _reject_keyless(records, values, first_row, rejected, blank)
    _reject_too_long(values, columns, first_row, rejected)
    _reject_nul(values, columns, first_row, rejected)
    if not rejected and not blank:
        return Batch(first_row, n, range(first_row, first_row + n), values)
    keep = [k for k in range(n) if k not in rejected and k not in blank]
    return Batch(
        first_row,
        n,
        [first_row + k for k in keep],
        {name: [column[k] for k in keep] for name, column in values.items()},
        [rejected[k] for k in sorted(rejected)],
        len(blank),
    )


def _trimmed(name: str, cells) -> list[str]:
    stripped = map(str.strip, cells)
    if name != EMAIL:
        return list(stripped)
    emails = list(map(str.lower, stripped))
    if any(map(methodcaller("startswith", NEUTRALISED), emails)):
        # a file this app wrote (an export, rejected rows) quotes e-mails that look like formulas
        emails = [restore(email).strip() for email in emails]
    return emails


def _reject_extra_fields(
    records: list[list[str]], columns: Columns, first_row: int, rejected: dict[int, Problem]
) -> None:
    width = columns.width
    for k, record in enumerate(records):
        if len(record) > width and k not in rejected and any(map(str.strip, record[width:])):
            rejected[k] = Problem(
                first_row + k,
                None,
                "extra_fields",
                f"The row has {len(record)} fields but the header names {width}; "
                "quote values that contain the delimiter.",
            )


def _reject_keyless(
    records: list[list[str]],
    values: dict[str, list[str]],
    first_row: int,
    rejected: dict[int, Problem],
    blank: set[int],
) -> None:
    keys = [values[name] for name in (CUSTOMER_ID, EMAIL) if name in values]
    if all("" not in column for column in keys):
        return
    for k in range(len(records)):
        if any(column[k] for column in keys) or k in rejected:
            continue
        if any(map(str.strip, records[k])):
            rejected[k] = Problem(
                first_row + k,
                None,
                "no_customer",
                "The row names no customer: it has neither a customer id nor an e-mail.",
            )
        else:
            blank.add(k)


def _reject_too_long(
    values: dict[str, list[str]], columns: Columns, first_row: int, rejected: dict[int, Problem]
) -> None:
    for name, column in values.items():
        limit = MAX_LENGTH[name]
        if not column or max(map(len, column)) <= limit:
            continue
        for k, value in enumerate(column):
            if len(value) > limit and k not in rejected:
                rejected[k] = Problem(
                    first_row + k,
                    columns.name_of(name),
                    "too_long",
                    f"The {columns.name_of(name)} is longer than {limit} characters.",
                )


def _reject_nul(
    values: dict[str, list[str]], columns: Columns, first_row: int, rejected: dict[int, Problem]
) -> None:
    # neither database keeps a NUL inside a text value
    for name, column in values.items():
        if "\x00" not in "".join(column):
            continue
        for k, value in enumerate(column):
            if "\x00" in value and k not in rejected:
                rejected[k] = Problem(
                    first_row + k,
                    columns.name_of(name),
                    "unreadable",
                    f"The {columns.name_of(name)} holds a NUL character.",
                )
