"""Member files: the awkward corpus in tests/data/imports, header matching, CSV reading, limits
and the rejected-rows CSV."""

from __future__ import annotations

import csv
import gzip
import io

import pytest
import yaml

from segments_app.errors import AppError
from segments_app.services.imports import FileRefused, rejected_rows_csv
from segments_app.services.imports.columns import map_columns, sniff_delimiter
from segments_app.services.imports.engine import COUNT_KEYS
from segments_app.services.imports.files import human_bytes, normalize_encoding
from segments_app.services.imports.parsing import prepare, record_batches
from tests.imports_support import DATA, csv_bytes, members, run_file

pytestmark = pytest.mark.usefixtures("directory")

MANIFEST = yaml.safe_load((DATA / "manifest.yml").read_text(encoding="utf-8"))


def test_every_file_of_the_corpus_has_an_entry_and_every_entry_a_file():
    files = {path.name for path in DATA.iterdir() if path.name != "manifest.yml"}
    assert files == set(MANIFEST)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_file_preview(name):
    expected = MANIFEST[name]
    if "refused" in expected:
        with pytest.raises(FileRefused) as refused:
            run_file(DATA / name)
        assert expected["refused"] in refused.value.message
        return
    imp = run_file(DATA / name)
    if "fails" in expected:
        assert imp.status == "failed"
        assert expected["fails"] in imp.error
        return
    assert imp.status == "previewed", imp.error
    for field in ("encoding", "delimiter"):
        if field in expected:
            assert getattr(imp, field) == expected[field]
    if "certain" in expected:
        assert imp.encoding_certain is expected["certain"]
    assert imp.file_format == expected.get("format", "csv")
    if "ignored" in expected:
        assert imp.columns["ignored"] == expected["ignored"]
    want = dict.fromkeys(COUNT_KEYS, 0) | expected["counts"]
    assert {key: imp.counts[key] for key in COUNT_KEYS} == want
    got = [(p["row"], p["column"], p["reason"]) for p in imp.problems]
    assert len(got) == len(expected["problems"]), got
    for (row, column, reason), (want_row, want_column, part) in zip(
        got, expected["problems"], strict=True
    ):
        assert (row, column) == (want_row, want_column), got
        assert part in reason, got
    assert members() == set(), "a preview changes nothing"


def test_a_wrong_encoding_choice_is_refused_and_says_how_to_choose():
    with pytest.raises(FileRefused, match=r"not valid utf-8 .*; choose its encoding"):
        run_file(DATA / "windows1252.csv", encoding="utf-8")
    late = ("customerId\n" + "c2\n" * 30_000 + "müller-01\n").encode("cp1252")
    imp = run_file(late, encoding="utf-8")
    assert imp.status == "failed"
    assert "not valid utf-8" in imp.error and "choose its encoding" in imp.error


def test_utf16_chosen_for_a_file_without_its_byte_order_mark_is_refused():
    with pytest.raises(FileRefused, match=r"not valid utf-16 .*; choose its encoding"):
        run_file(b"customerId\nc1\n", encoding="utf-16")


def test_a_chosen_encoding_is_used_and_counts_as_certain():
    imp = run_file(DATA / "windows1252.csv", encoding="cp1252")
    assert imp.status == "previewed"
    assert (imp.encoding_override, imp.encoding_certain) == ("windows-1252", True)
    assert imp.counts["validRows"] == 2


def test_utf8_start_with_windows_1252_later_is_read_again_as_windows_1252():
    filler = "c2,plain ascii\n" * 8000  # beyond the 64 KB the upload is sniffed with
    data = ("customerId,name\n" + filler + "müller-01,Jürgen\n").encode("cp1252")
    imp = run_file(data)
    assert imp.status == "previewed", imp.error
    assert (imp.encoding, imp.encoding_certain) == ("windows-1252", False)
    assert imp.counts["validRows"] == 2
    assert imp.counts["duplicateRows"] == 7999


def test_unknown_encoding_name_is_a_bad_request():
    with pytest.raises(AppError, match="not supported; choose one of"):
        normalize_encoding("ebcdic")
    assert normalize_encoding(" UTF_8 ") == "utf-8"
    assert normalize_encoding(None) is None


def test_header_aliases_ignore_case_spaces_and_punctuation():
    columns = map_columns(["  Customer-ID ", "E_Mail", "COMPANY id", "Notes", ""])
    assert columns.positions == {"customerId": 0, "email": 1, "legalEntityId": 2}
    assert columns.ignored == ["Notes"]
    assert columns.width == 4


