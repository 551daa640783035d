"""The rule API: save (202, poll), read, preview, remove; manual writes to automatic members;
re-evaluation on directory writes and imports; dependants; bad rules; scopes and tenants."""

from __future__ import annotations

import pytest

from segments_app.extensions import db
from segments_app.models import AttributeKey
from segments_app.models.tenants import SCOPE_MANAGE, SCOPE_READ
from tests.apis import customer_api
from tests.factories import add_category, add_customer, add_product, directory, tenant_named
from tests.rules_support import members, save, seed

GERMANS = {"field": "attributes.country", "op": "equals", "value": "DE"}


@pytest.fixture
def people(app, tenant):
    seed(
        app,
        tenant,
        {
            "c1": {"country": "DE", "tier": "gold", "ltv": 100},
            "c2": {"country": "DE", "tier": "silver", "ltv": 5},
            "c3": {"country": "AT", "tier": "gold", "ltv": 50},
            "c4": {},
        },
        {"country": "string", "tier": "string", "ltv": "number"},
    )


def test_save_evaluates_in_the_background_and_members_are_automatic(
    app, api, tenant, people, make_segment
):
    gold = make_segment(id="de")
    evaluation = save(api, gold, GERMANS)
    assert (evaluation["matched"], evaluation["joined"], evaluation["left"]) == (2, 2, 0)
    assert {"startedAt", "finishedAt", "createdAt"} <= evaluation.keys()
    assert members(app, tenant, gold) == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}
    listed = api.get(f"/segments/{gold}/customers?q=assignmentType:AUTOMATIC")
    assert sorted(a["customer"]["id"] for a in listed.get_json()) == ["c1", "c2"]
    segment = api.get(f"/segments/{gold}").get_json()
    assert segment["rule"] == GERMANS and "ruleEvaluatedAt" in segment
    assert segment["metadata"]["version"] == 2
    rule = api.get(f"/segments/{gold}/rule").get_json()
    assert rule["rule"] == GERMANS and rule["lastEvaluation"]["state"] == "done"
    assert api.get(f"/segments/{gold}").get_json().get("rule") is not None
    plain = make_segment(id="plain")
    assert "rule" not in api.get(f"/segments/{plain}").get_json()
    assert api.get(f"/segments/{plain}/rule").status_code == 404
    ruled = api.get("/segments", query_string={"q": "rule:exists", "fields": "ruleEvaluatedAt"})
    assert [doc["id"] for doc in ruled.get_json()] == [gold]
    listed = api.get("/segments", query_string={"q": "rule:missing"}).get_json()
    assert [doc["id"] for doc in listed] == [plain]


def test_a_changed_rule_moves_members_and_keeps_manual_ones(app, api, tenant, people, make_segment):
    seg = make_segment(id="de")
    assert api.put(f"/segments/{seg}/customers/c3").status_code == 201
    save(api, seg, GERMANS)
    gold = {"field": "attributes.tier", "op": "equals", "value": "gold"}
    evaluation = save(api, seg, gold)
    assert (evaluation["joined"], evaluation["left"]) == (0, 1)
    assert members(app, tenant, seg) == {"c1": "AUTOMATIC", "c3": "MANUAL"}
    history = api.get(f"/segments/{seg}").status_code
    assert history == 200


def test_preview_changes_nothing(app, api, tenant, people, make_segment):
    seg = make_segment(id="de")
    save(api, seg, GERMANS)
    response = api.post(
        f"/segments/{seg}/rule/preview",
        json={"rule": {"field": "attributes.ltv", "op": "gte", "value": 50}},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["matched"], body["joining"], body["leaving"]) == (2, 1, 1)
    assert [c["id"] for c in body["sample"]] == ["c1", "c3"]
    assert members(app, tenant, seg) == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}


