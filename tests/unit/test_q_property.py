"""Random documents and random `q` strings: the SQL must select what a plain-Python oracle selects.

The oracle below implements the documented semantics directly over Python values; it shares only
the parsed AST with the code under test. Generated queries are also rendered to text and parsed
back, so the parser is checked against the generator's intent.
"""

from __future__ import annotations

import operator
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segments_app.query.literals import Literal
from segments_app.query.q import compile_q
from segments_app.query.qnodes import Bound, Compound, Node, Op, Term
from segments_app.query.qparse import parse_q
from tests.hypotheses import examples

SQL_NULL = "<SQL NULL>"
ABSENT = object()
LANGS = ("en", "de", "fr")
KEYS = ("a", "b", "c")
ALPHABET = 'abZ1 "\\é中,():~'
REGEX_ALPHABET = "abZ1"
KEYWORDS = ("null", "missing", "exists")
NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
CMP = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}

BASE = datetime(2024, 3, 10, 12, tzinfo=UTC)
DATES = [BASE + timedelta(hours=h, milliseconds=ms) for h in (-30, 0, 5) for ms in (0, 250)]
FLOATS = [0.5, -1.5, 2.0, 2.5]

# a small domain, so that documents share values and queries hit them; the words collide across
# types (the string "1" against the number 1, "true" against true) and need quoting
WORDS = [
    "",
    "Gold",
    "gold",
    "G o",
    'say "hi"',
    "back\\slash",
    "é",
    "中文",
    "a,b",
    "(x)",
    "1",
    "true",
]
texts = st.sampled_from(WORDS) | st.text(alphabet=ALPHABET, max_size=3)
json_scalars = st.sampled_from([None, True, False, 0, 1, -1.5, 2.5]) | texts
json_members = json_scalars | st.dictionaries(st.sampled_from(KEYS), json_scalars, max_size=2)
documents = st.fixed_dictionaries(
    {
        "code": st.none() | texts,
        "status": st.none() | st.sampled_from(["ACTIVE", "INACTIVE", ""]),
        "version": st.none() | st.integers(-3, 5),
        "price": st.none() | st.sampled_from([*FLOATS, 0.0, 3.0]),
        "published": st.none() | st.booleans(),
        "createdAt": st.none() | st.sampled_from(DATES),
        "name": st.sampled_from([SQL_NULL, None, ["x"]])
        | st.dictionaries(st.sampled_from(LANGS), texts | st.none(), max_size=3),
        "mixins": st.sampled_from([SQL_NULL, None, "flat", [1, "a"]])
        | st.dictionaries(
            st.sampled_from(KEYS), json_members | st.lists(json_scalars, max_size=2), max_size=3
        ),
    }
)

STRING_FIELDS = {"id": "id", "code": "code", "status": "status"}
NUMBER_FIELDS = {"metadata.version": "version", "price": "price"}
JSON_PATHS = ("mixins", "mixins.a", "mixins.b", "mixins.a.b", "mixins.b.a", "mixins.c.a.b")
LOCALIZED_PATHS = ("name", "name.en", "name.de", "name.fr", "name.it")


# the oracle


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def string_holds(value: str | None, term: Term) -> bool:
    """EQ / IN / COMPARE / REGEX over one text value (None never matches)."""
    if value is None:
        return False
    if term.op is Op.EQ:
        return value == term.values[0].text
    if term.op is Op.IN:
        return value in {item.text for item in term.values}
    if term.op is Op.COMPARE:
        return all(CMP[b.op](value, b.value.text) for b in term.bounds)
    return re.search(term.values[0].text, value) is not None


def typed_holds(value: Any, term: Term, convert) -> bool:
    if term.op in (Op.NULL, Op.MISSING):
        return value is None
    if term.op is Op.EXISTS:
        return value is not None
    if value is None:
        return False
    if term.op is Op.EQ:
        return value == convert(term.values[0].text)
    if term.op is Op.IN:
        return any(value == convert(item.text) for item in term.values)
    return all(CMP[b.op](value, convert(b.value.text)) for b in term.bounds)


