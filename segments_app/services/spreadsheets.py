"""CSV files that people download and open in a spreadsheet: one writer for all of them
(web.downloads sends what it writes).

A spreadsheet reads a cell that begins with `=`, `+`, `-` or `@` (or a tab or CR before one) as
a formula, and a formula can run commands or send data away (CSV or formula injection). The
writer prefixes such cells with a single quote, which spreadsheets show as text; only the
columns the caller names as exact (ids, which a re-import must match byte for byte) are left
as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

#: the first characters that make a spreadsheet read a cell as a formula (OWASP's list)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: what a neutralised cell begins with
NEUTRALISED = tuple("'" + start for start in FORMULA_START)


def neutralise(value: object) -> object:
    """`value` with a quote before it when it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The cell as it was before `neutralise` (for values read back from such a file)."""
    return value[1:] if value.startswith(NEUTRALISED) else value


class SpreadsheetCsv:
    """Writes CSV text a chunk at a time; every text cell is neutralised unless its column's
    position is in `exact`. Header cells are always neutralised: the import matches column
    names without their punctuation, so a quote never changes what a header means."""

    def __init__(self, exact: Iterable[int] = (), *, prefix: str = "", **dialect):
        self.exact = frozenset(exact)
        self._out = io.StringIO()
        self._out.write(prefix)
        self._writer = csv.writer(self._out, **dialect)

    def header(self, names: Sequence[object]) -> None:
        self._writer.writerow([neutralise(name) for name in names])

    def row(self, values: Sequence[object]) -> None:
        exact = self.exact
        self._writer.writerow(
            [value if i in exact else neutralise(value) for i, value in enumerate(values)]
        )

    def rows(self, rows: Iterable[Sequence[object]]) -> None:
        for values in rows:
            self.row(values)

    def drain(self) -> str:
        """The text written since the last drain."""
        text = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate()
        return text
