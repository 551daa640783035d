"""The segments list: the page and its htmx fragment, what a row shows, search, the status,
site and validity filters, sorting, paging in the URL (and page numbers that are none), what the
list costs in queries, and the empty state."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.pages import GARBAGE, HUGE, page_text


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
