"""A quote opened and never closed costs its own row, says so, and leaves the rows after it
as rows of their own; values that legitimately span lines are kept."""

from __future__ import annotations

import csv
import io

import pytest

from segments_app.services.imports.columns import map_columns, reader
from segments_app.services.imports.parsing import prepare, record_batches
from segments_app.services.imports.quotes import UnclosedQuote
from tests.factories import TENANT
from tests.web.test_upload_states import stray_quote_file


def _records(text: str) -> tuple[list[list[str]], dict]:
    records = reader(io.StringIO(text, newline=""), ",")
    out, errors = [], {}
    for batch, batch_errors in record_batches(records, size=3):
        errors.update({len(out) + k: v for k, v in batch_errors.items()})
        out.extend(batch)
    return out, errors


def test_a_quote_to_the_end_of_the_file_costs_its_row_only():
    records, errors = _records('id,email\nc1,"a@x.com\nc2,b@x.com\nc3,c@x.com\n')
    assert records == [["id", "email"], [], ["c2", "b@x.com"], ["c3", "c@x.com"]]
    assert list(errors) == [1]
    error = errors[1]
    assert isinstance(error, UnclosedQuote) and error.to_end and error.lines == 3


def test_a_quote_closed_rows_later_is_caught_by_the_rows_it_swallowed():
    text = 'id,email,note\nc1,a@x.com,"oops\nc2,b@x.com,fine\nc3,c@x.com,x"y\n'
    records, errors = _records(text)
    assert records[2:] == [["c2", "b@x.com", "fine"], ["c3", "c@x.com", 'x"y']]
    assert list(errors) == [1] and not errors[1].to_end


def test_a_value_over_two_lines_that_looks_like_no_row_is_kept():
    text = 'id,email,note\nc1,a@x.com,"line one\nline two"\nc2,b@x.com,ok\n'
    records, errors = _records(text)
    assert errors == {}
    assert records[1] == ["c1", "a@x.com", "line one\nline two"]


def test_the_problem_names_the_row_in_words():
    columns = map_columns(["id", "email"])
    batch = prepare([["c1", "a@x.com"], []], {1: UnclosedQuote(3, True)}, 9, columns)
    assert [(p.row, p.code) for p in batch.problems] == [(10, "unclosed_quote")]
    assert batch.problems[0].reason.startswith(
        "A quote opened in row 10 is never closed (it runs to the end of the file)."
    )


@pytest.mark.usefixtures("directory")
def test_the_cli_reports_the_stray_quote(cli, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(stray_quote_file())
    result = cli.invoke(
        args=["members", "import", "--tenant", TENANT, "--segment", "gold", "--dry-run", str(path)]
    )
    assert result.exit_code == 1, result.output
    assert "row 10: A quote opened in row 10 is never closed" in result.output
    assert "longer than" not in result.output
    assert "535" in result.output  # rows read


def test_a_row_the_csv_module_cannot_read_still_counts_as_one(monkeypatch):
    previous = csv.field_size_limit(20)
    try:
        records, errors = _records("id,email\nc1,a\nc2," + "x" * 50 + "\nc3,b\nc4,c\n")
    finally:
        csv.field_size_limit(previous)
    assert records == [["id", "email"], ["c1", "a"], [], ["c3", "b"], ["c4", "c"]]
    assert list(errors) == [2] and not isinstance(errors[2], UnclosedQuote)


def test_windows_line_ends_and_a_stray_quote_across_batches():
    lines = ["id,email"] + [f"c{n},c{n}@x.com" for n in range(1, 8)]
    lines[3] = 'c3,"c3@x.com'
    records, errors = _records("\r\n".join(lines) + "\r\n")
    assert len(records) == 8 and list(errors) == [3]
    assert records[4:] == [[f"c{n}", f"c{n}@x.com"] for n in range(4, 8)]
