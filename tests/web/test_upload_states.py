"""Issue 14 on the upload tab: discarding is the import's own state for every editor, a stray
quote costs one row that says so, and an apply waiting to start shows its own numbers."""

from __future__ import annotations

import pytest

from tests.imports_support import UPLOAD_TAB, csv_bytes, members_of, uploaded, wait_for_jobs
from tests.pages import page_text

pytestmark = pytest.mark.usefixtures("seeded_directory")

GOOD = csv_bytes("customerId", "c1", "c2")


def stray_quote_file(rows: int = 535, quoted_row: int = 10) -> bytes:
    """`rows` member rows after the header; the one at spreadsheet row `quoted_row` opens a
    quote that nothing closes."""
    lines = ["customerId,email,note"]
    for row in range(2, rows + 2):
        note = '"unterminated quote' if row == quoted_row else "ok"
        lines.append(f"x{row:04d},x{row:04d}@example.com,{note}")
    return csv_bytes(*lines)


def test_a_discarded_preview_is_discarded_for_every_editor(app, make_browser):
    alice = make_browser("editor", "alice@acme.test")
    bob = make_browser("editor", "bob@acme.test")
    url = uploaded(alice, GOOD)
    import_id = url.rsplit("/", 1)[1]
    assert f"import-{import_id}" in page_text(bob.get(UPLOAD_TAB))  # Bob sees Alice's preview

    discarded = alice.post(f"{url}/discard")
    assert discarded.status_code == 303 and discarded.headers["Location"] == UPLOAD_TAB

    # Bob's tab offers a new upload; the import's own page says discarded, without Apply
    tab = page_text(bob.get(UPLOAD_TAB))
    assert 'type="file"' in tab and f"import-{import_id}" not in tab
    page = page_text(bob.get(url))
    assert "Discarded" in page and "was discarded" in page and ">Apply</button>" not in page
    # the overview and History list it as discarded, not as a preview ready
    for where in ("/", "/segments/gold/history"):
        html = page_text(bob.get(where))
        assert "Preview ready" not in html and "Discarded" in html, where

    # a stale page's Apply is refused with a clear message, and nothing changes
    refused = bob.post(f"{url}/apply", htmx=True)
    assert "was discarded and cannot be applied" in page_text(refused)
    refused = bob.post(f"{url}/apply")
    assert refused.status_code == 303
    assert "was discarded" in page_text(bob.get(refused.headers["Location"]))
    wait_for_jobs(app)
    assert members_of(app) == set()


def test_discarding_removes_the_stored_file(app, editor, import_dir):
    url = uploaded(editor, GOOD)
    assert len(list(import_dir.iterdir())) == 1
    editor.post(f"{url}/discard")
    assert list(import_dir.iterdir()) == []
    # twice is no error: the same outcome
    assert editor.post(f"{url}/discard").status_code == 303


def test_an_applied_import_cannot_be_discarded(app, editor):
    url = uploaded(editor, GOOD)
    editor.post(f"{url}/apply")
    wait_for_jobs(app)
    refused = editor.post(f"{url}/discard", htmx=True)
    assert "only a preview or a failed import can be discarded" in page_text(refused)
    assert members_of(app) == {("c1", None), ("c2", None)}


def test_a_stray_quote_is_reported_with_its_row_and_costs_that_row_only(editor):
    url = uploaded(editor, stray_quote_file())
    html = page_text(editor.get(url))
    assert "A quote opened in row 10 is never closed" in html
    assert "longer than" not in html
    assert 'class="count-rowsRead"><dt>Rows read</dt><dd>535</dd>' in html
    assert 'class="count-malformedRows is-problem"><dt>Malformed rows</dt><dd>1</dd>' in html
    rejected = editor.get(f"{url}/rejected.csv").get_data(as_text=True)
    # one rejected row for the quote, the others are unknown customers (not in the directory)
    assert rejected.count("never closed") == 1


def test_an_apply_waiting_to_start_shows_its_own_numbers(app, editor):
    from tests.web.test_uploads import change_import

    url = uploaded(editor, GOOD)
    import_id = url.rsplit("/", 1)[1]
    # as the apply's claim leaves it before its runner takes it
    change_import(app, import_id, status="queued", dry_run=False)
    html = page_text(editor.get(url, htmx=True))
    assert "Waiting to start" in html
    assert "rows/s" not in html and "Rows per second" not in html
    assert "Rows read" not in html


def test_a_header_with_no_known_column_asks_which_column_is_which(app, editor):
    data = csv_bytes("Kundennummer;Firma;legalEntityId", "c1;Acme;", "c4;Beta;le1")
    response = upload_file(editor, data)
    assert response.status_code == 303
    url = response.headers["Location"]
    html = page_text(editor.get(url))
    assert "Which column is which?" in html and "Needs its columns" in html
    assert '<option value="Kundennummer">' in html
    # the legal entity's known name is picked already
    assert '<option value="legalEntityId" selected>' in html
    assert ">Apply</button>" not in html
    assert editor.post(f"{url}/apply", htmx=True).status_code == 200  # refused, shown
    wait_for_jobs(app)
    assert members_of(app) == set()

    # nothing picked for the customers: refused beside the columns
    refused = editor.post(f"{url}/columns", data={"legalEntityId": "legalEntityId"}, htmx=True)
    assert refused.status_code == 422
    assert "Pick the column that holds the customer id or the e-mail." in page_text(refused)
    same = {"customerId": "Firma", "email": "Firma"}
    assert editor.post(f"{url}/columns", data=same, htmx=True).status_code == 422

    picked = editor.post(
        f"{url}/columns",
        data={"customerId": "Kundennummer", "email": "", "legalEntityId": "legalEntityId"},
    )
    assert picked.status_code == 303
    wait_for_jobs(app)
    html = page_text(editor.get(url))
    assert "Preview ready" in html
    assert '<span class="mono">Kundennummer</span> as customer id' in html
    editor.post(f"{url}/apply")
    wait_for_jobs(app)
    assert members_of(app) == {("c1", None), ("c4", "le1")}


def upload_file(browser, data: bytes):
    from tests.imports_support import upload

    return upload(browser, data, "kunden.csv")
