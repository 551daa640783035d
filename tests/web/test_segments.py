"""The segments list (search, filters, sort, paging, status in place, delete) and the create
and edit form (languages, validity, mixins, errors beside fields, a lost race)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.limits import JSON_MAX_DEPTH, NAME_MAX_LENGTH
from segments_app.models import CustomerAssignment, ItemAssignment, Segment
from segments_app.services.segments import create_segment, get_segment, upsert_segment
from tests.factories import add_assignment, add_customer, add_product, tenant_named
from tests.pages import GARBAGE, HUGE, hx_events, page_text

NEW = "/new-segment"


@pytest.fixture
def seed(app, tenant):
    """Create a segment of tenant 'acme' through the service, with `members` customers and
    `items` products assigned; returns its id."""

    def make(segment_id: str, name=None, members: int = 0, items: int = 0, **doc) -> str:
        with app.app_context():
            body = {
                "id": segment_id,
                "name": name or {"en": segment_id.title()},
                "siteCode": "main",
                "status": "ACTIVE",
                **doc,
            }
            segment = create_segment(tenant_named(), body, "")
            for n in range(members):
                customer = add_customer("acme", f"{segment_id}-c{n}")
                add_assignment(CustomerAssignment(segment_pk=segment.pk, customer_pk=customer.pk))
            for n in range(items):
                product = add_product("acme", f"{segment_id}-p{n}")
                add_assignment(
                    ItemAssignment(
                        segment_pk=segment.pk, item_type="PRODUCT", product_pk=product.pk
                    )
                )
            db.session.commit()
            return segment.id

    return make


def _stored(app, segment_id: str) -> Segment | None:
    with app.app_context():
        segment = db.session.scalar(select(Segment).where(Segment.id == segment_id))
        db.session.expunge_all()
        return segment


def _row_ids(html: str) -> list[str]:
    """The segment ids of the list's rows, in order."""
    return re.findall(r'<td class="mono">([^<]+)</td>', html)


# the list


def test_list_page_and_fragment(editor, seed):
    seed("gold", {"en": "Gold", "de": "Gold DE"}, members=3, items=2)
    page = editor.get("/segments")
    assert page.status_code == 200
    html = page_text(page)
    assert "<html" in html and 'id="segment-filters"' in html
    assert "Gold" in html and "New segment" in html and "1 segment<" in html
    fragment = editor.get("/segments", htmx=True)
    assert fragment.status_code == 200
    assert "<html" not in page_text(fragment) and "segment-row-" in page_text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]


def test_rows_show_member_and_item_counts(editor, seed):
    seed("gold", members=3, items=2)
    html = page_text(editor.get("/segments", htmx=True))
    assert re.search(r'<td class="num">3</td>\s*<td class="num">2</td>', html)


def test_search_matches_name_in_any_language_id_and_site(editor, seed):
    seed("gold", {"en": "Gold", "de": "Goldkunden"})
    seed("silver", {"en": "Silver"}, siteCode="outlet")
    seed("bronze-2024", {"en": "Bronze"})
    assert _row_ids(page_text(editor.get("/segments?q=KUNDEN", htmx=True))) == ["gold"]
    assert _row_ids(page_text(editor.get("/segments?q=2024", htmx=True))) == ["bronze-2024"]
    assert _row_ids(page_text(editor.get("/segments?q=outl", htmx=True))) == ["silver"]
    none = page_text(editor.get("/segments?q=platinum", htmx=True))
    assert "No segment matches" in none and "Clear search and filters" in none


def test_search_treats_like_wildcards_as_text(editor, seed):
    seed("gold", {"en": "Gold"})
    seed("pct", {"en": "100% off"})
    assert _row_ids(page_text(editor.get("/segments?q=%25", htmx=True))) == ["pct"]


