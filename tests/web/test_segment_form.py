"""The form that creates a segment: its page and fragment, saving languages, validity and
mixins, the errors shown beside their fields (limits and row numbers too), and adding or dropping
languages and mixin rows without saving."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.limits import JSON_MAX_DEPTH, NAME_MAX_LENGTH
from segments_app.models import Segment
from tests.pages import HUGE, page_text
from tests.web.dashboard_support import NEW_SEGMENT as NEW
from tests.web.dashboard_support import stored_segment as _stored


def _form(**fields) -> dict:
    data = {"language": ["en"], "name.en": "Gold", "siteCode": "main", "status": "ACTIVE"}
    data.update(fields)
    return data


def test_new_segment_form_page_and_fragment(editor, seed):
    seed("one", siteCode="main")
    seed("other", siteCode="outlet")
    page = editor.get(NEW)
    assert page.status_code == 200
    html = page_text(page)
    assert 'name="name.en"' in html and 'name="description.en"' in html
    assert '<option value="de"' in html  # can add German
    assert '<datalist id="site-codes"><option value="main"></option><option value="outlet">' in html
    assert 'type="datetime-local"' in html and "UTC" in html
    assert 'name="id"' in html
    assert "<html" not in page_text(editor.get(NEW, htmx=True))


def test_create_with_two_languages_validity_and_mixins(editor, app):
    data = _form(
        **{
            "language": ["en", "de"],
            "name.en": " Gold ",
            "name.de": "Gold DE",
            "description.de": "Beste Kunden",
            "description.en": "",
            "validity.from": "2030-01-02T08:30",
            "validity.to": "",
            "mixin-key": ["tier", "limits", "code", "zip", "note", ""],
            "mixin-value": ["3", '{"max": 5}', '"12"', "01234", "gold tier", ""],
            "id": "gold-2030",
        }
    )
    response = editor.post(NEW, data=data)
    assert response.status_code == 303, page_text(response)
    assert response.headers["Location"] == "/segments/gold-2030"
    segment = _stored(app, "gold-2030")
    assert segment.name == {"en": "Gold", "de": "Gold DE"}
    assert segment.description == {"de": "Beste Kunden"}
    assert segment.valid_from == datetime(2030, 1, 2, 8, 30, tzinfo=UTC)
    assert segment.valid_to is None
    assert segment.mixins == {
        "tier": 3,
        "limits": {"max": 5},
        "code": "12",
        "zip": "01234",
        "note": "gold tier",
    }


def test_created_without_id_gets_a_generated_one(editor, app):
    response = editor.post(NEW, data=_form())
    location = response.headers["Location"]
    assert re.fullmatch(r"/segments/[0-9a-f]{24}", location)


def test_create_errors_stand_beside_their_fields(editor, app):
    response = editor.post(
        NEW,
        data=_form(
            **{
                "name.en": "",
                "siteCode": " ",
                "validity.from": "2030-02-01T00:00",
                "validity.to": "2030-01-01T00:00",
            }
        ),
    )
    assert response.status_code == 422
    html = page_text(response)
    assert re.search(r'id="f-name-en"[^>]*aria-invalid="true"', html, re.S)
    assert '<ul class="field-errors" id="f-name-en-errors"><li>Enter a name in English.' in html
    assert 'id="f-siteCode-errors"><li>Enter the storefront site, such as “main”.' in html
    assert "must not be empty" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Segment)) == 0


def test_validity_order_error_is_beside_both_dates(editor):
    response = editor.post(
        NEW, data=_form(**{"validity.from": "2030-02-01T00:00", "validity.to": "2030-01-01T00:00"})
    )
    assert response.status_code == 422
    html = page_text(response)
    assert 'id="f-validity-from-errors"><li>The start date is after the end date.' in html
    assert 'id="f-validity-to-errors"><li>The end date is before the start date.' in html
    assert re.search(r'id="f-validity-to"[^>]*aria-invalid="true"', html, re.S)


def test_form_shape_errors(editor, seed):
    seed("taken")
    bad_date = editor.post(NEW, data=_form(**{"validity.to": "next tuesday"}))
    assert bad_date.status_code == 422
    assert 'id="f-validity-to-errors"><li>Enter a date and time' in page_text(bad_date)
    bad_json = editor.post(
        NEW, data=_form(**{"mixin-key": ["a", "a", ""], "mixin-value": ["{oops", "1", "x"]})
    )
    html = page_text(bad_json)
    assert bad_json.status_code == 422
    assert 'id="mixin-0-errors"><li>This reads as JSON but is not valid JSON' in html
    assert 'id="mixin-1-errors"><li>The key' not in html  # the first "a" failed, so no twice
    assert 'id="mixin-2-errors"><li>Give this value a key' in html
    taken = editor.post(NEW, data=_form(id="taken"))
    assert taken.status_code == 422
    assert 'id="f-id-errors"><li>A segment with this id exists already.' in page_text(taken)
    reserved = editor.post(NEW, data=_form(id="bulk"))
    assert "reserved" in page_text(reserved)


def test_duplicate_mixin_keys_are_refused(editor):
    response = editor.post(NEW, data=_form(**{"mixin-key": ["a", "a"], "mixin-value": ["1", "2"]}))
    assert response.status_code == 422
    assert 'id="mixin-1-errors"><li>The key &#39;a&#39; is used twice.' in page_text(response)


def test_errors_come_back_as_the_form_fragment_for_htmx(editor):
    response = editor.post(NEW, data=_form(**{"name.en": ""}), htmx=True)
    assert response.status_code == 422
    html = page_text(response)
    assert "<html" not in html and html.lstrip().startswith('<div id="segment-form"')


def test_add_and_drop_a_language_without_saving(editor, app):
    added = editor.post(
        NEW, data=_form(action="add-language", add_language="de", **{"name.en": "Kept"})
    )
    assert added.status_code == 200
    html = page_text(added)
    assert 'name="name.de"' in html and 'value="Kept"' in html
    assert re.search(r'id="f-name-de"[^>]*data-autofocus', html, re.S)
    assert "Add a language" not in html  # no language left to add
    dropped = editor.post(
        NEW,
        data=_form(
            action="drop-language:en", **{"language": ["en", "de"], "name.de": "Nur Deutsch"}
        ),
        htmx=True,
    )
    html = page_text(dropped)
    assert dropped.status_code == 200 and "<html" not in html
    assert 'name="name.en"' not in html and 'value="Nur Deutsch"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Segment)) == 0


def test_add_and_remove_mixin_rows_without_saving(editor):
    added = page_text(
        editor.post(NEW, data=_form(action="add-mixin", **{"mixin-key": "a", "mixin-value": "1"}))
    )
    assert added.count('name="mixin-key"') == 2
    assert re.search(r'id="mixin-key-1"[^>]*data-autofocus', added, re.S)
    removed = page_text(
        editor.post(
            NEW,
            data=_form(
                action="drop-mixin:0", **{"mixin-key": ["a", "b"], "mixin-value": ["1", "2"]}
            ),
        )
    )
    assert removed.count('name="mixin-key"') == 1 and 'value="b"' in removed


def test_row_buttons_post_the_form_with_htmx_and_save_is_the_default_button(editor):
    html = page_text(editor.get(NEW))
    form = html[html.index('<form class="card"') :]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'value="save"' in first_button
    assert re.search(r'value="add-mixin"\s+hx-post="/new-segment"', html)


def test_admin_and_editor_may_create(admin, editor):
    assert admin.post(NEW, data=_form(id="a1")).status_code == 303
    assert editor.post(NEW, data=_form(id="e1")).status_code == 303


# limits and row numbers


def test_a_name_over_its_limit_is_refused_beside_it(editor):
    response = editor.post(NEW, data=_form(**{"name.en": "x" * (NAME_MAX_LENGTH + 1)}))
    assert response.status_code == 422
    html = page_text(response)
    assert re.search(r'id="f-name-en"[^>]*aria-invalid="true"', html, re.S)
    assert 'id="f-name-en-errors"><li>Shorten the name to 255 characters; it has 256.' in html


def test_mixin_values_over_their_limits_are_refused_beside_their_row(editor):
    deep = "[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1)
    very_deep = "[" * 100_000 + "]" * 100_000
    many = "[" + ",".join("0" * 1 for _ in range(1001)) + "]"
    response = editor.post(
        NEW, data=_form(**{"mixin-key": ["a", "b"], "mixin-value": [deep, very_deep]})
    )
    assert response.status_code == 422
    html = page_text(response)
    assert f'id="mixin-0-errors"><li>This nests more than {JSON_MAX_DEPTH} levels deep.' in html
    assert 'id="mixin-1-errors"><li>This nests more than' in html
    response = editor.post(NEW, data=_form(**{"mixin-key": ["tags"], "mixin-value": [many]}))
    assert response.status_code == 422
    assert 'id="mixin-0-errors"><li>mixins.tags has 1,001 elements' in page_text(response)


def test_form_row_numbers_that_are_not_numbers_change_nothing(editor):
    for raw in ("²", HUGE, "-1"):
        response = editor.post(
            NEW, data=_form(action=f"drop-mixin:{raw}", **{"mixin-key": "a", "mixin-value": "1"})
        )
        assert response.status_code == 200, raw
        assert page_text(response).count('name="mixin-key"') == 1
    response = editor.post(NEW, data=_form(version="²"))
    assert response.status_code == 303
