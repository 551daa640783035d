"""A segment's "Upload members" tab: the form and the files, modes and encodings it refuses,
who may upload, one import at a time, and an import while it runs (its progress, coming back to
it, its failure, other tenants kept out)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.models import MemberImport
from segments_app.models.types import utcnow
from segments_app.services.imports import create_import
from segments_app.services.imports.files import ENCODING_NAMES
from segments_app.web.uploads import ENCODING_CHOICES
from tests.factories import tenant_named
from tests.imports_support import DATA, UPLOAD_TAB, csv_bytes, upload, uploaded, wait_for_jobs
from tests.pages import page_text

pytestmark = pytest.mark.usefixtures("seeded_directory")


def imports_made(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(MemberImport))


def running_import(app: Flask, segment_id: str = "gold") -> str:
    """An import of `segment_id` that a (pretend) runner is working on; returns its id."""
    with app.app_context():
        imp = create_import(
            tenant_named(),
            segment_id,
            io.BytesIO(csv_bytes("customerId", "c1")),
            "busy.csv",
            enqueue=False,
        )
        imp.status, imp.phase = "running", "parsing"
        db.session.commit()
        return imp.id


def change_import(app: Flask, import_id: str, **values) -> None:
    with app.app_context():
        imp = db.session.scalar(select(MemberImport).where(MemberImport.id == import_id))
        for key, value in values.items():
            setattr(imp, key, value)
        db.session.commit()


# the form


def test_the_tab_shows_the_form_with_labelled_fields(editor):
    page = editor.get(UPLOAD_TAB)
    assert page.status_code == 200
    html = page_text(page)
    assert 'aria-current="page">Upload members</a>' in html
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert '<label for="upload-file">' in html
    assert 'accept=".csv,.csv.gz,.gz,.zip,text/csv"' in html
    for mode in ("add", "remove", "replace"):
        assert f'<label class="choice" for="upload-mode-{mode}">' in html
    assert "remove everyone else" in html
    assert '<label for="upload-encoding">Encoding (optional)</label>' in html


def test_every_encoding_offered_is_one_the_import_reads():
    assert {value for value, _ in ENCODING_CHOICES if value} <= set(ENCODING_NAMES.values())


def test_a_viewer_reads_the_tab_but_cannot_upload(app, viewer):
    page = viewer.get(UPLOAD_TAB)
    assert page.status_code == 200
    html = page_text(page)
    assert "Your role cannot upload members" in html
    assert 'type="file"' not in html
    refused = upload(viewer, csv_bytes("customerId", "c1"))
    assert refused.status_code == 403
    assert imports_made(app) == 0


def test_an_upload_without_the_csrf_token_is_refused(app, editor):
    response = editor.post(
        UPLOAD_TAB,
        data={"file": (io.BytesIO(csv_bytes("customerId", "c1")), "m.csv"), "mode": "add"},
        content_type="multipart/form-data",
        csrf=False,
    )
    assert response.status_code == 400
    assert imports_made(app) == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("junk.csv", "This is not a text file"),
        ("empty.csv", "The file is empty"),
        ("two_files.zip", "it must hold exactly one CSV file"),
        # a header with no known column is not refused: the tab asks which column is which
        # (test_upload_states)
    ],
)
def test_a_refused_file_is_reported_beside_the_file_field(app, editor, name, message):
    response = upload(editor, (DATA / name).read_bytes(), name, htmx=True)
    assert response.status_code == 422
    html = page_text(response)
    assert html.startswith('<form id="upload-form"')
    errors = re.search(r'<ul class="field-errors" id="upload-file-errors">(.*?)</ul>', html)
    assert errors and message in errors.group(1)
    assert 'aria-describedby="upload-file-hint upload-file-errors"' in html
    assert imports_made(app) == 0


def test_a_damaged_file_is_reported_beside_the_file_field(app, editor):
    """A gzip header followed by zeros: the decompressor's error becomes the field's."""
    damaged = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(200)
    response = upload(editor, damaged, "members.csv.gz", htmx=True)
    assert response.status_code == 422
    errors = re.search(r'id="upload-file-errors">(.*?)</ul>', page_text(response))
    assert errors and "The gzip file is damaged and cannot be read" in errors.group(1)
    assert imports_made(app) == 0


def test_a_file_over_the_limit_is_refused_naming_the_limit(editor, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 2048)
    response = upload(editor, csv_bytes("customerId", *(["c1"] * 2000)))
    assert response.status_code == 422
    assert "larger than the limit of 2 KB" in page_text(response)
    assert "<html" in page_text(response)
    assert imports_made(app) == 0


def test_no_file_is_asked_for(app, editor):
    response = upload(editor, None)
    assert response.status_code == 422
    assert "Choose the CSV file to upload." in page_text(response)
    assert imports_made(app) == 0


def test_a_mode_or_encoding_not_offered_is_refused(app, editor):
    response = upload(editor, csv_bytes("customerId", "c1"), mode="merge", encoding="klingon")
    assert response.status_code == 422
    html = page_text(response)
    assert "Choose add, remove or replace." in html
    assert "Choose an encoding from the list." in html
    assert imports_made(app) == 0


def test_a_second_import_is_refused_while_one_runs(app, editor):
    busy = running_import(app)
    response = upload(editor, csv_bytes("customerId", "c2"), htmx=True)
    assert response.status_code == 422
    html = page_text(response)
    assert f"Import {busy} (busy.csv) is running for segment gold" in html
    assert "Wait for it to finish." in html
    assert f'href="/segments/gold/upload/{busy}"' in html
    assert imports_made(app) == 1


def test_the_tab_lets_a_new_upload_in_once_the_running_import_went_silent(app, editor):
    """Its process was killed: the tab (a read) marks it failed and says so, and the segment
    takes a new upload."""
    busy = running_import(app)
    stale = app.config["IMPORT_STALE_SECONDS"] + 1
    change_import(app, busy, heartbeat_at=utcnow() - timedelta(seconds=stale))
    html = page_text(editor.get(UPLOAD_TAB))
    assert "Interrupted: the process running it stopped." in html
    with app.app_context():
        imp = db.session.scalar(select(MemberImport).where(MemberImport.id == busy))
        assert (imp.status, imp.error[:12]) == ("failed", "Interrupted:")
    assert upload(editor, csv_bytes("customerId", "c2")).status_code == 303


# while it runs


def test_the_progress_fragment_polls_while_running_and_stops_when_done(app, editor, count_queries):
    busy = running_import(app)
    change_import(app, busy, rows_done=1200, rows_estimated=4800, rows_per_second=600.0)
    change_import(app, busy, seconds_left=6.0)
    url = f"{UPLOAD_TAB}/{busy}"
    with count_queries() as queries:
        polled = editor.get(url, htmx=True)
    assert polled.status_code == 200
    assert queries() <= 4
    html = page_text(polled)
    assert html.startswith(f'<section id="import-{busy}"')
    assert 'hx-trigger="every 1s"' in html and 'hx-swap="outerHTML"' in html
    assert 'aria-live="polite"' in html
    assert "Reading the file" in html and "25%" in html
    assert 'role="progressbar"' in html and 'aria-valuenow="25"' in html
    assert "1,200" in html and "600" in html and "about 6 s" in html
    assert "<html" not in html

    page = page_text(editor.get(url))
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert f'<a href="{url}">Refresh</a>' in page

    change_import(app, busy, phase="validating")
    assert "Checking the rows against the directory" in page_text(editor.get(url, htmx=True))

    change_import(
        app,
        busy,
        status="previewed",
        phase=None,
        problems=[],
        counts={"rowsRead": 1, "validRows": 1},
    )
    done = page_text(editor.get(url, htmx=True))
    assert "hx-trigger" not in done
    assert "Preview ready" in done


def test_coming_back_to_the_tab_shows_the_running_import(app, editor):
    busy = running_import(app)
    tab = editor.get(UPLOAD_TAB)
    assert tab.status_code == 200
    html = page_text(tab)
    assert f'<section id="import-{busy}"' in html
    assert f'hx-get="{UPLOAD_TAB}/{busy}" hx-trigger="every 1s"' in html
    assert 'type="file"' not in html
    assert 'type="file"' not in page_text(editor.get(f"{UPLOAD_TAB}?new=1"))


def test_the_rejected_rows_are_refused_while_the_import_runs(app, editor):
    busy = running_import(app)
    assert editor.get(f"{UPLOAD_TAB}/{busy}/rejected.csv").status_code == 409


def test_htmx_upload_navigates_to_the_import(app, editor):
    response = upload(editor, csv_bytes("customerId", "c1"), htmx=True)
    assert response.status_code == 204
    assert re.fullmatch(r"/segments/gold/upload/[0-9a-f]{24}", response.headers["HX-Redirect"])
    wait_for_jobs(app)


def test_a_failed_run_shows_its_reason(editor):
    url = uploaded(editor, (DATA / "header_only.csv").read_bytes(), "header_only.csv")
    html = page_text(editor.get(url))
    assert "Failed" in html and "nothing was changed" in html
    assert "The file has a header but no member rows." in html


def test_another_tenants_import_is_not_found(app, editor, make_browser, other_tenant):
    busy = running_import(app)
    stranger = make_browser("editor", tenant_name=other_tenant)
    assert stranger.get(f"{UPLOAD_TAB}/{busy}").status_code == 404
    assert stranger.post(f"{UPLOAD_TAB}/{busy}/apply").status_code == 404