def test_filters_status_site_and_valid_now(editor, seed):
    now = datetime.now(UTC)
    seed("a-active", siteCode="main")
    seed("b-inactive", status="INACTIVE", siteCode="main")
    seed("c-outlet", siteCode="outlet")
    seed(
        "d-expired",
        validity={"to": (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")},
    )
    seed(
        "e-future",
        validity={"from": (now + timedelta(days=1)).isoformat().replace("+00:00", "Z")},
    )
    assert _row_ids(page_text(editor.get("/segments?status=INACTIVE", htmx=True))) == ["b-inactive"]
    assert _row_ids(page_text(editor.get("/segments?site=outlet", htmx=True))) == ["c-outlet"]
    valid = _row_ids(page_text(editor.get("/segments?valid=1&sort=id", htmx=True)))
    assert valid == ["a-active", "b-inactive", "c-outlet"]
    page = page_text(editor.get("/segments?site=outlet"))
    assert '<option value="outlet" selected>' in page
    assert '<option value="main" >' in page or '<option value="main">' in page
    assert re.search(r'<option value="ACTIVE"\s*>Active</option>', page)
    assert re.search(r'<option value="INACTIVE"\s*>Inactive</option>', page)
    html = page_text(editor.get("/segments?sort=id", htmx=True))
    assert "Expired" in html and "Starts in" in html


def test_sort_by_columns_and_reverse(editor, seed):
    seed("b", {"en": "alpha"}, siteCode="z-site")
    seed("a", {"en": "Beta"}, siteCode="a-site")
    seed("c", {"de": "Gamma"}, siteCode="m-site")
    assert _row_ids(page_text(editor.get("/segments", htmx=True))) == ["b", "a", "c"]
    assert _row_ids(page_text(editor.get("/segments?sort=name:desc", htmx=True)))[:2] == ["c", "a"]
    assert _row_ids(page_text(editor.get("/segments?sort=id", htmx=True))) == ["a", "b", "c"]
    assert _row_ids(page_text(editor.get("/segments?sort=site:desc", htmx=True))) == ["b", "c", "a"]
    assert _row_ids(page_text(editor.get("/segments?sort=nonsense", htmx=True))) == ["b", "a", "c"]


def test_a_name_shows_in_the_default_language_else_in_another(editor, seed):
    seed("both", {"de": "Stammkunden", "en": "Regulars"})
    seed("only-de", {"de": "Nur Deutsch"})
    html = page_text(editor.get("/segments", htmx=True))
    assert ">Regulars</a>" in html and "Stammkunden" not in html
    assert ">Nur Deutsch</a>" in html


def test_sort_links_keep_the_filters_and_flip_the_order(editor, seed):
    seed("gold", siteCode="outlet")
    html = page_text(editor.get("/segments?q=go&site=outlet&sort=id", htmx=True))
    assert 'aria-sort="ascending"' in html
    assert 'href="/segments?q=go&amp;site=outlet&amp;sort=id:desc"' in html
    assert 'href="/segments?q=go&amp;site=outlet&amp;sort=modified"' in html
    assert 'hx-push-url="true"' in html
    assert '<input type="hidden" name="sort" value="id" form="segment-filters">' in html


def test_search_inputs_update_the_list_and_the_url(editor, seed):
    seed("gold")
    html = page_text(editor.get("/segments"))
    search = re.search(r'<input id="f-q"[^>]*>', html, re.S).group(0)
    assert 'hx-trigger="input changed delay:300ms, search"' in search
    assert 'hx-target="#segment-list"' in search and 'hx-push-url="true"' in search


def test_paging_in_the_url(editor, app, seed):
    for n in range(27):
        seed(f"s{n:02d}")
    first = page_text(editor.get("/segments?sort=id", htmx=True))
    assert len(_row_ids(first)) == 25
    assert "Page 1 of 2" in first and 'href="/segments?sort=id&amp;page=2"' in first
    second = page_text(editor.get("/segments?sort=id&page=2", htmx=True))
    assert _row_ids(second) == ["s25", "s26"]
    beyond = page_text(editor.get("/segments?sort=id&page=9", htmx=True))
    assert _row_ids(beyond) == ["s25", "s26"]


def test_list_costs_the_same_queries_for_3_and_30_segments(editor, seed, count_queries):
    for n in range(3):
        seed(f"few{n}", members=2, items=1)
    editor.get("/segments")
    with count_queries() as few:
        assert editor.get("/segments").status_code == 200
    for n in range(27):
        seed(f"many{n}", members=2, items=1)
    with count_queries() as many:
        assert editor.get("/segments").status_code == 200
    # a first page that is not full is its own total; a full one adds the count, nothing more
    assert few() <= many() <= few() + 1
    assert many() <= 8


def test_empty_state_says_what_to_do(editor, viewer, tenant):
    html = page_text(editor.get("/segments"))
    assert "No segments yet" in html and "Create your first segment" in html
    assert "Create your first segment" not in page_text(viewer.get("/segments"))


# roles and CSRF


def test_viewer_sees_no_write_buttons_and_is_refused(viewer, app, seed):
    seed("gold")
    html = page_text(viewer.get("/segments"))
    assert "Gold" in html
    for word in ("New segment", "Deactivate", "/delete", "/edit"):
        assert word not in html
    version = _stored(app, "gold").version
    refused = [
        viewer.post("/segments/gold/status", data={"status": "INACTIVE", "version": version}),
        viewer.post("/segments/gold/delete"),
        viewer.get("/segments/gold/delete"),
        viewer.get(NEW),
        viewer.post(NEW, data={"language": "en", "name.en": "X", "siteCode": "main"}),
        viewer.get("/segments/gold/edit"),
        viewer.post("/segments/gold/edit", data={"version": version}),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert _stored(app, "gold").status == "ACTIVE"


def test_writes_without_csrf_token_are_refused(editor, app, seed):
    seed("gold")
    version = _stored(app, "gold").version
    responses = [
        editor.post(
            "/segments/gold/status", data={"status": "INACTIVE", "version": version}, csrf=False
        ),
        editor.post("/segments/gold/delete", csrf=False),
        editor.post(NEW, data={"language": "en", "name.en": "X", "siteCode": "m"}, csrf=False),
    ]
    assert [r.status_code for r in responses] == [400, 400, 400]
    assert _stored(app, "gold").status == "ACTIVE"


# activate and deactivate in place


def test_deactivate_in_place_swaps_the_row(editor, app, seed):
    seed("gold", members=2)
    version = _stored(app, "gold").version
    response = editor.post(
        "/segments/gold/status",
        data={"status": "INACTIVE", "version": version, "back": "/segments?q=go"},
        htmx=True,
    )
    assert response.status_code == 200
    html = page_text(response)
    assert html.lstrip().startswith('<tr id="segment-row-')
    assert "Inactive" in html
    assert re.search(r'aria-label="Activate Gold" data-autofocus>Activate</button>', html)
    assert '<input type="hidden" name="status" value="ACTIVE">' in html
    assert f'name="version" value="{version + 1}"' in html
    assert 'value="/segments?q=go"' in html
    assert hx_events(response)["notify"]["message"] == "“Gold” is now inactive."
    assert _stored(app, "gold").status == "INACTIVE"
    again = editor.post(
        "/segments/gold/status", data={"status": "ACTIVE", "version": version + 1}, htmx=True
    )
    assert ">Deactivate</button>" in page_text(again)
    assert '<input type="hidden" name="status" value="INACTIVE">' in page_text(again)
    assert _stored(app, "gold").status == "ACTIVE"


def test_status_without_javascript_redirects_back(editor, app, seed):
    seed("gold")
    response = editor.post(
        "/segments/gold/status",
        data={"status": "INACTIVE", "version": 1, "back": "/segments?site=main"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/segments?site=main"
    offsite = editor.post(
        "/segments/gold/status",
        data={"status": "ACTIVE", "version": 2, "back": "//evil.example/"},
    )
    assert offsite.headers["Location"] == "/segments"


def test_status_change_that_lost_a_race_says_so(editor, app, seed):
    seed("gold")
    with app.app_context():
        upsert_segment(
            tenant_named(),
            "gold",
            {"name": {"en": "Gold VIP"}, "siteCode": "main", "status": "ACTIVE"},
            "",
        )
        db.session.commit()
    response = editor.post(
        "/segments/gold/status", data={"status": "INACTIVE", "version": 1}, htmx=True
    )
    assert response.status_code == 200
    html = page_text(response)
    assert "Gold VIP" in html and 'name="version" value="2"' in html
    assert ">Deactivate</button>" in html
    notice = hx_events(response)["notify"]
    assert notice["level"] == "error" and "changed “Gold VIP” meanwhile" in notice["message"]
    assert _stored(app, "gold").status == "ACTIVE"


# delete


def test_delete_confirmation_says_what_goes_with_it(editor, seed):
    seed("gold", members=3, items=1)
    seed("empty")
    dialog = editor.get("/segments/gold/delete?back=/segments%3Fq%3Dg", htmx=True)
    assert dialog.status_code == 200
    html = page_text(dialog)
    assert "<html" not in html and "<dialog" in html
    assert "This deletes 3 members and 1 item too." in html
    assert 'name="back" value="/segments?q=g"' in html
    assert "data-modal" in html and "data-dialog-close" in html
    assert "It has no members and no items." in page_text(editor.get("/segments/empty/delete"))


def test_delete_confirmation_works_as_a_page(editor, seed):
    seed("gold", members=1)
    page = editor.get("/segments/gold/delete")
    html = page_text(page)
    assert "<html" in html and "This deletes 1 member too." in html
    assert "data-modal" not in html
    assert '<a class="btn" href="/segments" autofocus>Cancel</a>' in html


def test_delete_with_members_and_items(editor, app, seed):
    seed("gold", members=3, items=2)
    response = editor.post("/segments/gold/delete", data={"back": "/segments?q=g"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/segments?q=g"
    assert _stored(app, "gold") is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CustomerAssignment)) == 0
        assert db.session.scalar(select(func.count()).select_from(ItemAssignment)) == 0
    assert "Deleted “Gold”." in page_text(editor.get("/segments"))


def test_delete_of_unknown_segment_is_404(editor, tenant):
    assert editor.get("/segments/nope/delete").status_code == 404
    assert editor.post("/segments/nope/delete").status_code == 404


# create


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


# edit


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


def test_segment_list_page_past_the_end_shows_the_last(editor, seed):
    for n in range(30):
        seed(f"s{n:02d}")
    for huge in (HUGE, "9" * 5000):
        last = editor.get(f"/segments?sort=id&page={huge}")
        assert last.status_code == 200
        assert "Page 2 of 2" in page_text(last)
    for raw in GARBAGE:
        first = editor.get(f"/segments?sort=id&page={raw}")
        assert first.status_code == 200 and "Page 1 of 2" in page_text(first), raw


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
