"""Writing the directory with PUT /customer-segment/<tenant>/directory/<collection>: a bulk
upsert that creates, replaces (keeping the version when nothing changed) and answers 207 record
by record; limits of the request as a whole; optimistic versions and unique e-mails."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from segments_app.extensions import db
from tests.api.directory_support import (
    CHANGES,
    COLLECTIONS,
    CUSTOMER,
    SAMPLES,
    cat,
    codes,
    entries,
    listed,
    put,
    stored,
)
from tests.factories import OTHER_TENANT


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