def to_date(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def localized_holds(doc: dict[str, Any], term: Term) -> bool:
    names = doc["name"] if isinstance(doc["name"], dict) else {}
    if term.field == "name":
        texts_ = [value for value in names.values() if isinstance(value, str)]
        if term.op in (Op.NULL, Op.MISSING):
            return not texts_
        if term.op is Op.EXISTS:
            return any(texts_)
        return any(string_holds(value, term) for value in texts_)
    value = names.get(term.field.split(".")[1], ABSENT)
    if term.op in (Op.NULL, Op.MISSING):
        return value is ABSENT or value is None
    if term.op is Op.EXISTS:
        return isinstance(value, str) and value != ""
    return string_holds(value if isinstance(value, str) else None, term)


def json_at(doc: dict[str, Any], path: list[str]) -> Any:
    current = doc["mixins"]
    if current == SQL_NULL:
        return ABSENT
    for key in path:
        if not isinstance(current, dict) or key not in current:
            return ABSENT
        current = current[key]
    return current


def json_equals(value: Any, literal: Literal) -> bool:
    if not literal.quoted and NUMBER.fullmatch(literal.text):
        return is_number(value) and value == float(literal.text)
    if not literal.quoted and literal.text in ("true", "false"):
        return isinstance(value, bool) and value == (literal.text == "true")
    return isinstance(value, str) and value == literal.text


def json_compares(value: Any, bound: Bound) -> bool:
    operand = bound.value
    if not operand.quoted and NUMBER.fullmatch(operand.text):
        return is_number(value) and CMP[bound.op](value, float(operand.text))
    return isinstance(value, str) and CMP[bound.op](value, operand.text)


def json_holds(doc: dict[str, Any], term: Term) -> bool:
    value = json_at(doc, term.field.split(".")[1:])
    if term.op is Op.NULL:
        return value is ABSENT or value is None
    if term.op is Op.MISSING:
        return value is ABSENT
    if term.op is Op.EXISTS:
        return value is not ABSENT and value is not None
    if term.op is Op.EQ:
        return json_equals(value, term.values[0])
    if term.op is Op.IN:
        return any(json_equals(value, item) for item in term.values)
    if term.op is Op.COMPARE:
        return all(json_compares(value, bound) for bound in term.bounds)
    return isinstance(value, str) and re.search(term.values[0].text, value) is not None


def holds(node: Node, doc: dict[str, Any]) -> bool:
    if isinstance(node, Compound):
        results = [holds(part, doc) for part in node.parts]
        return all(results) if node.op == "AND" else any(results)
    field = node.field
    if field in STRING_FIELDS:
        value = doc[STRING_FIELDS[field]]
        if node.op in (Op.NULL, Op.MISSING):
            return value is None
        if node.op is Op.EXISTS:
            return value not in (None, "")
        return string_holds(value, node)
    if field in NUMBER_FIELDS:
        return typed_holds(doc[NUMBER_FIELDS[field]], node, float)
    if field == "published":
        return typed_holds(doc["published"], node, lambda text: text == "true")
    if field == "metadata.createdAt":
        return typed_holds(doc["createdAt"], node, to_date)
    if field.split(".")[0] == "name":
        return localized_holds(doc, node)
    return json_holds(doc, node)


# query generation: ASTs and the text that should parse back into them


def bare_ok(text: str) -> bool:
    return (
        bool(text)
        and not any(char.isspace() or char in '"(),' for char in text)
        and text[0] not in "~<>=!"
        and text not in KEYWORDS
    )


def number_text(number: int | float) -> str:
    return repr(number) if isinstance(number, float) else str(number)


def date_text(moment: datetime, style: int) -> str:
    if style == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    if style == 1:
        return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(timezone(timedelta(hours=2))).isoformat()


def spellings(value: Any, kind: str) -> list[Literal]:
    """The ways a query can write a Python value (for JSON, some change its meaning)."""
    if isinstance(value, datetime):
        return [
            Literal(date_text(value, style), quoted) for style, quoted in ((0, False), (1, True))
        ]
    if isinstance(value, bool | int | float):
        text = ("true" if value else "false") if isinstance(value, bool) else number_text(value)
    else:
        text = value
    if bare_ok(text):
        return [Literal(text), Literal(text, True)]
    return [Literal(text, True)]


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


def observed(docs: list[dict[str, Any]], field: str) -> list[Any]:
    """The scalar values the documents hold at `field`."""
    found: list[Any] = []
    for doc in docs:
        if field in STRING_FIELDS or field in NUMBER_FIELDS:
            found.append(doc[{**STRING_FIELDS, **NUMBER_FIELDS}[field]])
        elif field in ("published", "metadata.createdAt"):
            found.append(doc["published" if field == "published" else "createdAt"])
        elif field.startswith("name"):
            names = doc["name"] if isinstance(doc["name"], dict) else {}
            found.extend(names.values() if field == "name" else [names.get(field[5:])])
        else:
            found.append(json_at(doc, field.split(".")[1:]))
    return [value for value in found if isinstance(value, str | int | float | datetime)]


@st.composite
def regexes(draw, pool: list[Any]) -> str:
    """A literal substring (letters and digits only, so Python and PostgreSQL agree)."""
    runs = [run for text in pool if isinstance(text, str) for run in re.findall("[abZ1]+", text)]
    if runs and draw(st.booleans()):
        run = draw(st.sampled_from(runs))
        start = draw(st.integers(0, len(run) - 1))
        return run[start : start + draw(st.integers(1, 2))]
    return draw(st.text(alphabet=REGEX_ALPHABET, min_size=1, max_size=2))


FIELDS = (
    [("string", f) for f in STRING_FIELDS]
    + [("number", f) for f in NUMBER_FIELDS]
    + [("boolean", "published"), ("date", "metadata.createdAt")]
    + [("string", f) for f in LOCALIZED_PATHS]
    + [("json", f) for f in JSON_PATHS]
)


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


def render_literal(literal: Literal) -> str:
    if not literal.quoted:
        return literal.text
    return '"' + literal.text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_term(term: Term, style: int) -> str:
    head = f"{term.field}:"
    if term.op is Op.EQ:
        return head + render_literal(term.values[0])
    if term.op is Op.IN:
        separator = ", " if style else ","
        return head + "(" + separator.join(render_literal(v) for v in term.values) + ")"
    if term.op is Op.REGEX:
        pattern = term.values[0].text
        return head + (f"(~{pattern})" if style else f"~{pattern}")
    if term.op is Op.COMPARE:
        parts = [b.op + render_literal(b.value) for b in term.bounds]
        return head + (parts[0] if len(parts) == 1 else f"({parts[0]} AND {parts[1]})")
    return head + str(term.op)


def render(node: Node, style: int, nested: bool = False) -> str:
    if isinstance(node, Term):
        text = render_term(node, style)
        return f"({text})" if nested and style else text
    inner = f" {node.op} ".join(render(part, style, nested=True) for part in node.parts)
    return f"({inner})" if nested else f"compoundLogicalQuery:({inner})"


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


def database_row(doc: dict[str, Any]) -> dict[str, Any]:
    row = dict(doc)
    for column in ("name", "mixins"):
        if row[column] == SQL_NULL:
            row[column] = sa.null()
        elif row[column] is None:
            row[column] = sa.JSON.NULL  # a JSON null document, whatever the type's none_as_null
    return row


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
