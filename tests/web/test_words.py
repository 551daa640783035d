"""The dashboard's words (issue 14): form errors in a marketer's words beside their fields,
language names, what a segment page shows of what was entered, times typed in the browser's
zone and stored in UTC, the members tab's copy, copy buttons and an empty tenant's first run."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from segments_app.extensions import db
from segments_app.models import Segment
from segments_app.services.segments import create_segment
from segments_app.web.words import language_choice, language_name, marketer_errors, words_for
from tests.factories import add_customer, tenant_named
from tests.pages import page_text

NEW = "/new-segment"
TEMPLATES = Path(__file__).parents[2] / "templates"


def _form(**fields) -> dict:
    data = {"language": ["en"], "name.en": "Gold", "siteCode": "main", "status": "ACTIVE"}
    data.update(fields)
    return data


def _segment(app, segment_id: str = "gold", **doc) -> None:
    with app.app_context():
        body = {"id": segment_id, "name": {"en": "Gold"}, "siteCode": "main", **doc}
        create_segment(tenant_named(), body, "")
        db.session.commit()


def _stored(app, segment_id: str = "gold") -> Segment:
    with app.app_context():
        segment = db.session.query(Segment).filter_by(id=segment_id).one()
        db.session.expunge(segment)
        return segment


# the translation table


def test_language_names_are_the_ui_languages_with_regions_and_unknown_codes_kept():
    assert language_name("en") == "English"
    assert language_name("de") == "German"
    assert language_name("fr-CH") == "French (CH)"
    assert language_name("xx") == "xx"
    assert language_choice("de") == "German — Deutsch"
    assert language_choice("en") == "English"


def test_the_table_gives_words_by_field_and_type_and_keeps_what_it_does_not_know():
    assert words_for("name.de", "minLength", "name.de must not be empty.") == [
        ("name.de", "Enter a name in German.")
    ]
    assert words_for("siteCode", "minLength", "siteCode must not be empty.") == [
        ("siteCode", "Enter the storefront site, such as “main”.")
    ]
    crossed = words_for("validity.from", "range", "validity.from (a) must not be after ...")
    assert [where for where, _ in crossed] == ["validity.from", "validity.to"]
    assert words_for("metadata.version", "odd", "As the API says.") == [
        ("metadata.version", "As the API says.")
    ]
    details = [
        {"field": "name.en", "type": "minLength", "message": "x"},
        {"field": "name.en", "type": "required", "message": "y"},
    ]
    assert marketer_errors(details) == {"name.en": ["Enter a name in English."]}


# the segment form


def test_form_errors_name_the_language_and_the_api_keeps_its_words(app, editor, client):
    response = editor.post(NEW, data=_form(**{"language": ["en", "de"], "name.de": ""}))
    assert response.status_code == 422
    html = page_text(response)
    assert 'id="f-name-de-errors"><li>Enter a name in German.' in html
    assert "name.de must not be empty" not in html
    assert '<label for="f-name-de">Name (German)' in html


def test_the_form_offers_languages_by_name(editor):
    html = page_text(editor.get(NEW))
    assert '<option value="de" >German — Deutsch</option>' in html
    assert '<label for="f-name-en">Name (English)' in html


def test_times_typed_in_the_browsers_zone_are_stored_in_utc(app, editor):
    data = _form(
        id="berlin",
        **{
            "validity.from": "2030-07-01T12:00",  # summer: UTC+2
            "validity.to": "2030-12-01T12:00",  # winter: UTC+1
            "tz": "Europe/Berlin",
            "tz-offset": "120",
        },
    )
    assert editor.post(NEW, data=data).status_code == 303
    segment = _stored(app, "berlin")
    assert segment.valid_from == datetime(2030, 7, 1, 10, 0, tzinfo=UTC)
    assert segment.valid_to == datetime(2030, 12, 1, 11, 0, tzinfo=UTC)
    # the form shows UTC again, for the script to show in the browser's zone
    html = page_text(editor.get("/segments/berlin/edit"))
    assert 'name="validity.from" type="datetime-local" value="2030-07-01T10:00"' in html
    assert '<input type="hidden" name="tz" value="UTC" data-time-zone>' in html


@pytest.mark.parametrize(
    ("zone", "offset", "hour"),
    [("Not/AZone", "-300", 17), ("", "60", 11), ("UTC", "", 12), ("", "junk", 12)],
)
def test_a_zone_the_server_does_not_know_falls_back_to_the_offset(app, editor, zone, offset, hour):
    data = _form(id="z", **{"validity.from": "2030-01-01T12:00", "tz": zone, "tz-offset": offset})
    assert editor.post(NEW, data=data).status_code == 303
    assert _stored(app, "z").valid_from == datetime(2030, 1, 1, hour, 0, tzinfo=UTC)


def test_a_row_action_keeps_the_times_in_utc(editor):
    data = _form(**{"validity.from": "2030-07-01T12:00", "tz": "Europe/Berlin"})
    response = editor.post(NEW, data={**data, "action": "add-mixin"}, htmx=True)
    assert 'value="2030-07-01T10:00"' in page_text(response)


# the segment page


def test_the_segment_page_shows_what_was_entered_and_the_breadcrumb_its_name(app, editor):
    _segment(
        app,
        name={"en": "Gold", "de": "Goldkunden"},
        description={"en": "Our best customers."},
        mixins={"tier": "gold", "priority": 3, "flags": {"vip": True}},
        validity={"from": "2030-01-01T00:00:00.000Z"},
    )
    html = page_text(editor.get("/segments/gold"))
    assert '<a href="/segments">Segments</a> / <span>Gold</span>' in html
    assert "Our best customers." in html
    assert '<dt>Name in German</dt><dd lang="de">Goldkunden</dd>' in html
    assert "<dt>tier</dt><dd>gold</dd>" in html and "<dt>priority</dt><dd>3</dd>" in html
    assert '<dt>flags</dt><dd><code>{"vip": true}</code></dd>' in html
    assert '<time datetime="2030-01-01T00:00:00Z" data-local>01 Jan 2030 00:00 UTC</time>' in html
    edit = page_text(editor.get("/segments/gold/edit"))
    assert '<a href="/segments/gold">Gold</a>' in edit


def test_a_segment_without_extras_shows_no_empty_section(app, editor):
    _segment(app)
    assert "segment-about" not in page_text(editor.get("/segments/gold"))


# the members tab and the customer view


def test_an_empty_members_tab_says_where_the_finder_is_and_offers_no_export(app, editor):
    _segment(app)
    html = page_text(editor.get("/segments/gold"))
    assert "Use the finder under “Add a member”" in html
    assert "below" not in html
    assert "Export all as CSV" not in html
    with app.app_context():
        add_customer("acme", "c-1")
        db.session.commit()
    editor.post("/segments/gold/members", data={"customer_id": "c-1"})
    assert _stored(app).member_count == 1
    assert "Export all as CSV" in page_text(editor.get("/segments/gold"))


def test_the_customer_view_speaks_without_api_paths():
    for name in ("_customer_view.html", "_match.html"):
        text = (TEMPLATES / "catalog" / name).read_text()
        assert not re.search(r"\b(GET|POST) /", text), name


# copy buttons and the first run


def test_a_new_users_password_and_a_new_clients_secret_have_copy_buttons(admin):
    user = admin.post("/settings/users", data={"email": "n@acme.example", "role": "editor"})
    html = page_text(user)
    assert (
        '<button class="btn btn-small copy-button" type="button" data-copy="new-password">' in html
    )
    assert 'role="status" aria-live="polite" data-copy-status' in html
    client = admin.post(
        "/settings/clients",
        data={"name": "CRM", "scopes": ["customersegment.segment_read"]},
    )
    assert 'data-copy="new-client-secret"' in page_text(client)


def test_an_empty_tenant_gets_a_first_run_guide_with_links(app, editor, admin):
    html = page_text(editor.get("/"))
    assert "Get started" in html
    for href in ('href="/new-segment"', 'href="/segments"', 'href="/catalog"', 'href="/docs"'):
        assert href in html
    assert "directory import --tenant acme" in html
    assert "An admin of your team creates API clients" in html
    assert 'href="/settings/clients"' in page_text(admin.get("/"))
    _segment(app)
    after = page_text(editor.get("/"))
    assert "Get started" not in after and "Largest segments" in after


def test_every_page_loads_the_scripts_for_times_and_keys(editor):
    html = page_text(editor.get("/"))
    assert "/static/js/local-time.js" in html and "/static/js/keys.js" in html
