"""A segment's own numbers: its size day by day from its log, and its overlap with another
segment (in both, only here, only there)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from segments_app.extensions import db
from segments_app.models import Activity, CustomerAssignment
from segments_app.models.types import utcnow
from segments_app.services.segments import create_segment
from tests.factories import add_assignment, add_customer, add_legal_entity, tenant_named
from tests.pages import page_text


@pytest.fixture
def two(app, tenant):
    """gold: c0 c1 c2 (c2 twice: B2C and for le1); silver: c2 c3."""
    with app.app_context():
        t = tenant_named()
        gold = create_segment(t, {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"}, "")
        silver = create_segment(
            t, {"id": "silver", "name": {"en": "Silver"}, "siteCode": "main"}, ""
        )
        le1 = add_legal_entity("acme", "le1")
        customers = [
            add_customer("acme", f"c{n}", legal_entity_ids=("le1",) if n == 2 else ())
            for n in range(4)
        ]
        for n in (0, 1, 2):
            add_assignment(CustomerAssignment(segment_pk=gold.pk, customer_pk=customers[n].pk))
        add_assignment(
            CustomerAssignment(
                segment_pk=gold.pk, customer_pk=customers[2].pk, legal_entity_pk=le1.pk
            )
        )
        for n in (2, 3):
            add_assignment(CustomerAssignment(segment_pk=silver.pk, customer_pk=customers[n].pk))
        # the log: 5 added two days ago, 1 removed yesterday (stored count now: 4)
        now = utcnow()
        for days_ago, action, count in ((2, "members.added", 5), (1, "members.removed", 1)):
            db.session.add(
                Activity(
                    tenant_id=t.id,
                    segment_pk=gold.pk,
                    segment_id="gold",
                    actor="x",
                    at=now - timedelta(days=days_ago),
                    action=action,
                    count=count,
                )
            )
        db.session.commit()


def test_overlap_counts(editor, two):
    html = page_text(editor.get("/segments/gold/numbers?with=silver", htmx=True))
    assert re.search(r'data-count="both">1<', html)
    assert re.search(r'data-count="only-here">2<', html)
    assert re.search(r'data-count="only-there">1<', html)
    assert "Only in Silver" in html


def test_size_over_time_walks_back_from_the_stored_count(editor, two):
    html = page_text(editor.get("/segments/gold/numbers", htmx=True))
    assert 'role="img"' in html and "<a " not in html.split("</svg>")[0].split("<svg")[1]
    today, yesterday, before = (utcnow().date() - timedelta(days=n) for n in range(3))
    rows = dict(re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td class=\"num\">([\d,]+)</td>", html))
    assert rows[today.isoformat()] == "4"
    assert rows[yesterday.isoformat()] == "4"  # 1 removed that day: 5 the day before
    assert rows[before.isoformat()] == "5"
    assert "on " in html and "at most 5" in html


def test_numbers_load_into_the_members_tab_and_have_a_page(editor, two):
    tab = page_text(editor.get("/segments/gold"))
    assert 'hx-get="/segments/gold/numbers" hx-trigger="load"' in tab
    page = page_text(editor.get("/segments/gold/numbers?with=silver"))
    assert "<html" in page and "Overlap with another segment" in page


def test_unknown_other_segment_says_so(editor, two):
    html = page_text(editor.get("/segments/gold/numbers?with=nope", htmx=True))
    assert "There is no segment “nope”" in html