def test_two_columns_for_one_field_are_refused():
    with pytest.raises(FileRefused, match="'id' and 'customerId' both name the customerId"):
        map_columns(["id", "customerId"])


def test_a_header_without_id_or_email_lists_the_accepted_names():
    with pytest.raises(FileRefused) as refused:
        map_columns(["name"])
    assert "customer number" in refused.value.message and "e-mail" in refused.value.message


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [
        ("customerId,email\n", ","),
        ("customerId;email;name\n", ";"),
        ("customerId\temail\n", "\t"),
        ('"Name, first";customerId\n', ";"),
        ("customerId\n", ","),
    ],
)
def test_delimiter_is_sniffed_from_the_header(line, delimiter):
    assert sniff_delimiter(line) == delimiter


def test_unreadable_records_count_as_one_row_each(monkeypatch):
    monkeypatch.setattr(csv, "field_size_limit", csv.field_size_limit)
    previous = csv.field_size_limit(20)
    try:
        text = "c1,a\nc2," + "x" * 50 + "\nc3,b\n"
        batches = list(record_batches(csv.reader(io.StringIO(text, newline="")), size=2))
    finally:
        csv.field_size_limit(previous)
    records = [record for batch, _ in batches for record in batch]
    errors = [sorted(errors) for _, errors in batches]
    assert records == [["c1", "a"], [], ["c3", "b"]]
    assert errors == [[1], []]


def test_irregular_batches_are_cut_like_regular_ones():
    columns = map_columns(["customerId", "email"])
    regular = prepare([["c1", "A@X.com"], ["c2", ""]], {}, 2, columns)
    irregular = prepare([["c1", "A@X.com", ""], ["c2"]], {}, 2, columns)
    for batch in (regular, irregular):
        assert list(batch.rows) == [2, 3]
        assert batch.values == {"customerId": ["c1", "c2"], "email": ["a@x.com", ""]}
        assert batch.problems == []


def test_limits_are_told_in_words():
    assert human_bytes(500 * 1024 * 1024) == "500 MB"
    assert human_bytes(1536) == "1.5 KB"


def test_a_file_over_the_byte_limit_is_refused_naming_the_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024)
    with pytest.raises(FileRefused) as refused:
        run_file(csv_bytes("customerId", *(["c1"] * 600)))
    assert refused.value.status == 413
    assert "limit of 1 KB" in refused.value.message and "IMPORT_MAX_BYTES" in refused.value.message


def test_a_gzip_file_is_refused_by_its_size_before_it_is_read(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 4096)
    packed = gzip.compress(csv_bytes("customerId", *(["c1"] * 5000)))
    assert len(packed) < 4096
    with pytest.raises(FileRefused, match="limit of 4 KB"):
        run_file(packed, file_name="members.csv.gz")


def test_a_gzip_file_that_hides_its_size_is_stopped_while_read(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 100 * 1024)
    # two gzip members: the trailer of the last one tells only its own small size
    big = csv_bytes("customerId", *(["c1"] * 60_000))
    packed = gzip.compress(big) + gzip.compress(b"c2\n")
    imp = run_file(packed, file_name="members.csv.gz")
    assert imp.status == "failed"
    assert "limit of 100 KB" in imp.error
    assert members() == set()


def test_a_file_over_the_row_limit_fails_naming_the_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    imp = run_file(csv_bytes("customerId", "c1", "c2", "c3", "c4"), dry_run=False)
    assert imp.status == "failed"
    assert "more than 3 rows" in imp.error and "IMPORT_MAX_ROWS" in imp.error
    assert members() == set()


def test_rejected_rows_csv_has_the_original_columns_the_row_and_the_reason():
    imp = run_file(DATA / "quoted_newlines.csv")
    text = "".join(rejected_rows_csv(imp))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert rows == [
        ["customerId", "comment", "row", "reason"],
        ["ghost", "a\r\nb", "4", "Customer ghost is not in the directory."],
    ]


def test_rejected_rows_csv_keeps_the_files_delimiter_and_every_rejected_row():
    lines = ["customerId;note", *(f"x{n};n{n}" for n in range(50_000)), "c1;ok"]
    imp = run_file(csv_bytes(*lines))
    assert imp.counts["unknownCustomers"] == 50_000
    assert len(imp.problems) == 20
    text = "".join(rejected_rows_csv(imp)).removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["customerId", "note", "row", "reason"]
    assert len(rows) == 50_001
    assert rows[-1] == ["x49999", "n49999", "50001", "Customer x49999 is not in the directory."]
