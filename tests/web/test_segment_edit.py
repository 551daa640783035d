"""Editing a stored segment: the form shows its values, saving keeps what the form does not
show, an edit that lost a race to another save, and one that lost track of its version."""

from __future__ import annotations

from segments_app.extensions import db
from segments_app.services.segments import get_segment, upsert_segment
from tests.factories import tenant_named
from tests.pages import page_text
from tests.web.dashboard_support import stored_segment as _stored


def test_edit_form_shows_the_stored_values(editor, seed):
    seed(
        "gold",
        {"en": "Gold", "de": "Gold DE"},
        description={"de": "Beste"},
        validity={"from": "2030-01-02T08:30:15Z"},
        mixins={"tier": 3, "code": "12", "note": "text", "deep": {"a": [1]}},
    )
    page = editor.get("/segments/gold/edit")
    assert page.status_code == 200
    html = page_text(page)
    assert 'name="version" value="1"' in html
    assert 'value="Gold DE"' in html and ">Beste</textarea>" in html
    assert 'value="2030-01-02T08:30:15"' in html and 'step="1"' in html
    assert 'value="3"' in html and 'value="&#34;12&#34;"' in html and 'value="text"' in html
    assert 'name="id"' not in html
    assert "<html" not in page_text(editor.get("/segments/gold/edit", htmx=True))


def test_edit_saves_and_keeps_what_the_form_does_not_show(editor, app, seed):
    seed(
        "gold",
        mixins={"tier": 3, "code": "12"},
        metadata={"mixins": {"schema": "https://example.com/s.json"}},
    )
    html = page_text(editor.get("/segments/gold/edit"))
    assert 'value="&#34;12&#34;"' in html
    response = editor.post(
        "/segments/gold/edit",
        data={
            "version": "1",
            "language": ["en"],
            "name.en": "Gold renamed",
            "siteCode": "main",
            "status": "INACTIVE",
            "mixin-key": ["tier", "code"],
            "mixin-value": ["3", '"12"'],
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/segments/gold"
    segment = _stored(app, "gold")
    assert segment.name == {"en": "Gold renamed"}
    assert segment.status == "INACTIVE"
    assert segment.version == 2
    assert segment.mixins == {"tier": 3, "code": "12"}
    assert segment.metadata_mixins == {"schema": "https://example.com/s.json"}


def test_edit_of_unknown_segment_is_404(editor, tenant):
    assert editor.get("/segments/nope/edit").status_code == 404


def test_edit_that_lost_a_race_shows_the_newer_values_and_keeps_mine(editor, app, seed):
    seed("gold", {"en": "Gold"})
    with app.app_context():
        upsert_segment(
            tenant_named(),
            "gold",
            {"name": {"en": "Gold (theirs)"}, "siteCode": "outlet", "status": "ACTIVE"},
            "",
        )
        db.session.commit()
    mine = {
        "version": "1",
        "language": ["en"],
        "name.en": "Gold (mine)",
        "siteCode": "main",
        "status": "ACTIVE",
    }
    response = editor.post("/segments/gold/edit", data=mine)
    assert response.status_code == 422
    html = page_text(response)
    assert "Someone else saved this segment meanwhile" in html
    assert '<th scope="row">Name (English)</th><td>Gold (mine)</td><td>Gold (theirs)</td>' in html
    assert '<th scope="row">Site</th><td>main</td><td>outlet</td>' in html
    main_form = html[html.index('<form class="card"') :]
    assert 'name="version" value="2"' in main_form
    assert 'value="Gold (theirs)"' in main_form and 'value="Gold (mine)"' not in main_form
    assert _stored(app, "gold").name == {"en": "Gold (theirs)"}
    # saving mine on purpose: the "save my version" form carries the newer version
    mine_form = html[html.index("Save my version over theirs") - 1500 :]
    assert 'name="version" value="2"' in mine_form
    overwrite = editor.post("/segments/gold/edit", data={**mine, "version": "2"})
    assert overwrite.status_code == 303
    assert _stored(app, "gold").name == {"en": "Gold (mine)"}


def test_edit_without_a_version_is_not_saved(editor, app, seed):
    seed("gold")
    response = editor.post(
        "/segments/gold/edit",
        data={"language": ["en"], "name.en": "X", "siteCode": "main", "status": "ACTIVE"},
    )
    assert response.status_code == 422
    assert "lost track of the version" in page_text(response)
    with app.app_context():
        assert get_segment(tenant_named(), "gold").name == {"en": "Gold"}
