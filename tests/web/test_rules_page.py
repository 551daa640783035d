"""A segment's Rule tab: the editor and its rows, the live preview, errors beside the rows,
saving and watching the rule run, freezing a rule into a list and converting a list."""

from __future__ import annotations

import re
import time

import pytest

from segments_app.extensions import db
from segments_app.models.types import utcnow
from segments_app.services.segments import create_segment
from tests.factories import tenant_named
from tests.pages import page_text
from tests.rules_support import add_evaluation, members

URL = "/segments/gold/rule"


def customer(record_id: str, **attributes) -> dict:
    return {
        "id": record_id,
        "email": f"{record_id}@example.com",
        "firstName": record_id.upper(),
        "lastName": "Doe",
        "attributes": attributes,
    }


@pytest.fixture
def shop(app, api):
    """Segments 'gold' (a list) and 'vip' of tenant acme; customers c1..c4 with attributes
    tier, orders and tags."""
    with app.app_context():
        for segment_id, name in (("gold", "Gold"), ("vip", "VIP")):
            create_segment(
                tenant_named(), {"id": segment_id, "name": {"en": name}, "siteCode": "main"}, ""
            )
        db.session.commit()
    records = [
        customer("c1", tier="gold", orders=12, tags=["newsletter"]),
        customer("c2", tier="gold", orders=3),
        customer("c3", tier="silver", orders=40),
        customer("c4", tier="bronze", orders=1),
    ]
    response = api.put("/directory/customers", json=records)
    assert response.status_code == 207, response.get_data(as_text=True)
    assert {entry["code"] for entry in response.get_json()} == {201}


def rows(*conditions: tuple[str, str, str], mode: str = "all") -> dict:
    """The editor's form for one group of conditions (field, op, value)."""
    form = {"n-0-kind": "group", "n-0-mode": mode}
    for n, (field, op, value) in enumerate(conditions, start=1):
        form.update(
            {
                f"n-{n}-kind": "cond",
                f"n-{n}-parent": "0",
                f"n-{n}-field": field,
                f"n-{n}-op": op,
                f"n-{n}-value": value,
            }
        )
    return form


def saved_evaluation(editor, app, form: dict) -> str:
    """Save the rule of `form`; wait for its evaluation to end; the evaluation's fragment."""
    saved = editor.post(URL, htmx=True, data={**form, "action": "save"})
    assert saved.status_code == 204, saved.get_data(as_text=True)
    location = saved.headers["HX-Redirect"]
    evaluation = re.search(r"evaluation=(\d+)", location).group(1)
    deadline = time.monotonic() + 20
    while True:
        polled = editor.get(f"{URL}/evaluations/{evaluation}", htmx=True)
        assert polled.status_code == 200
        if 'hx-trigger="every 1s"' not in polled.get_data(as_text=True):
            return page_text(polled)
        assert time.monotonic() < deadline, "the evaluation did not end"
        time.sleep(0.1)


def test_a_list_segment_offers_to_convert_and_the_tab_sits_beside_the_others(shop, editor):
    page = editor.get(URL)
    text = page_text(page)
    assert page.status_code == 200
    assert '<a href="/segments/gold/rule" aria-current="page">Rule</a>' in text
    assert "A list kept by hand" in text
    assert 'href="/segments/gold/rule?new=1"' in text
    assert 'id="rule-form"' not in text
    # the members tab links to it too, and shows no Rule badge for a list
    members_page = page_text(editor.get("/segments/gold"))
    assert 'href="/segments/gold/rule"' in members_page
    assert ">Rule</span>" not in members_page


def test_convert_opens_an_empty_editor_with_the_tenants_fields(shop, editor):
    text = page_text(editor.get(f"{URL}?new=1"))
    assert 'id="rule-form"' in text
    assert '<select id="n-1-field" name="n-1-field"' in text
    for option in ("attributes.tier", "attributes.orders", "attributes.tags", "inSegment", "email"):
        assert f'<option value="{option}" >' in text
    assert "orders (number)" in text and "tier (text)" in text
    # every input has its label
    assert '<label for="n-0-mode">' in text and '<label for="n-1-field">' in text
    assert 'aria-live="polite"' in text


def test_add_a_row_and_a_group_and_remove_one_without_javascript_or_with_htmx(shop, editor):
    form = rows(("attributes.tier", "equals", "gold"))
    added = editor.post(URL, data={**form, "action": "add-cond:0"})
    text = page_text(added)
    assert added.status_code == 200
    assert "<!doctype html>" in added.get_data(as_text=True)  # a whole page without htmx
    assert 'name="n-2-field"' in text
    assert 'value="gold"' in text  # the first row kept its value
    fragment = editor.post(URL, htmx=True, data={**form, "action": "add-group:0"})
    text = page_text(fragment)
    assert text.startswith('<section id="rule-editor"')
    assert 'name="n-2-mode"' in text and 'name="n-3-parent" value="2"' in text
    assert 'id="n-3-field" name="n-3-field"' in text and "data-autofocus" in text
    removed = page_text(editor.post(URL, htmx=True, data={**form, "action": "remove:1"}))
    assert 'name="n-1-field"' not in removed