def test_manual_writes_to_automatic_members(app, api, tenant, people, make_segment):
    seg = make_segment(id="de")
    save(api, seg, GERMANS)
    refused = api.delete(f"/segments/{seg}/customers/c1")
    assert refused.status_code == 409
    assert "by its rule" in refused.get_json()["message"]
    assert api.put(f"/segments/{seg}/customers/c1").status_code == 204
    assert members(app, tenant, seg)["c1"] == "MANUAL"
    # pinned: a rule that no longer selects c1 keeps it
    save(api, seg, {"field": "attributes.country", "op": "equals", "value": "AT"})
    assert members(app, tenant, seg) == {"c1": "MANUAL", "c3": "AUTOMATIC"}
    # a MANUAL member the rule selects stays on DELETE, as AUTOMATIC
    assert api.put(f"/segments/{seg}/customers/c3").status_code == 204
    assert api.delete(f"/segments/{seg}/customers/c3").status_code == 204
    assert members(app, tenant, seg)["c3"] == "AUTOMATIC"
    # one it does not select leaves
    assert api.delete(f"/segments/{seg}/customers/c1").status_code == 204
    assert members(app, tenant, seg) == {"c3": "AUTOMATIC"}


def test_remove_rule_with_and_without_members(app, api, tenant, people, make_segment):
    one, two = make_segment(id="one"), make_segment(id="two")
    save(api, one, GERMANS)
    save(api, two, GERMANS)
    assert api.delete(f"/segments/{one}/rule").status_code == 204
    assert members(app, tenant, one) == {}
    assert api.delete(f"/segments/{two}/rule?keepMembers=true").status_code == 204
    assert members(app, tenant, two) == {"c1": "MANUAL", "c2": "MANUAL"}
    assert api.delete(f"/segments/{two}/rule").status_code == 404
    assert "rule" not in api.get(f"/segments/{two}").get_json()


def test_bad_rules_are_refused_and_the_rule_stays(app, api, tenant, people, make_segment):
    seg = make_segment(id="de")
    save(api, seg, GERMANS)
    bad = {"all": [GERMANS, {"field": "attributes.ltv", "op": "gt", "value": "lots"}]}
    response = api.put(f"/segments/{seg}/rule", json={"rule": bad})
    assert response.status_code == 400
    assert [d["field"] for d in response.get_json()["details"]] == ["rule.all[1].value"]
    unknown = api.put(f"/segments/{seg}/rule", json={"rule": {"inSegment": "nope"}})
    assert unknown.status_code == 400
    assert unknown.get_json()["details"][0]["field"] == "rule.inSegment"
    assert api.put(f"/segments/{seg}/rule", json={}).status_code == 400
    assert api.get(f"/segments/{seg}/rule").get_json()["rule"] == GERMANS


def test_cycles_are_refused(app, api, tenant, people, make_segment):
    a, b = make_segment(id="a"), make_segment(id="b")
    save(api, a, {"inSegment": "b"})
    response = api.put(f"/segments/{b}/rule", json={"rule": {"not": {"inSegment": "a"}}})
    assert response.status_code == 400
    detail = response.get_json()["details"][0]
    assert (detail["field"], detail["type"]) == ("rule", "cycle")
    assert api.put(f"/segments/{a}/rule", json={"rule": {"inSegment": "a"}}).status_code == 400
    assert api.get(f"/segments/{b}/rule").status_code == 404


def test_dependants_follow_in_order(app, api, tenant, people, make_segment):
    de, gold, both = make_segment(id="de"), make_segment(id="gold"), make_segment(id="both")
    tier = {"field": "attributes.tier", "op": "equals", "value": "gold"}
    save(api, both, {"all": [{"inSegment": "de"}, {"inSegment": "gold"}]})
    assert members(app, tenant, both) == {}
    save(api, gold, tier)
    save(api, de, GERMANS)
    assert members(app, tenant, both) == {"c1": "AUTOMATIC"}
    # a manual write to a segment another rule refers to re-evaluates that rule
    assert api.put(f"/segments/{gold}/customers/c2").status_code == 201
    assert members(app, tenant, both) == {"c1": "AUTOMATIC", "c2": "AUTOMATIC"}
    assert api.delete(f"/segments/{gold}/customers/c2").status_code == 204
    assert members(app, tenant, both) == {"c1": "AUTOMATIC"}


