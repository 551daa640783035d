"""Listing and searching a segment's customer assignments: q on the list and on POST
.../customers/search, sort, paging, fields and X-Total-Count, and the 400s of bad parameters."""

from __future__ import annotations

import pytest

from tests.api.directory_support import MIXINS, customers_of

EVERYONE = [("ann", None), ("bob", "acme-le"), ("cid", "acme-le"), ("cid", None)]


@pytest.fixture
def members(api, people, segment):
    api.put("/segments/gold/customers/ann", json={"mixins": MIXINS})
    api.put("/segments/gold/customers/bob/acme-le")
    api.put("/segments/gold/customers/cid/acme-le")
    api.put("/segments/gold/customers/cid")
    return "gold"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("assignmentType:MANUAL", EVERYONE),
        ("assignmentType:AUTOMATIC", []),
        ("customer.email:~example.com", [("ann", None), ("cid", "acme-le"), ("cid", None)]),
        ("legalEntity.id:acme-le", [("bob", "acme-le"), ("cid", "acme-le")]),
        ('legalEntity.name:"Acme Ltd" customer.firstName:Bob', [("bob", "acme-le")]),
        ("legalEntity.id:null", [("ann", None), ("cid", None)]),
        ("customer.id:(ann,bob)", [("ann", None), ("bob", "acme-le")]),
        ("customer.lastName:~^C", [("cid", "acme-le"), ("cid", None)]),
        ("mixins.segmentAttributes.membershipStatus:PREMIUM", [("ann", None)]),
        ("segmentId:gold metadata.version:1", EVERYONE),
        ('metadata.createdAt:>"2000-01-01T00:00:00.000Z"', EVERYONE),
    ],
)
def test_q_filters_the_list_and_the_search(api, members, q, expected):
    assert customers_of(api, "gold", query_string={"q": q}) == expected
    response = api.post("/segments/gold/customers/search", json={"q": q})
    assert response.status_code == 200
    found = [(d["customer"]["id"], d.get("legalEntity", {}).get("id")) for d in response.get_json()]
    assert found == expected


def test_bad_q_is_400_saying_where(api, members):
    response = api.get("/segments/gold/customers", query_string={"q": "customer.age:3"})
    assert response.status_code == 400
    assert "customer.age" in response.get_json()["message"]
    response = api.post("/segments/gold/customers/search", json={"q": "assignmentType:(MANUAL"})
    assert response.status_code == 400
    assert "position" in response.get_json()["message"]
    assert api.post("/segments/gold/customers/search", json=["q"]).status_code == 400


def test_sort_paging_fields_and_total(api, members):
    got = customers_of(api, "gold", query_string={"sort": "customer.email:desc,legalEntity.id"})
    assert got == [("cid", "acme-le"), ("cid", None), ("bob", "acme-le"), ("ann", None)]

    response = api.get(
        "/segments/gold/customers",
        query_string={"sort": "customer.id,legalEntity.id", "pageSize": 2, "pageNumber": 2},
        headers={"X-Total-Count": "true"},
    )
    assert response.headers["X-Total-Count"] == "4"
    assert [d["customer"]["id"] for d in response.get_json()] == ["cid", "cid"]
    assert "X-Total-Count" not in api.get("/segments/gold/customers").headers

    response = api.post(
        "/segments/gold/customers/search?fields=assignmentType&pageSize=1",
        json={"q": "customer.id:bob"},
        headers={"X-Total-Count": "true"},
    )
    assert response.headers["X-Total-Count"] == "1"
    assert response.get_json() == [
        {
            "segmentId": "gold",
            "customer": {"id": "bob"},
            "legalEntity": {"id": "acme-le"},
            "assignmentType": "MANUAL",
        }
    ]


@pytest.mark.parametrize(
    "query",
    [{"sort": "customer.age"}, {"sort": "customer.id:up"}, {"fields": "age"}, {"pageSize": 0}],
)
def test_bad_list_parameters_are_400(api, members, query):
    assert api.get("/segments/gold/customers", query_string=query).status_code == 400