def test_choosing_a_field_offers_its_operators_and_value_input(shop, editor):
    form = rows(("attributes.orders", "", ""))
    text = page_text(editor.post(URL, htmx=True, data={**form, "action": "refresh:1"}))
    assert '<option value="gt" >is more than</option>' in text
    assert 'type="number"' in text
    form = rows(("attributes.orders", "between", "1"))
    text = page_text(editor.post(URL, htmx=True, data={**form, "action": "refresh:1"}))
    assert 'name="n-1-value2"' in text and ">From</label>" in text and ">To</label>" in text
    form = rows(("attributes.tier", "in", "gold"))
    text = page_text(editor.post(URL, htmx=True, data={**form, "action": "refresh:1"}))
    assert "Separate values with commas." in text
    # the examples seen for the key are offered
    assert '<datalist id="examples-1">' in text and '<option value="silver">' in text
    form = rows(("inSegment", "in", ""))
    text = page_text(editor.post(URL, htmx=True, data={**form, "action": "refresh:1"}))
    assert '<option value="vip" >VIP (vip)</option>' in text
    assert '<option value="gold"' not in text  # not itself


def test_the_preview_counts_who_matches_before_anything_is_saved(shop, editor, app):
    form = rows(("attributes.tier", "equals", "gold"))
    preview = editor.post(f"{URL}/preview", htmx=True, data=form)
    text = page_text(preview)
    assert preview.status_code == 200
    assert 'data-count="matched">2<' in text
    assert 'data-count="joining">2<' in text
    assert 'data-count="leaving">0<' in text
    assert "C1 Doe" in text and "C2 Doe" in text and "C3" not in text
    # any of two conditions; an unfinished row is left out and said so
    form = rows(
        ("attributes.tier", "equals", "gold"),
        ("attributes.orders", "gt", "30"),
        ("", "", ""),
        mode="any",
    )
    text = page_text(editor.post(f"{URL}/preview", htmx=True, data=form))
    assert 'data-count="matched">3<' in text
    assert "1 unfinished condition left out." in text
    # "none of these" negates the group
    form = rows(("attributes.tier", "equals", "gold"), mode="none")
    assert 'data-count="matched">2<' in page_text(
        editor.post(f"{URL}/preview", htmx=True, data=form)
    )
    # without JavaScript, the Preview button shows the same in the page
    page = editor.post(
        URL, data={**rows(("attributes.tier", "equals", "gold")), "action": "preview"}
    )
    assert 'data-count="matched">2<' in page_text(page)
    assert members(app) == {}


def test_errors_stand_beside_the_rows_they_concern(shop, editor):
    form = rows(("attributes.tier", "equals", "gold"), ("attributes.orders", "gt", "many"))
    text = page_text(editor.post(f"{URL}/preview", htmx=True, data=form))
    assert (
        '<div hx-swap-oob="true" class="rule-errors" id="n-2-errors"><ul class="field-errors">'
        "<li>“many” is not a number.</li>" in text
    )
    assert '<div hx-swap-oob="true" class="rule-errors" id="n-1-errors"></div>' in text
    # the service's own checks: an unknown segment, in the marketer's words
    form = rows(("inSegment", "in", "nope"))
    text = page_text(editor.post(f"{URL}/preview", htmx=True, data=form))
    assert re.search(r'id="n-1-errors"><ul class="field-errors"><li>[^<]*nope', text), text
    # saving refuses with 422 and the messages beside the rows; nothing is saved
    form = rows(("attributes.orders", "withinLastDays", "0"), ("", "", ""))
    refused = editor.post(URL, htmx=True, data={**form, "action": "save"})
    text = page_text(refused)
    assert refused.status_code == 422
    assert re.search(r'id="n-2-errors"><ul class="field-errors"><li>Choose a field.</li>', text)
    assert 'aria-invalid="true"' in text
    assert "The rule was not saved." in text
    # the live preview that follows leaves the unfinished row's message where it is
    text = page_text(editor.post(f"{URL}/preview", htmx=True, data=form))
    assert 'id="n-1-errors"' in text and 'id="n-2-errors"' not in text


def test_save_runs_the_rule_and_the_members_follow(shop, editor, app):
    form = rows(("attributes.tier", "equals", "gold"))
    done = saved_evaluation(editor, app, form)
    assert 'data-count="evaluated">2<' in done
    assert members(app) == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}
    page = page_text(editor.get(URL))
    assert '<option value="attributes.tier" selected>' in page and 'value="gold"' in page
    assert "The rule ran" in page
    assert "Freeze into a list" in page
    # the segment page and the list say it is a rule, and when it ran
    assert ">Rule</span>" in page and "rule ran" in page
    listed = page_text(editor.get("/segments"))
    assert listed.count(">Rule</span>") == 1 and "Rule ran" in listed
    history = page_text(editor.get("/segments/gold/history"))
    assert "Saved the rule" in history and "Evaluated the rule" in history
    # a changed rule: the members follow again
    saved_evaluation(editor, app, rows(("attributes.orders", "gte", "12")))
    assert members(app) == {"c1": "AUTOMATIC", "c3": "AUTOMATIC"}


