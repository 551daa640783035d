"""Random documents and random `q` strings: the SQL must select what the plain-Python oracle of
q_property_support selects. Generated queries are also rendered to text and parsed back, so the
parser is checked against the generator's intent.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments_app.query.literals import Literal
from segments_app.query.qnodes import Bound, Compound, Node, Op, Term
from segments_app.query.qparse import parse_q
from tests.hypotheses import examples
from tests.unit.q_property_support import (
    BASE,
    DATES,
    FIELDS,
    FLOATS,
    REGEX_ALPHABET,
    bare_ok,
    database_row,
    documents,
    holds,
    observed,
    render_term,
    spellings,
    texts,
)

# query generation: ASTs and the text that should parse back into them


def literal_of(value: Any, kind: str) -> st.SearchStrategy[Literal]:
    return st.sampled_from(spellings(value, kind))


def random_values(kind: str) -> st.SearchStrategy[Any]:
    numbers = st.integers(-4, 6) | st.sampled_from(FLOATS)
    return {
        "string": texts,
        "number": numbers,
        "boolean": st.booleans(),
        "date": st.sampled_from([*DATES, BASE + timedelta(days=400)]),
        "json": numbers | st.booleans() | texts,
    }[kind]


@st.composite
def regexes(draw, pool: list[Any]) -> str:
    """A literal substring (letters and digits only, so Python and PostgreSQL agree)."""
    runs = [run for text in pool if isinstance(text, str) for run in re.findall("[abZ1]+", text)]
    if runs and draw(st.booleans()):
        run = draw(st.sampled_from(runs))
        start = draw(st.integers(0, len(run) - 1))
        return run[start : start + draw(st.integers(1, 2))]
    return draw(st.text(alphabet=REGEX_ALPHABET, min_size=1, max_size=2))


@st.composite
def terms(draw, docs: list[dict[str, Any]]) -> Term:
    kind, field = draw(st.sampled_from(FIELDS))
    pool = observed(docs, field)
    raw = random_values(kind)
    if pool:
        # mostly values the documents hold, so that queries select something
        raw = st.one_of(st.sampled_from(pool), st.sampled_from(pool), raw)
    values = raw.flatmap(lambda value: literal_of(value, kind))
    ops = [Op.EQ, Op.IN, Op.NULL, Op.MISSING, Op.EXISTS]
    if kind != "boolean":
        ops.append(Op.COMPARE)
    if kind in ("string", "json"):
        ops.append(Op.REGEX)
    op = draw(st.sampled_from(ops))
    if op is Op.EQ:
        return Term(field, op, (draw(values),))
    if op is Op.IN:
        items = values.filter(lambda lit: lit.quoted or bare_ok(lit.text))
        return Term(field, op, tuple(draw(st.lists(items, min_size=1, max_size=3))))
    if op is Op.REGEX:
        return Term(field, op, (Literal(draw(regexes(pool))),))
    if op is Op.COMPARE:
        lower = Bound(draw(st.sampled_from([">", ">="])), draw(values))
        upper = Bound(draw(st.sampled_from(["<", "<="])), draw(values))
        bounds = draw(st.sampled_from([(lower,), (upper,), (lower, upper), (upper, lower)]))
        return Term(field, op, bounds=bounds)
    return Term(field, op)


def nodes(docs: list[dict[str, Any]]) -> st.SearchStrategy[Node]:
    """Mostly single terms, whose effect on the result is not masked by their neighbours."""
    leaf = terms(docs)
    operators = st.sampled_from(["AND", "OR"])
    group = st.builds(Compound, operators, st.lists(leaf, min_size=2, max_size=3).map(tuple))
    nested = st.builds(
        Compound, operators, st.lists(leaf | group, min_size=2, max_size=3).map(tuple)
    )
    return st.one_of(leaf, leaf, leaf, leaf, nested)


def render(node: Node, style: int, nested: bool = False) -> str:
    if isinstance(node, Term):
        text = render_term(node, style)
        return f"({text})" if nested and style else text
    inner = f" {node.op} ".join(render(part, style, nested=True) for part in node.parts)
    return f"({inner})" if nested else f"compoundLogicalQuery:({inner})"


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_sql_agrees_with_the_python_oracle(q_table, data: st.DataObject) -> None:
    docs = data.draw(st.lists(documents, min_size=4, max_size=10), label="docs")
    by_id = {f"d{index}": {**doc, "id": f"d{index}"} for index, doc in enumerate(docs)}
    queries = data.draw(
        st.lists(
            st.lists(nodes(list(by_id.values())), min_size=1, max_size=2), min_size=3, max_size=8
        ),
        label="queries",
    )
    with q_table.engine.connect() as conn:
        transaction = conn.begin()
        try:
            for doc in by_id.values():
                conn.execute(q_table.table.insert().values(**database_row(doc)))
            for query in queries:
                style = data.draw(st.integers(0, 1), label="style")
                text = data.draw(st.sampled_from([" ", "  ", "\t"])).join(
                    render(node, style) for node in query
                )
                parsed = parse_q(text)
                assert parsed == query, text
                expected = {
                    doc_id for doc_id, doc in by_id.items() if all(holds(n, doc) for n in parsed)
                }
                assert q_table.ids(conn, text) == expected, text
        finally:
            transaction.rollback()
