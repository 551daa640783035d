"""Writes of members to a rule segment through the API beyond the customer-level ones of
test_rules_api: with a legal entity, and in bulk, as the README and the served document say."""

from __future__ import annotations

from tests.rules_support import members, save

GOLDEN = {"field": "attributes.tier", "op": "equals", "value": "gold"}


def test_with_a_legal_entity_and_in_bulk(app, api, tenant, make_segment):
    assert (
        api.put("/directory/legal-entities", json=[{"id": "le1", "name": "Globex"}]).status_code
        == 207
    )
    customers = [
        {
            "id": "c1",
            "email": "c1@example.com",
            "legalEntityIds": ["le1"],
            "attributes": {"tier": "gold"},
        },
        {"id": "c2", "email": "c2@example.com", "attributes": {"tier": "gold"}},
        {"id": "c3", "email": "c3@example.com", "attributes": {"tier": "tin"}},
    ]
    assert {e["code"] for e in api.put("/directory/customers", json=customers).get_json()} == {201}
    seg = make_segment(id="gold")
    save(api, seg, GOLDEN)
    assert members(app, tenant, seg) == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}
    # with a legal entity: a MANUAL assignment of its own beside the rule's customer-level one
    assert api.put(f"/segments/{seg}/customers/c1/le1").status_code == 201
    listed = api.get(f"/segments/{seg}/customers?pageSize=10").get_json()
    c1 = sorted(
        (a.get("legalEntity", {}).get("id") or "", a["assignmentType"])
        for a in listed
        if a["customer"]["id"] == "c1"
    )
    assert c1 == [("", "AUTOMATIC"), ("le1", "MANUAL")]
    # ... and its DELETE removes only that one
    assert api.delete(f"/segments/{seg}/customers/c1/le1").status_code == 204
    assert members(app, tenant, seg) == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}
    # in bulk: the same answers, one per element
    deleted = api.delete(
        f"/segments/{seg}/customers/bulk",
        json=[{"customerId": "c2"}, {"customerId": "c3"}],
    ).get_json()
    assert [entry["code"] for entry in deleted] == [409, 404]
    assert "by its rule" in deleted[0]["message"]
    put = api.put(f"/segments/{seg}/customers/bulk", json=[{"customerId": "c2"}]).get_json()
    assert [entry["code"] for entry in put] == [204]
    assert members(app, tenant, seg) == {"c1": "AUTOMATIC", "c2": "MANUAL"}