def test_freeze_keeps_the_members_as_a_list(shop, editor, app):
    saved_evaluation(editor, app, rows(("attributes.tier", "equals", "gold")))
    dialog = page_text(editor.get(f"{URL}/freeze", htmx=True))
    assert dialog.startswith('<dialog id="freeze-dialog" class="confirm"')
    assert "its 2 members stay" in dialog
    page = page_text(editor.get(f"{URL}/freeze"))
    assert re.search(r'<dialog id="freeze-dialog" [^>]* open>', page)
    frozen = editor.post(f"{URL}/freeze")
    assert frozen.status_code == 303 and frozen.headers["Location"].endswith("/segments/gold")
    assert members(app) == {"c1": "MANUAL", "c2": "MANUAL"}
    assert "A list kept by hand" in page_text(editor.get(URL))
    assert "Removed the rule" in page_text(editor.get("/segments/gold/history"))


def test_writes_need_the_csrf_token_and_the_edit_role(shop, editor, viewer, app):
    form = {**rows(("attributes.tier", "equals", "gold")), "action": "save"}
    assert editor.post(URL, data=form, csrf=False).status_code == 400
    assert editor.post(f"{URL}/freeze", csrf=False).status_code == 400
    assert editor.post(f"{URL}/preview", data=form, csrf=False).status_code == 400
    assert viewer.post(URL, data=form).status_code == 403
    assert viewer.post(f"{URL}/freeze").status_code == 403
    assert members(app) == {}
    # a viewer sees a rule, without the means to change it
    saved_evaluation(editor, app, rows(("attributes.tier", "equals", "gold")))
    text = page_text(viewer.get(URL))
    assert '<fieldset class="rule-frame" disabled>' in text
    assert "Save rule" not in text and "Freeze into a list" not in text
    assert 'id="rule-preview"' not in text and "The rule ran" in text


def test_another_tenants_segment_is_not_found(shop, make_browser, other_tenant):
    stranger = make_browser("editor", tenant_name=other_tenant)
    assert stranger.get(URL).status_code == 404
    assert stranger.post(URL, data=rows(("id", "equals", "c1"))).status_code == 404
    assert stranger.post(f"{URL}/preview", data=rows(("id", "equals", "c1"))).status_code == 404
    assert stranger.post(f"{URL}/freeze").status_code == 404


def test_without_javascript_save_redirects_to_the_run_and_a_failed_run_says_why(shop, editor, app):
    saved = editor.post(URL, data={**rows(("attributes.tier", "equals", "gold")), "action": "save"})
    assert saved.status_code == 303
    assert re.search(r"/segments/gold/rule\?evaluation=\d+$", saved.headers["Location"])
    page = page_text(editor.get(saved.headers["Location"]))
    assert 'id="rule-evaluation"' in page
    with app.app_context():
        failed = add_evaluation(
            "gold",
            reason="directory",
            actor="system",
            state="failed",
            error="The database took too long.",
            finished_at=utcnow(),
        )
        db.session.commit()
        pk = failed.pk
    text = page_text(editor.get(f"{URL}?evaluation={pk}"))
    assert "The rule's last run stopped" in text and "The database took too long." in text
    assert 'hx-trigger="every 1s"' not in text
    assert editor.get(f"{URL}?evaluation=999999").status_code == 404


def test_date_times_are_typed_and_shown_in_the_browsers_zone_and_stored_in_utc(
    shop, editor, api, app
):
    response = api.put(
        "/directory/customers", json=[customer("c5", seen="2030-07-01T07:00:00Z", day="2030-07-01")]
    )
    assert response.status_code == 207
    form = rows(
        ("attributes.seen", "after", "2030-07-01T10:00"), ("attributes.day", "after", "2030-07-01")
    )
    zone = {"tz": "Europe/Berlin", "tz-offset": "120"}
    saved_evaluation(editor, app, {**form, **zone})
    stored = api.get("/segments/gold/rule").get_json()["rule"]
    assert stored["all"][0]["value"] == "2030-07-01T08:00:00.000Z"  # 10:00 in Berlin (summer)
    assert stored["all"][1]["value"] == "2030-07-01"  # a date has no zone
    # the editor renders UTC for the script to show in the browser's zone, and says so
    page = page_text(editor.get(URL))
    assert 'value="2030-07-01T08:00" autocomplete="off"' in page
    assert "data-local-time" in page and 'name="tz" value="UTC" data-time-zone' in page
    assert 'value="2030-07-01" autocomplete="off"' in page
    # an answer to a post in that zone is in UTC too, and the script shows it again in the zone
    text = page_text(editor.post(URL, htmx=True, data={**form, **zone, "action": "preview"}))
    assert 'value="2030-07-01T08:00" autocomplete="off"' in text
