"""A segment's "Upload members" tab once a file is read: the preview's counts, columns and
problems, applying or discarding it, the rejected rows, choosing another encoding, and the tab
while a preview is open."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.imports_support import DATA, UPLOAD_TAB, csv_bytes, members_of, uploaded, wait_for_jobs
from tests.pages import page_text

pytestmark = pytest.mark.usefixtures("seeded_directory")


BAD_ROWS = csv_bytes("customerId,note", "c1,first", "nobody,who", "c2,second", "c1,again")


def _count(html: str, key: str) -> str:
    """The number shown for count `key` on an import's page."""
    match = re.search(rf'class="count-{key}[^"]*"><dt>[^<]*</dt><dd>([^<]*)</dd>', html)
    assert match, f"no count {key}"
    return match.group(1)


# the preview


def test_a_preview_shows_the_counts_the_columns_and_the_problems(app, editor):
    url = uploaded(editor, BAD_ROWS, "bad rows.csv")
    assert re.fullmatch(r"/segments/gold/upload/[0-9a-f]{24}", url)
    page = editor.get(url)
    assert page.status_code == 200
    html = page_text(page)
    assert "Preview ready" in html and "bad rows.csv" in html
    assert "Applying adds <strong>2</strong> members." in html
    assert _count(html, "rowsRead") == "4"
    assert _count(html, "validRows") == "2"
    assert _count(html, "membersToAdd") == "2"
    assert _count(html, "alreadyMembers") == "0"
    assert _count(html, "unknownCustomers") == "1"
    assert _count(html, "duplicateRows") == "1"
    assert 'class="count-membersToRemove' not in html  # not a question for an add
    assert '<span class="mono">customerId</span> as customer id' in html
    assert 'Ignored:</span><span class="mono">note</span>' in html
    assert "Encoding:</span> utf-8" in html
    problems = re.search(r'<table class="data import-problems">(.*?)</table>', html).group(1)
    assert '<td class="num">3</td><td class="mono">customerId</td>' in problems
    assert "Customer nobody is not in the directory." in problems
    assert "Download the 2 rejected rows (CSV)" in html
    assert members_of(app) == set()


def test_a_viewer_reads_an_import_without_its_actions(app, editor, viewer):
    url = uploaded(editor, BAD_ROWS)
    html = page_text(viewer.get(url))
    assert "Preview ready" in html and "Customer nobody is not in the directory." in html
    assert ">Apply</button>" not in html and "Discard" not in html
    assert viewer.get(f"{url}/rejected.csv").status_code == 200
    assert viewer.post(f"{url}/apply").status_code == 403
    assert viewer.post(f"{url}/discard").status_code == 403
    assert members_of(app) == set()


def test_apply_changes_the_membership(app, editor):
    url = uploaded(editor, BAD_ROWS)
    import_id = url.rsplit("/", 1)[1]
    applying = editor.post(f"{url}/apply", htmx=True)
    assert applying.status_code == 200
    fragment = page_text(applying)
    assert fragment.startswith(f'<section id="import-{import_id}"')
    assert f'hx-get="{url}?watch=apply" hx-trigger="every 1s"' in fragment
    wait_for_jobs(app)
    assert members_of(app) == {("c1", None), ("c2", None)}
    # the widget that watched the apply loads the page anew, for the header's member count
    polled = editor.get(f"{url}?watch=apply", htmx=True)
    assert polled.status_code == 204 and polled.headers["HX-Redirect"] == url
    assert "2 members" in page_text(editor.get(url))
    html = page_text(editor.get(url))
    assert "Applied" in html and "the segment's members have changed" in html
    assert _count(html, "membersToAdd") == "2"
    assert "Members added" in html
    assert 'href="/segments/gold/history"' in html
    assert "every 1s" not in html


def test_apply_without_javascript_goes_back_to_the_import_page(app, editor):
    url = uploaded(editor, csv_bytes("customerId", "c3"))
    response = editor.post(f"{url}/apply")
    assert response.status_code == 303
    assert response.headers["Location"] == url
    wait_for_jobs(app)
    assert members_of(app) == {("c3", None)}


def test_applying_twice_is_refused_with_the_reason(app, editor):
    url = uploaded(editor, csv_bytes("customerId", "c3"))
    editor.post(f"{url}/apply")
    wait_for_jobs(app)
    again = editor.post(f"{url}/apply", htmx=True)
    assert again.status_code == 200
    html = page_text(again)
    assert 'role="alert"' in html and "cannot be applied again" in html
    assert "error" in again.headers["HX-Trigger"]


def test_the_rejected_rows_download_with_their_row_and_reason(editor):
    url = uploaded(editor, BAD_ROWS, "bad rows.csv")
    response = editor.get(f"{url}/rejected.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        "attachment; filename=\"bad_rows-rejected.csv\"; filename*=UTF-8''bad%20rows-rejected.csv"
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows[0] == ["customerId", "note", "row", "reason"]
    assert rows[1] == ["nobody", "who", "3", "Customer nobody is not in the directory."]
    assert rows[2][:3] == ["c1", "again", "5"]


def test_an_uncertain_encoding_is_said_and_can_be_changed(app, editor):
    url = uploaded(editor, (DATA / "windows1252.csv").read_bytes(), "w.csv")
    html = page_text(editor.get(url))
    assert "could not be told for sure" in html
    assert '<details class="import-encoding" open>' in html
    assert '<label for="import-' in html
    again = editor.post(f"{url}/preview", data={"encoding": "iso-8859-1"}, htmx=True)
    assert again.status_code == 200
    assert 'hx-trigger="every 1s"' in page_text(again)
    wait_for_jobs(app)
    html = page_text(editor.get(url))
    assert "Encoding:</span> iso-8859-1 (chosen)" in html
    assert "could not be told for sure" not in html


def test_discarding_a_preview_offers_the_form_again(app, editor):
    url = uploaded(editor, BAD_ROWS)
    import_id = url.rsplit("/", 1)[1]
    tab = page_text(editor.get(UPLOAD_TAB))
    assert f'<section id="import-{import_id}"' in tab and 'type="file"' not in tab
    discarded = editor.post(f"{url}/discard")
    assert discarded.status_code == 303 and discarded.headers["Location"] == UPLOAD_TAB
    tab = page_text(editor.get(UPLOAD_TAB))
    assert 'type="file"' in tab and f"import-{import_id}" not in tab
    assert members_of(app) == set()


# the tab with a preview open


def test_coming_back_to_the_tab_shows_the_open_preview_with_a_way_to_start_anew(app, editor):
    url = uploaded(editor, BAD_ROWS)
    import_id = url.rsplit("/", 1)[1]
    html = page_text(editor.get(UPLOAD_TAB))
    assert f'<section id="import-{import_id}"' in html
    assert "Discard and upload another" in html
    assert 'type="file"' in page_text(editor.get(f"{UPLOAD_TAB}?new=1"))
    editor.post(f"{url}/apply")
    wait_for_jobs(app)
    assert 'type="file"' in page_text(editor.get(UPLOAD_TAB))


def test_the_tab_reads_a_fixed_number_of_queries(editor, count_queries):
    uploaded(editor, BAD_ROWS)
    with count_queries() as queries:
        assert editor.get(UPLOAD_TAB).status_code == 200
    assert queries() <= 8
