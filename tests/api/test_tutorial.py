"""The publisher's segments tutorial, end to end, as a storefront developer would follow it.

https://developer.emporix.io/api-references/companies-and-customers/customer-segments/segments
"""

from __future__ import annotations

from tests.apis import customer_api

GOLDEN = "628cd20c6e8b2432b6346ca6"
MIXIN_SCHEMA = "https://res.cloudinary.com/saas-ag/raw/upload/schemata/segmentAttributes_v1.json"
PREMIUM = {
    "mixins": {"segmentAttributes": {"membershipStatus": "PREMIUM"}},
    "metadata": {"mixins": {"segmentAttributes": MIXIN_SCHEMA}},
}
PASSWORD = "anna-likes-boots"

DIRECTORY = {
    "legal-entities": [{"id": "anna-gmbh", "name": "Anna GmbH"}],
    "customers": [
        {"id": "anna", "email": "anna@example.com", "legalEntityIds": ["anna-gmbh"]},
        {"id": "ben", "email": "ben@example.com", "firstName": "Ben"},
        {"id": "cara", "email": "cara@example.com"},
    ],
    "categories": [
        {"id": "fashion", "name": {"en": "Fashion", "de": "Mode"}},
        {"id": "shoes", "parentId": "fashion", "name": {"en": "Shoes", "de": "Schuhe"}},
        {"id": "boots", "parentId": "shoes", "name": {"en": "Boots", "de": "Stiefel"}},
        {"id": "garden", "name": {"en": "Garden", "de": "Garten"}, "position": 1},
    ],
    "products": [
        {"id": "p-boot", "name": {"en": "Hiking boot"}, "categoryIds": ["boots"]},
        {"id": "p-hat", "name": {"en": "Sun hat"}, "categoryIds": ["fashion"]},
        {"id": "p-rake", "name": {"en": "Rake"}, "categoryIds": ["garden"]},
        {"id": "p-sandal", "name": {"en": "Sandal"}, "categoryIds": ["shoes"]},
    ],
}


def _codes(response) -> list[int]:
    assert response.status_code == 207, response.get_data(as_text=True)
    return [entry["code"] for entry in response.get_json()]


def _tree(nodes: list[dict]) -> list:
    return [(n["id"], n["isSegmentAssigned"], _tree(n.get("subcategories", []))) for n in nodes]


