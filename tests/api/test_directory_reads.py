"""Reading the directory: GET /directory/<collection> filtered with q, sorted, paged and
projected with fields, X-Total-Count on request, and the 400s and 404s of bad reads."""

from __future__ import annotations

import pytest

from tests.api.directory_support import cat, codes, listed, put, stored


@pytest.fixture
def people(api) -> None:
    records = [
        {"id": "ann", "firstName": "Ann", "lastName": "Smith", "email": "ann@example.com"},
        {"id": "bob", "firstName": "Bob", "lastName": "Jones", "email": "bob@example.org"},
        {"id": "cyd", "firstName": "Cyd", "lastName": "Smith", "email": "cyd@example.com"},
        {"id": "dan", "firstName": "Dan", "lastName": "Young"},
    ]
    assert set(codes(put(api, "customers", records))) == {201}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?q=lastName:Smith", ["ann", "cyd"]),
        ("?q=email:~example.org", ["bob"]),
        ("?q=email:missing", ["dan"]),
        ("?q=id:(ann,dan) lastName:Young", ["dan"]),
        ("?q=metadata.version:1", ["ann", "bob", "cyd", "dan"]),
        ('?q=metadata.createdAt:>"2000-01-01T00:00:00Z"', ["ann", "bob", "cyd", "dan"]),
        ("?sort=lastName:desc,id", ["dan", "ann", "cyd", "bob"]),
        ("?sort=firstName:desc&pageSize=2&pageNumber=2", ["bob", "ann"]),
        ("?pageSize=3&pageNumber=2", ["dan"]),
    ],
)
def test_customers_are_filtered_sorted_and_paged(api, people, query, expected):
    assert listed(api, "customers", query) == expected


def test_other_kinds_are_filtered_on_their_own_fields(api):
    put(api, "categories", [cat("root"), {**cat("kid", "root"), "published": False}])
    put(api, "products", [{"id": "p1", "code": "A-1", "name": {"en": "Boot", "de": "Stiefel"}}])
    put(api, "legal-entities", [{"id": "le1", "name": "Acme"}, {"id": "le2", "name": "Globex"}])
    assert listed(api, "categories", "?q=parentId:root") == ["kid"]
    assert listed(api, "categories", "?q=published:false") == ["kid"]
    assert listed(api, "categories", "?q=name.en:Root") == ["root"]
    assert listed(api, "categories", "?q=parentId:null") == ["root"]
    assert listed(api, "products", "?q=name.de:~Stief code:A-1") == ["p1"]
    assert listed(api, "legal-entities", "?q=name:Globex") == ["le2"]
    assert listed(api, "legal-entities", "?sort=name:desc") == ["le2", "le1"]


def test_x_total_count_only_when_asked(api, people):
    response = api.get("/directory/customers?pageSize=1", headers={"X-Total-Count": "true"})
    assert response.headers["X-Total-Count"] == "4" and len(response.get_json()) == 1
    assert "X-Total-Count" not in api.get("/directory/customers").headers


def test_fields_projects_and_keeps_the_id(api, people):
    response = api.get("/directory/customers?fields=email,metadata.version&q=id:ann")
    assert response.get_json() == [
        {"id": "ann", "email": "ann@example.com", "metadata": {"version": 1}}
    ]
    assert stored(api, "customers", "bob", query_string={"fields": "lastName"}) == {
        "id": "bob",
        "lastName": "Jones",
    }


@pytest.mark.parametrize(
    "query",
    [
        "?q=nickname:x",
        "?q=lastName:(",
        "?sort=nickname",
        "?sort=lastName:sideways",
        "?fields=nickname",
        "?pageSize=0",
        "?pageSize=1001",
        "?pageNumber=x",
        "?q=legalEntityIds:le1",
    ],
)
def test_bad_list_parameters_are_a_400(api, people, query):
    response = api.get(f"/directory/customers{query}")
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_an_unknown_record_is_a_404(api):
    response = api.get("/directory/products/nope")
    assert response.status_code == 404
    assert response.get_json()["resourceId"] == "nope"
    assert api.get("/directory/gadgets").status_code == 404
