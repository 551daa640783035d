"""What the `q` property tests share: a small domain of random documents, the plain-Python
oracle, and how a value is written in `q` text.

The oracle implements the documented semantics directly over Python values; it shares only the
parsed AST with the code under test.
"""

from __future__ import annotations

import operator
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

from segments_app.query.literals import Literal
from segments_app.query.qnodes import Bound, Compound, Node, Op, Term

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


# writing values in `q` text, and the fields queries name


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


FIELDS = (
    [("string", f) for f in STRING_FIELDS]
    + [("number", f) for f in NUMBER_FIELDS]
    + [("boolean", "published"), ("date", "metadata.createdAt")]
    + [("string", f) for f in LOCALIZED_PATHS]
    + [("json", f) for f in JSON_PATHS]
)


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


def database_row(doc: dict[str, Any]) -> dict[str, Any]:
    row = dict(doc)
    for column in ("name", "mixins"):
        if row[column] == SQL_NULL:
            row[column] = sa.null()
        elif row[column] is None:
            row[column] = sa.JSON.NULL  # a JSON null document, whatever the type's none_as_null
    return row