def test_the_segments_tutorial_from_setup_to_storefront(api, client, cli, make_client):
    # Reference data: the customers, legal entities, categories and products to segment.
    for collection, records in DIRECTORY.items():
        assert _codes(api.put(f"/directory/{collection}", json=records)) == [201] * len(records)
    answer = cli.invoke(
        args=["customers", "set-password", "--tenant", api.tenant, "anna"], input=PASSWORD + "\n"
    )
    assert answer.exit_code == 0, answer.output

    # 1. Create a customer segment (the tutorial's body; its validity window has passed since
    #    it was written, so this one stays open-ended).
    segment = {
        "id": GOLDEN,
        "name": {"en": "Golden Segment"},
        "description": {"en": "Golden Segment"},
        "validity": {"from": "2024-04-17T08:00:00.000Z"},
        "status": "ACTIVE",
        "siteCode": "main",
    }
    created = api.post("/segments", json=segment, headers={"Content-Language": "en"})
    assert created.status_code == 201
    assert created.get_json() == {"id": GOLDEN}
    assert created.headers["Location"].endswith(f"/segments/{GOLDEN}")
    other = {"name": {"en": "Silver Segment"}, "siteCode": "main", "status": "ACTIVE"}
    silver = api.post("/segments", json=other).get_json()["id"]

    # 2. Assign a product on its own, then categories in bulk; both are upserts.
    golden = f"/segments/{GOLDEN}"
    assert api.put(f"{golden}/items/PRODUCT/p-hat", json=PREMIUM).status_code == 201
    assert api.put(f"{golden}/items/PRODUCT/p-hat", json=PREMIUM).status_code == 204
    bulk = [{"id": "boots", **PREMIUM}, {"id": "garden"}]
    assert _codes(api.put(f"{golden}/items/CATEGORY/bulk", json=bulk)) == [201, 201]
    assert _codes(api.put(f"{golden}/items/CATEGORY/bulk", json=bulk)) == [204, 204]
    assert api.put(f"/segments/{silver}/items/PRODUCT/p-sandal").status_code == 201

    # 3. Add members: a B2B customer for its legal entity, a B2C one, then more in bulk.
    assert api.put(f"{golden}/customers/anna/anna-gmbh", json=PREMIUM).status_code == 201
    assert api.put(f"{golden}/customers/ben", json=PREMIUM).status_code == 201
    assert _codes(api.put(f"{golden}/customers/bulk", json=[{"customerId": "cara"}])) == [201]
    assert api.put(f"/segments/{silver}/customers/ben").status_code == 201

    # 4. Find segments and assignments with q.
    found = api.post(
        "/segments/search",
        json={"q": "siteCode:main name.en:~Golden"},
        headers={"X-Total-Count": "true"},
    )
    assert [doc["id"] for doc in found.get_json()] == [GOLDEN]
    assert found.headers["X-Total-Count"] == "1"
    assert found.get_json()[0]["name"] == {"en": "Golden Segment"}
    members = api.post(
        f"{golden}/customers/search", json={"q": "assignmentType:MANUAL legalEntity.id:anna-gmbh"}
    ).get_json()
    assert [(m["customer"]["id"], m["legalEntity"]["name"]) for m in members] == [
        ("anna", "Anna GmbH")
    ]
    assert members[0]["mixins"] == PREMIUM["mixins"]
    categories = api.get(f"{golden}/items", query_string={"q": "type:CATEGORY"}).get_json()
    assert sorted(doc["item"]["id"] for doc in categories) == ["boots", "garden"]
    products = api.get("/segments/items", query_string={"q": "type:PRODUCT"}).get_json()
    assert sorted((doc["segmentId"], doc["item"]["id"]) for doc in products) == sorted(
        [(GOLDEN, "p-hat"), (silver, "p-sandal")]
    )

    # 5. The storefront: Anna signs in and reads what her segments give her.
    anna = customer_api(client, make_client, "anna@example.com", PASSWORD)
    own = anna.get("/segments")
    assert own.status_code == 200
    assert [(doc["id"], doc["status"]) for doc in own.get_json()] == [(GOLDEN, "ACTIVE")]
    items = anna.get("/segments/items", headers={"Accept-Language": "de"}).get_json()
    assert sorted((doc["type"], doc["item"]["id"]) for doc in items) == [
        ("CATEGORY", "boots"),
        ("CATEGORY", "garden"),
        ("PRODUCT", "p-hat"),
    ]
    boots = next(doc for doc in items if doc["item"]["id"] == "boots")
    assert boots["item"]["name"] == {"de": "Stiefel"}
    only_products = anna.get("/segments/items", query_string={"q": "type:PRODUCT"}).get_json()
    assert [doc["item"]["id"] for doc in only_products] == ["p-hat"]

    trees = anna.get("/segments/items/category-trees", query_string={"siteCode": "main"})
    assert trees.status_code == 200
    # Boots is assigned: its ancestors are shown as labels only; garden is assigned itself.
    assert _tree(trees.get_json()) == [
        ("fashion", False, [("shoes", False, [("boots", True, [])])]),
        ("garden", True, []),
    ]

    # /match needs segment_manage: the storefront's backend asks with its service token,
    # for the segments the customer is in.
    assert anna.post("/segments/match", json={}).status_code == 403
    request = {
        "siteCode": "main",
        "segmentIds": [doc["id"] for doc in own.get_json()],
        "items": [{"id": p} for p in ("p-rake", "p-sandal", "p-boot", "p-hat", "p-unknown")],
    }
    matched = api.post("/segments/match", json=request)
    assert matched.status_code == 200
    # p-sandal is in shoes, above the assigned boots, and only in the silver segment
    assert matched.get_json() == [{"id": "p-rake"}, {"id": "p-boot"}, {"id": "p-hat"}]
