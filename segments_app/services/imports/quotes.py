"""CSV records that notice a stray quote, one line of text at a time.

A quote that is opened and never closed makes the csv module read every line after it, to the
next quote or to the end of the file, as one value: a 535-row file came out as 532 rows, the
swallowed ones as a single "e-mail longer than 320 characters". A member file has no reason to
hold a value over several lines, so a record that spans lines is taken for a stray quote when

- its quotes do not pair up (the quote runs to the end of the file), or
- a line it swallowed looks like a row of its own (as many delimiters as the header has), or
- the csv module gives up on it (a field over its size limit).

Then the row where the quote opened is rejected (UnclosedQuote, with how many lines it ran
over), and the lines after it are read again as rows of their own, so each keeps its number.
Only a batch's lines are held, never the file; the batches without such a record cost the
csv module's own speed (see CheckedRecords).
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice, tee


class UnclosedQuote(csv.Error):
    """The record at this place opened a quote that its line does not close."""

    def __init__(self, lines: int, to_end: bool):
        super().__init__(f"a quote opened here runs over {lines} lines")
        #: how many lines the quote ran over (its own included)
        self.lines = lines
        #: whether it ran to the end of the file
        self.to_end = to_end

    def reason(self, row: int) -> str:
        """What the rejected row says, in a marketer's words."""
        end = "to the end of the file" if self.to_end else f"over {self.lines - 1} more lines"
        return (
            f"A quote opened in row {row} is never closed (it runs {end}). The row is "
            "rejected and the lines after it are read as rows of their own; close the quote, "
            "or double it to keep it in the value, and upload the file again."
        )


class _Lines:
    """The text's lines, with lines to read again first, remembering those of one record."""

    def __init__(self, text: Iterable[str]):
        self.text = iter(text)
        self.again: deque[str] = deque()
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.again.popleft() if self.again else next(self.text)
        self.taken.append(line)
        return line


class CheckedRecords:
    """csv records of `text` (see the module's note); an iterator like csv.reader's, and
    `take` for a batch at a time.

    The csv module reads the lines at its own speed; a second cursor on the same lines (tee)
    follows a batch behind. A batch whose records each took one line is skipped over by that
    cursor in C; only a batch with a record over several lines, or a record the csv module
    could not read, is read again a record at a time, from the lines the cursor still holds.
    """

    def __init__(self, text: Iterable[str], delimiter: str):
        ahead, self.behind = tee(iter(text))
        self.delimiter = delimiter
        self.csv = csv.reader(ahead, delimiter=delimiter, skipinitialspace=True)
        #: the delimiters of the header (the first record that is not blank)
        self.header_delimiters: int | None = None
        #: records (or why a row could not be read) read again and not handed out yet
        self.pending: deque[list[str] | csv.Error] = deque()

    def __iter__(self) -> CheckedRecords:
        return self

    def __next__(self) -> list[str]:
        records, errors = self.take(1)
        if not records:
            raise StopIteration
        if errors:
            raise errors[0]
        return records[0]

    def take(self, n: int) -> tuple[list[list[str]], dict[int, csv.Error]]:
        """Up to `n` records (fewer only at the end of the file), with the errors of those
        that could not be read: {index: error}, an empty record standing in for each."""
        out: list[list[str]] = []
        errors: dict[int, csv.Error] = {}
        while len(out) < n:
            if self.pending:
                item = self.pending.popleft()
                if isinstance(item, csv.Error):
                    errors[len(out)] = item
                    out.append([])
                else:
                    self._note_header(item)
                    out.append(item)
                continue
            wanted = n - len(out)
            fresh: list[list[str]] = []
            before = self.csv.line_num
            failed = False
            try:
                fresh.extend(islice(self.csv, wanted))
            except csv.Error:
                failed = True
            read = self.csv.line_num - before
            if not failed and read == len(fresh):
                deque(islice(self.behind, read), maxlen=0)  # the same lines, skipped in C
                if self.header_delimiters is None:
                    for record in fresh:
                        self._note_header(record)
                out.extend(fresh)
                if len(fresh) < wanted:
                    break  # the end of the file
            else:
                self.pending.extend(self._reread(list(islice(self.behind, read))))
        return out, errors

    def _note_header(self, record: list[str]) -> None:
        if self.header_delimiters is None and any(cell.strip() for cell in record):
            self.header_delimiters = max(len(record) - 1, 0)

    def _reread(self, raw: list[str]) -> Iterator[list[str] | csv.Error]:
        """The records of `raw`, one at a time, a stray quote costing its own row only."""
        lines = _Lines(raw)
        records = csv.reader(lines, delimiter=self.delimiter, skipinitialspace=True)
        while True:
            lines.taken = []
            try:
                record = next(records)
            except StopIteration:
                return
            except csv.Error as exc:
                # only a quoted value runs over lines
                yield self._read_again(lines, False) if len(lines.taken) > 1 else exc
                continue
            taken = lines.taken
            if len(taken) > 1 and self._stray(taken):
                yield self._read_again(lines, self._unpaired(taken))
                continue
            self._note_header(record)
            yield record

    @staticmethod
    def _read_again(lines: _Lines, to_end: bool) -> UnclosedQuote:
        taken = lines.taken
        lines.again.extendleft(reversed(taken[1:]))
        lines.taken = []
        return UnclosedQuote(len(taken), to_end)

    @staticmethod
    def _unpaired(taken: list[str]) -> bool:
        return sum(line.count('"') for line in taken) % 2 == 1

    def _stray(self, taken: list[str]) -> bool:
        if self._unpaired(taken) or self.header_delimiters is None:
            return True
        wanted = self.header_delimiters
        if wanted == 0:
            return True  # a one-column file: no value of it spans lines
        # the last line's fields after the closing quote are the record's own
        last = taken[-1][: taken[-1].rfind('"')]
        return any(line.count(self.delimiter) >= wanted for line in [*taken[1:-1], last])
