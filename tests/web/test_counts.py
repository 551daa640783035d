"""The member and item counts each segment stores stay exact, whatever writes the assignments:
the API (one at a time and in bulk), the dashboard, imports and their revert, deleting a
segment, and deleting directory records together with the assignments that name them; and the
pages that show counts read them in a fixed number of queries."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from segments_app.extensions import db
from segments_app.models import CustomerAssignment, ItemAssignment, Segment
from segments_app.services import counters
from segments_app.services.demo import load_demo
from segments_app.services.imports import revert_import
from tests.factories import add_category, add_product, tenant_named
from tests.imports_support import csv_bytes, run_file

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
def catalog(app):
    """Categories tools > saws and products p1, p2 (in saws) beside the import directory."""
    with app.app_context():
        add_category("acme", "tools")
        add_category("acme", "saws", parent_id="tools")
        add_product("acme", "p1", ("saws",))
        add_product("acme", "p2", ("saws",))
        db.session.commit()


def stored_counts() -> dict[int, tuple[int, int]]:
    """(members, items) of every segment as the segments store them, by pk."""
    db.session.rollback()
    rows = db.session.execute(select(Segment.pk, Segment.member_count, Segment.item_count))
    return {pk: (members, items) for pk, members, items in rows}


def actual_counts() -> dict[int, tuple[int, int]]:
    """(members, items) of every segment counted from its assignments, by pk."""
    db.session.rollback()
    counts = {pk: [0, 0] for pk in db.session.scalars(select(Segment.pk))}
    for slot, model in enumerate((CustomerAssignment, ItemAssignment)):
        rows = db.session.execute(select(model.segment_pk, func.count()).group_by(model.segment_pk))
        for pk, n in rows:
            counts[pk][slot] = n
    return {pk: (members, items) for pk, (members, items) in counts.items()}


def stored(segment_id: str = "gold") -> tuple[int, int]:
    """(members, items) tenant acme's segment stores."""
    db.session.rollback()
    pk = db.session.scalar(
        select(Segment.pk).where(Segment.tenant_id == tenant_named().id, Segment.id == segment_id)
    )
    return stored_counts()[pk]


def exact(expected: tuple[int, int], segment_id: str = "gold") -> bool:
    """The segment stores `expected`, and every segment stores what its assignments count."""
    return stored(segment_id) == expected and stored_counts() == actual_counts()


def test_api_assignments_one_at_a_time_and_in_bulk(api):
    customers = "/segments/gold/customers"
    assert api.put(f"{customers}/c1").status_code == 201
    assert api.put(f"{customers}/c1").status_code == 204  # replaced: no new member
    assert api.put(f"{customers}/c4/le1").status_code == 201
    assert exact((2, 0))
    bulk = [
        {"customerId": "c2"},
        {"customerId": "c3"},
        {"customerId": "c1"},
        {"customerId": "nobody"},  # fails on its own
        {"customerId": "c4", "legalEntityId": "le2"},
    ]
    response = api.put(f"{customers}/bulk", json=bulk)
    assert [entry["code"] for entry in response.get_json()] == [201, 201, 204, 400, 201]
    assert exact((5, 0))
    gone = [
        {"customerId": "c2"},
        {"customerId": "c2"},
        {"customerId": "c4", "legalEntityId": "le1"},
    ]
    response = api.delete(f"{customers}/bulk", json=gone)
    assert [entry["code"] for entry in response.get_json()] == [204, 404, 204]
    assert api.delete(f"{customers}/c3").status_code == 204
    assert exact((2, 0))
    assert exact((0, 0), "silver")


def test_api_item_assignments(api, catalog):
    items = "/segments/gold/items"
    assert api.put(f"{items}/PRODUCT/p1").status_code == 201
    response = api.put(f"{items}/PRODUCT/bulk", json=[{"id": "p1"}, {"id": "p2"}, {"id": "px"}])
    assert [entry["code"] for entry in response.get_json()] == [204, 201, 400]
    assert api.put(f"{items}/CATEGORY/tools").status_code == 201
    assert exact((0, 3))
    assert api.delete(f"{items}/PRODUCT/p1").status_code == 204
    response = api.delete(f"{items}/PRODUCT/bulk", json=["p2", "p2"])
    assert [entry["code"] for entry in response.get_json()] == [204, 404]
    assert exact((0, 1))


