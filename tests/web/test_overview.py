"""The overview's "Running and recent imports": the tenant's imports, running ones first with
their progress, then the latest with their segment, status and counts."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from sqlalchemy import select

from segments_app.extensions import db
from segments_app.models import MemberImport, Segment, Tenant
from segments_app.services.imports import create_import
from segments_app.services.imports.queries import tenant_recent_imports
from segments_app.services.tenants import create_tenant
from tests.factories import tenant_named
from tests.imports_support import csv_bytes, uploaded
from tests.pages import page_text

pytestmark = pytest.mark.usefixtures("seeded_directory")


def made_import(app: Flask, name: str, status: str, segment_id: str = "gold", **values) -> str:
    with app.app_context():
        imp = create_import(
            tenant_named(),
            segment_id,
            io.BytesIO(csv_bytes("customerId", "c1")),
            name,
            enqueue=False,
        )
        imp.status = status
        for key, value in values.items():
            setattr(imp, key, value)
        db.session.commit()
        return imp.id


def _section(html: str) -> str:
    found = re.search(r'<section id="overview-imports".*?</section>', html)
    assert found, "no imports section"
    return found.group(0)


def test_the_overview_shows_recent_imports_with_segment_status_and_counts(app, editor):
    url = uploaded(editor, csv_bytes("customerId", "c1", "c2", "nobody"), "spring.csv")
    import_id = url.rsplit("/", 1)[1]
    page = editor.get("/")
    assert page.status_code == 200
    html = page_text(page)
    assert "Largest segments" in html and "Membership changes, last 30 days" in html
    section = _section(html)
    assert "Running and recent imports" in section
    row = re.search(rf'<tr id="overview-import-{import_id}">(.*?)</tr>', section).group(1)
    assert '<a href="/segments/gold">gold</a>' in row
    assert f'href="/segments/gold/upload/{import_id}">spring.csv</a>' in row
    assert "Preview ready" in row and "Preview: 2 to add, 1 rejected" in row
    assert "editor@acme.example" in row
    assert "None running now." in section and "hx-trigger" not in section


def test_running_imports_come_first_with_their_progress_and_the_list_polls(app, editor):
    made_import(app, "old.csv", "applied", counts={"membersToAdd": 3})
    running = made_import(
        app, "busy.csv", "running", segment_id="silver", phase="parsing", rows_done=500
    )
    made_import(app, "new.csv", "previewed", counts={"membersToAdd": 1})
    section = _section(page_text(editor.get("/")))
    assert re.findall(r'<tr id="overview-import-([0-9a-f]{24})">', section)[0] == running
    assert 'hx-get="/overview/imports" hx-trigger="every 2s"' in section
    assert "1 running now" in section
    assert 'role="progressbar"' in section and "500 rows" in section
    assert 'aria-live="polite"' in section
    assert section.index("new.csv") < section.index("old.csv")
    assert "3 added" in section

    fragment = editor.get("/overview/imports", htmx=True)
    assert fragment.status_code == 200
    assert page_text(fragment).startswith('<section id="overview-imports"')
    assert editor.get("/overview/imports").status_code == 302

    with app.app_context():
        imp = db.session.scalar(select(MemberImport).where(MemberImport.id == running))
        imp.status, imp.phase = "previewed", None
        db.session.commit()
    assert "hx-trigger" not in page_text(editor.get("/overview/imports", htmx=True))


def test_no_imports_says_where_to_upload(editor, viewer):
    section = _section(page_text(viewer.get("/")))
    assert "No imports yet" in section and "Upload members" in section
    assert 'href="/segments"' in section


def test_the_list_is_one_query_and_the_tenants_own(app, editor, count_queries):
    for n in range(3):
        made_import(app, f"a{n}.csv", "applied")
    with app.app_context():
        other = create_tenant("globex", ["en"], "en")
        db.session.flush()
        db.session.add(Segment(tenant_id=other.id, id="gold", name={"en": "G"}, site_code="x"))
        db.session.commit()
    with count_queries() as few:
        editor.get("/overview/imports", htmx=True)
    for n in range(12):
        made_import(app, f"b{n}.csv", "previewed", segment_id="silver")
    with count_queries() as many:
        section = page_text(editor.get("/overview/imports", htmx=True))
    assert many() == few()
    assert len(re.findall(r'<tr id="overview-import-', section)) == 8
    with app.app_context():
        globex = db.session.scalar(select(Tenant).where(Tenant.name == "globex"))
        assert db.session.scalars(tenant_recent_imports(globex, 10)).all() == []
