"""Every single term over the values random documents hold (each field, each operator, each
way of writing the value) must parse back into itself and select in SQL exactly what the
plain-Python oracle of q_property_support selects.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments_app.query.literals import Literal
from segments_app.query.q import compile_q
from segments_app.query.qnodes import Bound, Op, Term
from segments_app.query.qparse import parse_q
from tests.hypotheses import examples
from tests.unit.q_property_support import (
    CMP,
    FIELDS,
    REGEX_ALPHABET,
    database_row,
    documents,
    holds,
    observed,
    render_term,
    spellings,
)


def battery(docs: list[dict[str, Any]]) -> list[Term]:
    """Single terms over every field and every value the documents hold there."""
    found: list[Term] = []
    for kind, field in FIELDS:
        found += [Term(field, op) for op in (Op.NULL, Op.MISSING, Op.EXISTS)]
        values = list({(type(v), v): v for v in observed(docs, field)}.values())[:4]
        literals = [literal for value in values for literal in spellings(value, kind)]
        found += [Term(field, Op.EQ, (literal,)) for literal in literals]
        if kind != "boolean":
            # one spelling per value is enough for comparisons
            found += [
                Term(field, Op.COMPARE, bounds=(Bound(op, spellings(value, kind)[0]),))
                for value in values
                for op in CMP
            ]
        if len(literals) >= 2:
            found.append(Term(field, Op.IN, tuple(literals[:3])))
        if kind in ("string", "json"):
            chars = {char for v in values if isinstance(v, str) for char in v}
            found += [
                Term(field, Op.REGEX, (Literal(char),)) for char in chars & set(REGEX_ALPHABET)
            ]
    return found


def check_battery(conn: sa.Connection, q_table, docs: dict[str, dict[str, Any]]) -> None:
    """Run many terms at once, each as a 0/1 column, and compare every column with the oracle."""
    terms = battery(list(docs.values()))
    assert terms
    for start in range(0, len(terms), 150):
        chunk = terms[start : start + 150]
        texts_ = [render_term(term, 0) for term in chunk]
        columns = [
            sa.case((compile_q(text, q_table.fields), 1), else_=0).label(f"t{index}")
            for index, text in enumerate(texts_)
        ]
        rows = conn.execute(sa.select(q_table.table.c.id, *columns)).all()
        for index, (term, text) in enumerate(zip(chunk, texts_, strict=True)):
            assert parse_q(text) == [term], text
            selected = {row[0] for row in rows if row[index + 1]}
            expected = {doc_id for doc_id, doc in docs.items() if holds(term, doc)}
            assert selected == expected, text


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(docs=st.lists(documents, min_size=4, max_size=10))
def test_every_term_over_the_documents_values_agrees(q_table, docs: list[dict[str, Any]]) -> None:
    by_id = {f"d{index}": {**doc, "id": f"d{index}"} for index, doc in enumerate(docs)}
    with q_table.engine.connect() as conn:
        transaction = conn.begin()
        try:
            for doc in by_id.values():
                conn.execute(q_table.table.insert().values(**database_row(doc)))
            check_battery(conn, q_table, by_id)
        finally:
            transaction.rollback()
