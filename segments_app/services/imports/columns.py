"""The header of a member file: which column holds what, matched loosely by name."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .files import FileRefused
from .quotes import CheckedRecords

CUSTOMER_ID = "customerId"
LEGAL_ENTITY_ID = "legalEntityId"
EMAIL = "email"

#: what each field may be called in a header; compared by `normalize`
ALIASES: dict[str, tuple[str, ...]] = {
    CUSTOMER_ID: ("customerId", "customer_id", "Customer ID", "customer number", "id"),
    LEGAL_ENTITY_ID: ("legalEntityId", "legal_entity_id", "company id"),
    EMAIL: ("email", "e-mail", "mail"),
}
DELIMITERS = (",", ";", "\t")


def normalize(name: str) -> str:
    """A header name without case, spaces or punctuation: 'Customer ID' -> 'customerid'."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


_FIELD_BY_NAME = {normalize(alias): name for name, aliases in ALIASES.items() for alias in aliases}


def accepted_names() -> str:
    """The accepted column names, for messages."""
    return "; ".join(f"{name}: {', '.join(aliases)}" for name, aliases in ALIASES.items())


@dataclass(frozen=True)
class Columns:
    """Where the fields are in each record, and what the header called them."""

    #: field -> position in the record
    positions: dict[str, int]
    #: field -> the header's own name for it
    names: dict[str, str]
    ignored: list[str] = field(default_factory=list)
    #: the number of named columns; a record may run longer only with empty fields
    width: int = 0

    #: field -> header name, when a person picked the columns (the header named none we know)
    mapping: dict[str, str] | None = None

    def document(self) -> dict:
        doc: dict = {"used": dict(self.names), "ignored": list(self.ignored)}
        if self.mapping is not None:
            doc["mapping"] = dict(self.mapping)
        return doc

    def name_of(self, field_name: str) -> str:
        return self.names.get(field_name, field_name)


class NoKeyColumn(FileRefused):
    """The header names no customer id or e-mail column: the dashboard asks which it is."""

    def __init__(self, message: str, header: list[str]):
        super().__init__(message)
        #: the header's names, in order (blank ones kept, so positions stay)
        self.header = header


def header_names(header: list[str]) -> list[str]:
    """The header's cells, trimmed, without the empty ones trailing delimiters make."""
    names = [cell.strip() for cell in header]
    while names and not names[-1]:
        names.pop()
    return names


def guess_fields(header: list[str]) -> dict[str, str]:
    """field -> header name, for the columns whose name is a known one (a mapping's start)."""
    guessed: dict[str, str] = {}
    for name in header_names(header):
        field_name = _FIELD_BY_NAME.get(normalize(name))
        if field_name is not None and field_name not in guessed:
            guessed[field_name] = name
    return guessed


def mapped_columns(header: list[str], mapping: dict[str, str]) -> Columns:
    """The columns a person picked: field -> the header's name of it. Refused when a name is
    not in the header (the file changed?) or names no customer."""
    names = header_names(header)
    positions: dict[str, int] = {}
    for field_name, name in mapping.items():
        if name not in names:
            raise FileRefused(f"The file has no column '{name}' to read the {field_name} from.")
        positions[field_name] = names.index(name)
    if CUSTOMER_ID not in positions and EMAIL not in positions:
        raise FileRefused("Pick the column that holds the customer id or the e-mail.")
    used = set(positions.values())
    ignored = [name for index, name in enumerate(names) if name and index not in used]
    return Columns(positions, dict(mapping), ignored, len(names), dict(mapping))


def map_columns(header: list[str], mapping: dict[str, str] | None = None) -> Columns:
    """Match a header row (or apply the `mapping` a person picked); refused without a
    customer id or e-mail column (NoKeyColumn), or when two columns claim the same field."""
    if mapping:
        return mapped_columns(header, mapping)
    names = header_names(header)
    positions: dict[str, int] = {}
    found: dict[str, str] = {}
    ignored: list[str] = []
    for index, name in enumerate(names):
        field_name = _FIELD_BY_NAME.get(normalize(name))
        if field_name is None:
            if name:
                ignored.append(name)
            continue
        if field_name in positions:
            raise FileRefused(
                f"The columns '{found[field_name]}' and '{name}' both name the {field_name} "
                "column; keep one of them."
            )
        positions[field_name] = index
        found[field_name] = name
    if CUSTOMER_ID not in positions and EMAIL not in positions:
        shown = ", ".join(f"'{name}'" for name in names if name) or "none"
        raise NoKeyColumn(
            f"The file has no customer id or e-mail column (its columns: {shown}). "
            f"Name one in the first row; accepted names, in any case and spacing: "
            f"{accepted_names()}.",
            names,
        )
    return Columns(positions, found, ignored, len(names))


def sniff_delimiter(first_line: str) -> str:
    """Comma, semicolon or tab: whichever the header line has most of (outside quotes)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def first_line(text: str, complete: bool) -> str:
    """The first line of the decoded sample that is not blank (to sniff the delimiter from)."""
    for line in io.StringIO(text, newline=""):
        if line.strip():
            if not complete and not line.endswith(("\n", "\r")):
                raise FileRefused("The first row (the header) is too long to be a header.")
            return line
    raise FileRefused("The file is empty: it needs a header row and at least one member row.")


def read_header(records: Iterator[list[str]]) -> tuple[list[str], int]:
    """(header cells, its row number): the first record that is not blank.

    Blank lines before it are skipped but counted, so that row numbers stay those a
    spreadsheet shows.
    """
    for row, record in enumerate(records, start=1):
        if any(cell.strip() for cell in record):
            return record, row
    raise FileRefused("The file is empty: it needs a header row and at least one member row.")


def reader(text: Iterable[str], delimiter: str) -> Iterator[list[str]]:
    """csv records of `text`; spaces after a delimiter are skipped so quotes still count,
    and a quote never closed costs its own row only (see quotes)."""
    return CheckedRecords(text, delimiter)
