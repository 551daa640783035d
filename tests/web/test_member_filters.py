"""The members list filtered by since when, legal entity and how added, and ordered by since;
paged through the one paging path, with the count of those that match."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from segments_app.extensions import db
from segments_app.models import CustomerAssignment
from segments_app.services.segments import create_segment
from tests.factories import add_assignment, add_customer, add_legal_entity, tenant_named
from tests.pages import page_text


@pytest.fixture
def gold(app, tenant):
    """c1 by hand on Jan 1, c2 by the rule on Feb 1, c3 for entity le1 on Mar 1."""
    with app.app_context():
        segment = create_segment(
            tenant_named(), {"id": "gold", "name": {"en": "Gold"}, "siteCode": "main"}, ""
        )
        entity = add_legal_entity("acme", "le1", "Le One")
        for n, month, kind, entity_pk in (
            (1, 1, "MANUAL", None),
            (2, 2, "AUTOMATIC", None),
            (3, 3, "MANUAL", entity.pk),
        ):
            customer = add_customer("acme", f"c{n}", legal_entity_ids=("le1",) if entity_pk else ())
            add_assignment(
                CustomerAssignment(
                    segment_pk=segment.pk,
                    customer_pk=customer.pk,
                    legal_entity_pk=entity_pk,
                    assignment_type=kind,
                    created_at=datetime(2026, month, 1, 12, tzinfo=UTC),
                )
            )
        db.session.commit()


def _ids(response) -> list[str]:
    return re.findall(r'<span class="mono">(c\d)</span>', page_text(response))


def test_no_filter_lists_everyone_in_key_order(editor, gold):
    assert _ids(editor.get("/segments/gold")) == ["c1", "c2", "c3"]


def test_sort_by_since(editor, gold):
    assert _ids(editor.get("/segments/gold?sort=since:desc")) == ["c3", "c2", "c1"]
    assert _ids(editor.get("/segments/gold?sort=since")) == ["c1", "c2", "c3"]


def test_since_range_includes_the_whole_last_day(editor, gold):
    answer = editor.get("/segments/gold?from=2026-01-15&to=2026-03-01")
    assert _ids(answer) == ["c2", "c3"]
    assert "2 members match the filters" in page_text(answer)


def test_filter_by_legal_entity_and_b2c(editor, gold):
    assert _ids(editor.get("/segments/gold?entity=le1")) == ["c3"]
    assert _ids(editor.get("/segments/gold?entity=-")) == ["c1", "c2"]
    assert _ids(editor.get("/segments/gold?entity=nope")) == []


def test_filter_by_how_added(editor, gold):
    assert _ids(editor.get("/segments/gold?how=rule")) == ["c2"]
    assert _ids(editor.get("/segments/gold?how=manual")) == ["c1", "c3"]
    assert _ids(editor.get("/segments/gold?how=import")) == []
    html = page_text(editor.get("/segments/gold?how=import"))
    assert "No member matches the filters" in html


def test_filters_keep_in_the_pages_links_and_fragment(editor, gold):
    fragment = editor.get("/segments/gold?how=manual&sort=since:desc", htmx=True)
    html = page_text(fragment)
    assert "<html" not in html and _ids(fragment) == ["c3", "c1"]
    assert 'hx-get="/segments/gold?how=manual&amp;sort=since:desc"' in html


def test_garbage_filters_are_ignored(editor, gold):
    answer = editor.get("/segments/gold?from=notadate&how=evil&sort=drop")
    assert answer.status_code == 200 and _ids(answer) == ["c1", "c2", "c3"]
