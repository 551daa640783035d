"""The directory API: /customer-segment/<tenant>/directory/{customers,legal-entities,...}."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, select

from segments_app.errors import ValidationFailed
from segments_app.extensions import db
from segments_app.models import (
    Category,
    Customer,
    CustomerAssignment,
    ItemAssignment,
    LegalEntity,
    Product,
    Segment,
)
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN
from segments_app.services.directory import KINDS
from segments_app.services.directory.shape import known_properties, record_schema
from segments_app.services.validation import conforms, validate
from tests.factories import OTHER_TENANT, add_assignment

CUSTOMER = {"id": "c1", "firstName": "Jane", "lastName": "Doe", "email": "jane@example.com"}
SAMPLES = {
    "customers": CUSTOMER,
    "legal-entities": {"id": "le1", "name": "Acme Ltd"},
    "categories": {"id": "cat1", "name": {"en": "Shoes", "de": "Schuhe"}, "code": "SHOES"},
    "products": {"id": "p1", "code": "P-1", "name": {"en": "Boot"}, "categoryIds": ["cat1"]},
}
#: a change to each sample that a replace must store
CHANGES = {
    "customers": {"lastName": "Roe"},
    "legal-entities": {"name": "Acme Group"},
    "categories": {"code": "FOOTWEAR"},
    "products": {"categoryIds": ["cat1", "cat2"]},
}
COLLECTIONS = list(SAMPLES)


def put(api, collection: str, records, **kw):
    return api.put(f"/directory/{collection}", json=records, **kw)


def entries(response) -> list[dict]:
    assert response.status_code == 207, response.get_data(as_text=True)
    body = response.get_json()
    assert [entry["index"] for entry in body] == list(range(len(body)))
    return body


def codes(response) -> list[int]:
    return [entry["code"] for entry in entries(response)]


def stored(api, collection: str, record_id: str, **kw) -> dict:
    response = api.get(f"/directory/{collection}/{record_id}", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def listed(api, collection: str, query: str = "", **kw) -> list[str]:
    response = api.get(f"/directory/{collection}{query}", **kw)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [doc["id"] for doc in response.get_json()]


# -- writing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_put_creates_then_updates_and_keeps_the_version_when_nothing_changes(api, collection):
    record = SAMPLES[collection]
    created = entries(put(api, collection, [record]))
    assert created == [{"index": 0, "id": record["id"], "code": 201, "status": "Created"}]
    doc = stored(api, collection, record["id"])
    assert {k: doc[k] for k in record} == record
    assert doc["metadata"]["version"] == 1
    assert doc["metadata"]["createdAt"].endswith("Z")

    assert entries(put(api, collection, [record]))[0] == {
        "index": 0,
        "id": record["id"],
        "code": 204,
        "status": "OK",
    }
    assert stored(api, collection, record["id"])["metadata"]["version"] == 1

    assert codes(put(api, collection, [{**record, **CHANGES[collection]}])) == [204]
    after = stored(api, collection, record["id"])
    assert {k: after[k] for k in CHANGES[collection]} == CHANGES[collection]
    assert after["metadata"]["version"] == 2
    assert after["metadata"]["createdAt"] == doc["metadata"]["createdAt"]


def test_put_replaces_the_whole_record_and_clears_absent_fields(api):
    put(api, "customers", [{**CUSTOMER, "legalEntityIds": ["le1", "le2"]}])
    assert codes(put(api, "customers", [{"id": "c1", "legalEntityIds": ["le2"]}])) == [204]
    assert stored(api, "customers", "c1") == {
        "id": "c1",
        "legalEntityIds": ["le2"],
        "metadata": stored(api, "customers", "c1")["metadata"],
    }


def test_links_keep_their_order_and_changing_only_them_bumps_the_version(api):
    put(api, "products", [{"id": "p1", "name": {"en": "Boot"}, "categoryIds": ["b", "a"]}])
    assert stored(api, "products", "p1")["categoryIds"] == ["b", "a"]
    put(api, "products", [{"id": "p1", "name": {"en": "Boot"}, "categoryIds": ["a", "b", "c"]}])
    doc = stored(api, "products", "p1")
    assert doc["categoryIds"] == ["a", "b", "c"]
    assert doc["metadata"]["version"] == 2


def test_a_mixed_request_answers_207_and_failed_records_change_nothing(api):
    response = put(
        api,
        "customers",
        [CUSTOMER, {"id": "bad/id"}, "not an object", {"firstName": "No id"}, {"id": "c2"}],
    )
    body = entries(response)
    assert [e["code"] for e in body] == [201, 400, 400, 400, 201]
    assert body[1]["id"] == "bad/id" and "'/'" in body[1]["message"]
    assert body[1]["details"] == [
        {"field": "id", "type": "pattern", "message": "id must not contain '/' or spaces."}
    ]
    assert "must be a JSON object" in body[2]["message"] and "id" not in body[2]
    assert body[3]["details"][0]["field"] == "id" and body[3]["details"][0]["type"] == "required"
    assert listed(api, "customers") == ["c1", "c2"]


@pytest.mark.parametrize(
    ("collection", "record", "field", "type_"),
    [
        ("customers", {"id": ""}, "id", "minLength"),
        ("customers", {"id": "x" * 256}, "id", "maxLength"),
        ("customers", {"id": "a b"}, "id", "pattern"),
        ("customers", {"id": 7}, "id", "type"),
        ("customers", {"id": "c1", "firstName": 5}, "firstName", "type"),
        ("customers", {"id": "c1", "lastName": "x" * 201}, "lastName", "maxLength"),
        ("customers", {"id": "c1", "email": "not-an-email"}, "email", "format"),
        ("customers", {"id": "c1", "legalEntityIds": ["a", "a"]}, "legalEntityIds", "uniqueItems"),
        ("customers", {"id": "c1", "legalEntityIds": "le1"}, "legalEntityIds", "type"),
        ("customers", {"id": "c1", "metadata": {"version": 0}}, "metadata.version", "minimum"),
        ("customers", {"id": "c1", "nickname": "J"}, "nickname", "unknown"),
        ("legal-entities", {"id": "le1"}, "name", "required"),
        ("legal-entities", {"id": "le1", "name": ""}, "name", "minLength"),
        ("categories", {"id": "k"}, "name", "required"),
        ("categories", {"id": "k", "name": {}}, "name", "minProperties"),
        ("categories", {"id": "k", "name": {"fr": "Chaussures"}}, "name.fr", "language"),
        ("categories", {"id": "k", "name": {"en": "K"}, "position": -1}, "position", "minimum"),
        ("categories", {"id": "k", "name": {"en": "K"}, "published": "yes"}, "published", "type"),
        ("categories", {"id": "k", "name": {"en": "K"}, "parentId": "a/b"}, "parentId", "pattern"),
        (
            "categories",
            {"id": "k", "name": {"en": "K"}, "validity": {"from": "tomorrow"}},
            "validity.from",
            "format",
        ),
        (
            "categories",
            {
                "id": "k",
                "name": {"en": "K"},
                "validity": {"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"},
            },
            "validity.from",
            "range",
        ),
        ("products", {"id": "p", "name": {"en": "P"}, "categoryIds": [""]}, "categoryIds.0", None),
        ("products", {"id": "p", "name": {"en": "P"}, "code": 12}, "code", "type"),
    ],
)
def test_each_field_is_validated_with_details(api, collection, record, field, type_):
    (entry,) = entries(put(api, collection, [record]))
    assert entry["code"] == 400, entry
    assert field in [d["field"] for d in entry["details"]], entry
    if type_:
        assert type_ in [d["type"] for d in entry["details"] if d["field"] == field], entry
    assert api.get(f"/directory/{collection}").get_json() == []


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner),
    max_leaves=6,
)


PLAUSIBLE = {
    "id": ["c1", "", "a b", "x" * 256, 1],
    "parentId": ["root", "a/b", ""],
    "name": [{"en": "N"}, {}, {"en": ""}, {"en": 1}, "Acme", "", "x" * 501],
    "email": ["a@b.co", "x" * 321, ""],
    "position": [0, 1.0, -1, True, 2**31, "1"],
    "published": [True, 0, "true"],
    "ecn": [["e"], [1], "e"],
    "validity": [{"from": "2024-01-01T00:00:00Z"}, {"to": "soon"}, {"from": 1}],
    "legalEntityIds": [["a"], ["a", "a"], [1], [], ["a/b"]],
    "categoryIds": [["a"], ["a", "a"], [""]],
    "metadata": [{"version": 1}, {"version": 0}, {"version": 1.0}, {"version": True}],
}


def _near_valid(schema: str, sample: dict) -> st.SearchStrategy[dict]:
    """`sample` with a few of its fields replaced, removed or added, plausibly or not."""
    keys = [*known_properties(schema), "other"]
    value = {key: st.sampled_from(PLAUSIBLE.get(key, ["x"])) | JSON for key in keys}
    change = st.sampled_from(keys).flatmap(
        lambda key: st.tuples(st.just(key), st.none() | value[key])
    )

    def apply(changes: list) -> dict:
        doc = dict(sample)
        for key, new in changes:
            if new is None:
                doc.pop(key, None)
            else:
                doc[key] = new
        return doc

    return st.lists(change, max_size=3).map(apply)


@pytest.mark.parametrize("schema", [kind.schema for kind in KINDS.values()])
def test_the_fast_shape_check_never_accepts_what_the_schema_refuses(schema):
    name = record_schema(schema)

    def fast(doc: dict) -> bool:
        return conforms(name, doc)

    sample = SAMPLES[next(k.collection for k in KINDS.values() if k.schema == schema)]
    assert fast(sample)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_near_valid(schema, sample))
    def check(doc):
        if fast(doc):
            try:
                validate(schema, doc)
            except ValidationFailed as exc:  # pragma: no cover - the failure being tested for
                pytest.fail(f"fast check accepted {doc!r}: {exc.details}")

    check()


def test_a_password_is_refused_with_a_message_that_says_how_to_set_one(api):
    (entry,) = entries(put(api, "customers", [{**CUSTOMER, "password": "secret123"}]))
    assert entry["code"] == 400
    assert entry["details"][0]["field"] == "password"
    assert "customers set-password" in entry["message"]


def test_nulls_mean_absent(api):
    record = {**CUSTOMER, "firstName": None, "metadata": None}
    assert codes(put(api, "customers", [record])) == [201]
    assert "firstName" not in stored(api, "customers", "c1")


def test_request_level_problems_are_a_plain_400(api, app):
    for body, message in [
        ({"id": "c1"}, "JSON array"),
        ([{"id": f"c{n}"} for n in range(1001)], "at most 1000 records"),
    ]:
        response = put(api, "customers", body)
        assert response.status_code == 400
        assert message in response.get_json()["message"]
    response = api.put("/directory/customers", data="[{", content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["message"]
    assert api.put("/directory/customers").status_code == 400


def test_a_request_may_carry_the_limit_of_records(api, app):
    assert app.config["DIRECTORY_BULK_LIMIT"] == 1000
    records = [{"id": f"c{n}", "email": f"c{n}@example.com"} for n in range(1000)]
    assert set(codes(put(api, "customers", records))) == {201}
    total = api.get("/directory/customers", headers={"X-Total-Count": "true"})
    assert total.headers["X-Total-Count"] == "1000"


def test_writes_issue_the_same_few_statements_for_any_number_of_records(api, app):
    def count(records) -> int:
        sent: list[str] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: sent.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert set(codes(put(api, "customers", records))) <= {201, 204}
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(sent)

    few = [{"id": f"a{n}", "email": f"a{n}@x.com", "legalEntityIds": ["le"]} for n in range(3)]
    many = [{"id": f"b{n}", "email": f"b{n}@x.com", "legalEntityIds": ["le"]} for n in range(300)]
    assert count(few) == count(many)
    changed = [{**record, "legalEntityIds": ["le", "le2"]} for record in many]
    assert count(changed) <= count(many) + 2


def test_ids_and_emails_with_quotes_and_backslashes_round_trip(api):
    records = [
        {"id": "o'brien", "email": "o'brien@example.com"},
        {"id": "back\\slash", "email": "back\\slash@example.com"},
        {"id": "per%cent;--", "legalEntityIds": ["it's"]},
    ]
    assert codes(put(api, "customers", records)) == [201, 201, 201]
    assert codes(put(api, "customers", records)) == [204, 204, 204]
    assert stored(api, "customers", "o'brien")["email"] == "o'brien@example.com"
    (entry,) = entries(put(api, "customers", [{"id": "x", "email": "O'Brien@example.com"}]))
    assert entry["code"] == 409
    assert put(api, "categories", [cat("it's"), cat("kid", "it's")]).status_code == 207
    assert codes(put(api, "categories", [cat("it's", "kid")])) == [400]
    assert api.delete("/directory/customers/back%5Cslash").status_code == 204


def test_a_record_repeated_in_one_request_is_applied_in_order(api):
    response = put(api, "customers", [{"id": "c1", "lastName": "A"}, {"id": "c1", "lastName": "B"}])
    assert codes(response) == [201, 204]
    doc = stored(api, "customers", "c1")
    assert doc["lastName"] == "B" and doc["metadata"]["version"] == 2


# -- versions and e-mails -------------------------------------------------------------------------


def test_a_stale_version_is_a_409_and_the_current_one_writes(api):
    put(api, "customers", [CUSTOMER])
    stale = {**CUSTOMER, "lastName": "Roe", "metadata": {"version": 5}}
    (entry,) = entries(put(api, "customers", [stale]))
    assert entry["code"] == 409 and entry["status"] == "Conflict"
    assert "stored version is 1" in entry["message"]
    current = {**stale, "metadata": {"version": 1}}
    assert codes(put(api, "customers", [current])) == [204]
    assert stored(api, "customers", "c1")["metadata"]["version"] == 2


def test_a_version_on_a_new_record_is_ignored(api):
    assert codes(put(api, "customers", [{**CUSTOMER, "metadata": {"version": 7}}])) == [201]
    assert stored(api, "customers", "c1")["metadata"]["version"] == 1


def test_emails_are_unique_per_tenant_regardless_of_case(api, make_api, other_tenant):
    put(api, "customers", [CUSTOMER])
    taken = {"id": "c2", "email": "  JANE@Example.COM "}
    (entry,) = entries(put(api, "customers", [taken]))
    assert entry["code"] == 409
    assert "already used by customer c1" in entry["message"]
    assert codes(put(api, "customers", [{**CUSTOMER, "email": "Jane@Example.com"}])) == [204]
    other = make_api(tenant=OTHER_TENANT)
    assert codes(put(other, "customers", [{"id": "c2", "email": "jane@example.com"}])) == [201]


def test_two_records_of_one_request_cannot_share_an_email(api):
    response = put(
        api,
        "customers",
        [{"id": "a", "email": "x@example.com"}, {"id": "b", "email": "X@example.com"}],
    )
    assert codes(response) == [201, 409]
    assert listed(api, "customers") == ["a"]


def test_an_email_held_by_another_customer_is_refused_even_if_it_moves_in_the_same_request(api):
    put(api, "customers", [{"id": "a", "email": "a@example.com"}])
    response = put(
        api,
        "customers",
        [{"id": "a", "email": "new@example.com"}, {"id": "b", "email": "a@example.com"}],
    )
    assert codes(response) == [204, 409]
    assert codes(put(api, "customers", [{"id": "b", "email": "a@example.com"}])) == [201]


# -- categories ------------------------------------------------------------------------------------


def cat(category_id: str, parent: str | None = None) -> dict:
    record: dict = {"id": category_id, "name": {"en": category_id.title()}}
    if parent is not None:
        record["parentId"] = parent
    return record


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


# -- reading ---------------------------------------------------------------------------------------


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


# -- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_operation_needs_a_token(client, tenant, collection):
    base = f"/customer-segment/{tenant}/directory/{collection}"
    for method, path in [
        ("GET", base),
        ("PUT", base),
        ("GET", base + "/x"),
        ("DELETE", base + "/x"),
    ]:
        response = client.open(path, method=method, json=[])
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_scopes_separate_reading_from_writing(make_api, collection):
    reader = make_api(scopes=(SCOPE_READ,))
    writer = make_api(scopes=(SCOPE_MANAGE,))
    assert put(reader, collection, []).status_code == 403
    assert reader.delete(f"/directory/{collection}/x").status_code == 403
    assert "segment_manage" in put(reader, collection, []).get_json()["message"]
    assert codes(put(writer, collection, [SAMPLES[collection]])) == [201]
    assert writer.get(f"/directory/{collection}").status_code == 403
    assert writer.get(f"/directory/{collection}/x").status_code == 403
    assert reader.get(f"/directory/{collection}").status_code == 200


def test_another_tenants_token_is_forbidden(make_api, tenant, other_tenant):
    stranger = make_api(tenant=OTHER_TENANT)
    stranger.tenant = tenant
    assert stranger.get("/directory/customers").status_code == 403
    assert put(stranger, "customers", [CUSTOMER]).status_code == 403
    assert stranger.delete("/directory/customers/c1").status_code == 403


def test_a_storefront_customer_token_cannot_read_the_directory(api, client, make_client, cli):
    put(api, "customers", [CUSTOMER])
    result = cli.invoke(
        args=["customers", "set-password", "--tenant", api.tenant, "c1"], input="long enough\n"
    )
    assert result.exit_code == 0, result.output
    creds = make_client(scopes=(SCOPE_READ_OWN,), grants=("password",))
    token = client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": CUSTOMER["email"], "password": "long enough"},
        headers={"Authorization": creds.basic},
    ).get_json()["access_token"]
    response = client.get(
        f"/customer-segment/{api.tenant}/directory/customers",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403


# -- deleting --------------------------------------------------------------------------------------


def _pk(model, record_id: str) -> int:
    return db.session.scalar(select(model.pk).where(model.id == record_id))


def assign(app, segment_id: str, kind: str, record_id: str, legal_entity_id: str | None = None):
    """A segment assignment naming the record, inserted directly (the assignment API is not
    what these tests are about)."""
    with app.app_context():
        segment = _pk(Segment, segment_id)
        if kind == "customer":
            row = CustomerAssignment(
                segment_pk=segment,
                customer_pk=_pk(Customer, record_id),
                legal_entity_pk=_pk(LegalEntity, legal_entity_id) if legal_entity_id else None,
            )
        elif kind == "product":
            row = ItemAssignment(
                segment_pk=segment, item_type="PRODUCT", product_pk=_pk(Product, record_id)
            )
        else:
            row = ItemAssignment(
                segment_pk=segment, item_type="CATEGORY", category_pk=_pk(Category, record_id)
            )
        add_assignment(row)
        db.session.commit()


def assignments(app) -> int:
    with app.app_context():
        customers = db.session.scalar(select(func.count()).select_from(CustomerAssignment))
        items = db.session.scalar(select(func.count()).select_from(ItemAssignment))
        return customers + items


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_delete_removes_a_record(api, collection):
    record = SAMPLES[collection]
    put(api, collection, [record])
    assert api.delete(f"/directory/{collection}/{record['id']}").status_code == 204
    assert api.get(f"/directory/{collection}/{record['id']}").status_code == 404
    response = api.delete(f"/directory/{collection}/{record['id']}")
    assert response.status_code == 404 and response.get_json()["resourceId"] == record["id"]


@pytest.mark.parametrize(
    ("collection", "kind", "record_id", "noun"),
    [
        ("customers", "customer", "c1", "2 customer assignments"),
        ("legal-entities", "legalEntity", "le1", "1 B2B customer assignment"),
        ("categories", "category", "cat1", "2 item assignments"),
        ("products", "product", "p1", "2 item assignments"),
    ],
)
def test_delete_is_refused_while_assigned_unless_forced(
    api, app, make_segment, collection, kind, record_id, noun
):
    for name, records in SAMPLES.items():
        put(api, name, [{**records, "legalEntityIds": ["le1"]} if name == "customers" else records])
    gold, silver = make_segment(), make_segment(name={"en": "Silver"})
    if kind in ("customer", "legalEntity"):
        assign(app, gold, "customer", "c1", "le1")
        assign(app, silver, "customer", "c1")
    else:
        for segment in (gold, silver):
            assign(app, segment, kind, record_id)
    before = assignments(app)

    refused = api.delete(f"/directory/{collection}/{record_id}")
    assert refused.status_code == 400
    message = refused.get_json()["message"]
    assert noun in message and "forceDelete=true" in message
    assert assignments(app) == before
    assert api.delete(f"/directory/{collection}/{record_id}?forceDelete=false").status_code == 400

    assert api.delete(f"/directory/{collection}/{record_id}?forceDelete=true").status_code == 204
    assert api.get(f"/directory/{collection}/{record_id}").status_code == 404
    assert assignments(app) == before - int(noun.split()[0])


def test_force_delete_must_be_a_boolean(api):
    put(api, "customers", [CUSTOMER])
    assert api.delete("/directory/customers/c1?forceDelete=maybe").status_code == 400


def test_deleting_a_parent_leaves_its_children_naming_it(api):
    put(api, "categories", [cat("root"), cat("kid", "root")])
    assert api.delete("/directory/categories/root").status_code == 204
    assert stored(api, "categories", "kid")["parentId"] == "root"


def test_an_id_with_a_nul_character_is_refused_with_its_field(api, tenant):
    """PostgreSQL text cannot hold NUL: the record is refused by name, the others written."""
    body = [
        {"id": "fine", "name": "Fine GmbH"},
        {"id": "bad\u0000id", "name": "Bad GmbH"},
        {"id": "linked", "legalEntityIds": ["le\u0000x"]},
    ]
    entities = api.put("/directory/legal-entities", json=body[:2])
    assert entities.status_code == 207, entities.get_json()
    first, second = entities.get_json()
    assert first["code"] == 201
    assert second["code"] == 400 and "NUL" in second["message"]
    customers = api.put("/directory/customers", json=body[2:])
    assert customers.get_json()[0]["code"] == 400
    assert "legalEntityIds[0]" in customers.get_json()[0]["message"]
    assert api.get("/directory/legal-entities/fine").status_code == 200