def test_dashboard_adds_and_removes_members_and_toggles_items(editor, catalog):
    added = editor.post(
        "/segments/gold/members", htmx=True, data={"customer_id": "c1", "find": "c1"}
    )
    assert added.status_code == 200
    editor.post(
        "/segments/gold/members",
        htmx=True,
        data={"customer_id": "c4", "legal_entity_id": "le2", "find": "c4"},
    )
    editor.post("/segments/gold/members", htmx=True, data={"customer_id": "c1", "find": "c1"})
    assert exact((2, 0))
    removed = editor.post("/segments/gold/members/remove", htmx=True, data={"customer_id": "c1"})
    assert removed.status_code == 200
    assert exact((1, 0))
    for kind, item_id in (("category", "tools"), ("product", "p1")):
        for assign in ("1", "1", "0", "1"):
            response = editor.post(
                f"/segments/gold/items/{kind}", htmx=True, data={"id": item_id, "assign": assign}
            )
            assert response.status_code == 200
    assert exact((1, 2))


def test_import_apply_and_revert_in_every_mode():
    added = run_file(csv_bytes("customerId", "c1", "c2", "c3", "x-404"), dry_run=False)
    assert added.status == "applied"
    assert exact((3, 0))
    preview = run_file(csv_bytes("customerId", "c4"), mode="replace")
    assert preview.status == "previewed" and exact((3, 0))
    replaced = run_file(csv_bytes("customerId", "c3", "c4"), mode="replace", dry_run=False)
    assert replaced.status == "applied"
    assert exact((2, 0))
    removed = run_file(csv_bytes("customerId", "c4", "c1"), mode="remove", dry_run=False)
    assert removed.status == "applied"
    assert exact((1, 0))
    for imp, expected in ((removed, (2, 0)), (replaced, (3, 0)), (added, (0, 0))):
        revert_import(tenant_named(), "gold", imp.id)
        db.session.commit()
        assert exact(expected)


def test_deleting_a_segment_leaves_the_others_exact(api):
    api.put("/segments/gold/customers/c1")
    api.put("/segments/silver/customers/c1")
    api.put("/segments/silver/customers/c2")
    assert api.delete("/segments/gold?forceDelete=true").status_code == 204
    assert exact((2, 0), "silver")


@pytest.mark.parametrize(
    ("collection", "record_id", "expected"),
    [
        ("customers", "c4", {"gold": (1, 2), "silver": (1, 1)}),
        ("legal-entities", "le1", {"gold": (2, 2), "silver": (2, 1)}),
        ("products", "p1", {"gold": (3, 1), "silver": (2, 0)}),
        ("categories", "tools", {"gold": (3, 1), "silver": (2, 1)}),
    ],
)
def test_deleting_directory_records_with_their_assignments(
    api, catalog, collection, record_id, expected
):
    for segment_id in ("gold", "silver"):
        api.put(f"/segments/{segment_id}/customers/c1")
        api.put(f"/segments/{segment_id}/customers/c4/le2")
    api.put("/segments/gold/customers/c4/le1")
    api.put("/segments/gold/items/PRODUCT/p1")
    api.put("/segments/gold/items/CATEGORY/tools")
    api.put("/segments/silver/items/PRODUCT/p1")
    assert exact((3, 2)) and exact((2, 1), "silver")
    response = api.delete(f"/directory/{collection}/{record_id}?forceDelete=true")
    assert response.status_code == 204, response.get_json()
    assert {segment_id: stored(segment_id) for segment_id in expected} == expected
    assert stored_counts() == actual_counts()


def test_the_demo_data_and_a_recount(app):
    with app.app_context():
        load_demo()
        db.session.commit()
        assert stored_counts() == actual_counts()
        assert any(members for members, _ in stored_counts().values())
        tenant_id = tenant_named().id
        db.session.execute(
            Segment.__table__.update()
            .where(Segment.tenant_id == tenant_id)
            .values(member_count=7, item_count=7)
        )
        counters.recount(db.session, tenant_id)
        db.session.commit()
        assert stored("gold") == (0, 0) and stored("silver") == (0, 0)


def test_list_pages_cost_the_same_queries_for_2_or_12_segments(api, editor, count_queries):
    def add_segments(first: int, last: int) -> None:
        for n in range(first, last):
            body = {"id": f"s{n}", "name": {"en": f"S{n}"}, "siteCode": "main"}
            assert api.post("/segments", json=body).status_code == 201
            for customer_id in ("c1", "c2", "c3"):
                api.put(f"/segments/s{n}/customers/{customer_id}")

    def statements() -> list[int]:
        counts = []
        for url in ("/", "/segments", "/segments?q=s&sort=modified:desc"):
            editor.get(url)
            with count_queries() as n:
                assert editor.get(url).status_code == 200
            counts.append(n())
        return counts

    add_segments(0, 2)
    few = statements()
    add_segments(2, 12)
    assert statements() == few
