"""Settings for admins: the tenant's languages and its default language, saved with or without
htmx, and the errors shown beside the fields."""

from __future__ import annotations

import re

import pytest

from tests.pages import hx_events
from tests.web.dashboard_support import tenant_now as _tenant_now


def test_languages_page_shows_the_languages_and_the_default(admin):
    body = admin.get("/settings/languages").text
    # by name, the code beside it
    assert 'English <code class="muted">en</code>' in body
    assert 'German — Deutsch <code class="muted">de</code>' in body
    assert re.search(r'name="default" value="en" checked', body)


def test_add_and_remove_languages_and_pick_a_new_default(app, admin):
    response = admin.post(
        "/settings/languages", data={"remove": "de", "add": "fr, it-CH", "default": "+"}
    )
    assert response.status_code == 303
    tenant = _tenant_now(app)
    assert tenant.languages == ["en", "fr", "it-CH"]
    assert tenant.default_language == "fr"
    assert "Saved: en, fr, it-CH; default fr." in admin.get("/settings/languages").text


def test_save_languages_with_htmx(app, admin):
    response = admin.post("/settings/languages", data={"default": "de"}, htmx=True)
    assert response.status_code == 200
    body = response.text
    assert body.lstrip().startswith('<section class="card" id="languages"')
    assert re.search(r'name="default" value="de" checked', body)
    assert hx_events(response)["notify"]["message"] == "Saved: en, de; default de."
    assert _tenant_now(app).default_language == "de"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"default": "en", "add": "fr, not a tag"}, "languages", "Not a language tag: not a tag"),
        ({"default": "en", "remove": ["en", "de"]}, "languages", "Name at least one language."),
        ({"default": "de", "remove": "de"}, "defaultLanguage", "must be one of the languages"),
    ],
)
def test_language_errors_are_shown_beside_the_fields(app, admin, data, field, message):
    response = admin.post("/settings/languages", data=data, htmx=True)
    assert response.status_code == 422
    body = response.text
    errors = re.search(rf'<ul class="field-errors" id="f-{field}-errors">(.*?)</ul>', body, re.S)
    assert errors and message in errors.group(1)
    assert 'aria-invalid="true"' in body
    for code in [data["remove"]] if isinstance(data.get("remove"), str) else data.get("remove", []):
        assert re.search(rf'name="remove" value="{code}" checked', body)
    if "add" in data:
        assert f'value="{data["add"]}"' in body
    tenant = _tenant_now(app)
    assert tenant.languages == ["en", "de"]
    assert tenant.default_language == "en"