def test_directory_writes_re_evaluate(app, api, tenant, people, make_segment):
    seg = make_segment(id="de")
    save(api, seg, GERMANS)
    response = api.put(
        "/directory/customers",
        json=[
            {"id": "c3", "email": "c3@example.com", "attributes": {"country": "DE"}},
            {"id": "c1", "email": "c1@example.com", "attributes": {"country": "FR"}},
            {"id": "c9", "email": "c9@example.com", "attributes": {"country": "DE"}},
        ],
    )
    assert response.status_code == 207, response.get_json()
    assert all(entry["code"] < 400 for entry in response.get_json()), response.get_json()
    assert members(app, tenant, seg) == {"c2": "AUTOMATIC", "c3": "AUTOMATIC", "c9": "AUTOMATIC"}


def test_scopes_and_tenants(app, api, tenant, other_tenant, people, make_segment, make_api):
    seg = make_segment(id="de")
    reader = make_api((SCOPE_READ,))
    assert reader.put(f"/segments/{seg}/rule", json={"rule": GERMANS}).status_code == 403
    assert reader.delete(f"/segments/{seg}/rule").status_code == 403
    assert reader.post(f"/segments/{seg}/rule/preview", json={"rule": GERMANS}).status_code == 200
    writer = make_api((SCOPE_MANAGE,))
    assert writer.get(f"/segments/{seg}/rule").status_code == 403
    other = make_api(tenant=other_tenant)
    theirs = other.post("/segments", json={"id": "x", "name": {"en": "X"}, "siteCode": "main"})
    assert theirs.status_code == 201
    unknown = api.put(f"/segments/{seg}/rule", json={"rule": {"inSegment": "x"}})
    assert unknown.status_code == 400


def test_storefront_reads_see_automatic_members(app, api, tenant, client, make_client):
    with directory(app):
        add_customer(tenant, "kim", "kim@example.com", password="kim-secret").attributes = {
            "tier": "gold"
        }
        add_category(tenant, "tools")
        add_product(tenant, "hammer", ("tools",))
        db.session.add(
            AttributeKey(
                tenant_id=tenant_named(tenant).id, owner="customer", key="tier", type="string"
            )
        )
    tier = {"field": "attributes.tier", "op": "equals", "value": "gold"}
    for segment_id, status in (("gold", "ACTIVE"), ("asleep", "INACTIVE")):
        body = {"id": segment_id, "name": {"en": segment_id}, "siteCode": "main", "status": status}
        assert api.post("/segments", json=body).status_code == 201
        assert api.put(f"/segments/{segment_id}/items/CATEGORY/tools").status_code == 201
        save(api, segment_id, tier)
    # an inactive segment's rule keeps evaluating: its members are right once it is activated
    assert members(app, tenant, "asleep") == {"kim": "AUTOMATIC"}
    kim = customer_api(client, make_client, "kim@example.com", "kim-secret")
    assert [s["id"] for s in kim.get("/segments").get_json()] == ["gold"]
    own = kim.get("/segments/gold/customers").get_json()
    assert [(a["customer"]["id"], a["assignmentType"]) for a in own] == [("kim", "AUTOMATIC")]
    trees = kim.get("/segments/items/category-trees").get_json()
    assert [t["id"] for t in trees] == ["tools"]
    body = {"items": [{"id": "hammer"}], "segmentIds": ["gold"], "site": "main"}
    assert api.post("/segments/match", json=body).get_json() == [{"id": "hammer"}]


def test_deleting_a_named_segment_empties_its_dependants(app, api, tenant, people, make_segment):
    de, vip = make_segment(id="de"), make_segment(id="vip")
    save(api, de, GERMANS)
    save(api, vip, {"inSegment": "de"})
    assert set(members(app, tenant, vip)) == {"c1", "c2"}
    assert api.delete(f"/segments/{de}?forceDelete=true").status_code == 204
    assert members(app, tenant, vip) == {}
    assert api.get(f"/segments/{vip}/rule").get_json()["rule"] == {"inSegment": "de"}
