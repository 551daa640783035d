"""The category tree of the directory: parents may arrive after their children, cycles are
refused whether they close in the stored tree or within one request, every field of a category
is kept, and localized fields follow Content-Language and Accept-Language."""

from __future__ import annotations

from tests.api.directory_support import cat, codes, entries, put, stored


def test_a_child_may_arrive_before_its_parent(api):
    assert codes(put(api, "categories", [cat("child", "root"), cat("root")])) == [201, 201]
    assert stored(api, "categories", "child")["parentId"] == "root"
    assert "parentId" not in stored(api, "categories", "root")


def test_a_category_cannot_be_its_own_parent(api):
    (entry,) = entries(put(api, "categories", [cat("a", "a")]))
    assert entry["code"] == 400 and entry["details"][0]["type"] == "cycle"


def test_a_cycle_through_the_stored_tree_is_refused(api):
    put(api, "categories", [cat("a"), cat("b", "a"), cat("c", "b"), cat("d", "c")])
    (entry,) = entries(put(api, "categories", [cat("a", "d")]))
    assert entry["code"] == 400
    assert entry["details"][0]["field"] == "parentId"
    assert "a → d → c → b → a" in entry["message"]
    assert "parentId" not in stored(api, "categories", "a")
    assert codes(put(api, "categories", [cat("d", "a")])) == [204]


def test_a_cycle_closed_within_one_request_refuses_the_record_that_closes_it(api):
    response = put(api, "categories", [cat("x", "y"), cat("y", "z"), cat("z", "x")])
    assert codes(response) == [201, 201, 400]
    assert "z → x → y → z" in entries(response)[2]["message"]


def test_moving_a_subtree_within_one_request_is_checked_against_the_earlier_records(api):
    put(api, "categories", [cat("a"), cat("b", "a"), cat("c")])
    response = put(api, "categories", [cat("a", "c"), cat("c", "b")])
    assert codes(response) == [204, 400]
    # stored now: a → c, b → a, c a root
    assert codes(put(api, "categories", [cat("b"), cat("c", "a")])) == [204, 400]
    # with the stored tree alone c → b → a → c would close a loop; the first record opens it
    assert codes(put(api, "categories", [cat("a"), cat("c", "b")])) == [204, 204]


def test_categories_keep_every_field_of_the_category_tree(api):
    record = {
        "id": "shoes",
        "parentId": "fashion",
        "code": "SHOES",
        "name": {"en": "Shoes", "de": "Schuhe"},
        "localizedDescription": {"en": "All shoes"},
        "localizedSlug": {"en": "shoes", "de": "schuhe"},
        "ecn": ["E-1", "E-2"],
        "validity": {"from": "2024-01-01T00:00:00.000Z", "to": "2030-01-01T00:00:00.000Z"},
        "position": 3,
        "published": False,
    }
    put(api, "categories", [record])
    doc = stored(api, "categories", "shoes")
    assert {k: v for k, v in doc.items() if k != "metadata"} == record
    put(api, "categories", [cat("plain")])
    plain = stored(api, "categories", "plain")
    assert plain["position"] == 0 and plain["published"] is True


def test_localized_fields_follow_content_and_accept_language(api):
    record = {"id": "k", "name": "Schuhe", "localizedSlug": "schuhe"}
    assert codes(put(api, "categories", [record], headers={"Content-Language": "de"})) == [201]
    assert stored(api, "categories", "k")["name"] == {"de": "Schuhe"}
    (entry,) = entries(put(api, "categories", [record], headers={"Content-Language": "*"}))
    assert entry["code"] == 400
    put(api, "products", [{"id": "p", "name": {"en": "Boot", "de": "Stiefel"}}])
    assert stored(api, "products", "p", headers={"Accept-Language": "de"})["name"] == {
        "de": "Stiefel"
    }
    assert stored(api, "products", "p")["name"] == {"en": "Boot", "de": "Stiefel"}
    names = api.get("/directory/products", headers={"Accept-Language": "fr, de;q=0.5"})
    assert names.get_json()[0]["name"] == {"de": "Stiefel"}
