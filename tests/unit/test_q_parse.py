"""The `q` grammar: every value form, compound queries, and syntax errors with their positions."""

from __future__ import annotations

import pytest

from segments_app.query.errors import QueryError
from segments_app.query.literals import Literal
from segments_app.query.qnodes import Bound, Compound, Op, Term
from segments_app.query.qparse import parse_q


def lit(text: str, quoted: bool = False) -> Literal:
    return Literal(text, quoted)


def one(q: str) -> Term:
    nodes = parse_q(q)
    assert len(nodes) == 1
    node = nodes[0]
    assert isinstance(node, Term)
    return node


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("code:GOLD", Term("code", Op.EQ, (lit("GOLD"),))),
        ("name.en:apple_logo", Term("name.en", Op.EQ, (lit("apple_logo"),))),
        ('name:"Exact match"', Term("name", Op.EQ, (lit("Exact match", True),))),
        (r'code:"say \"hi\" \\ bye"', Term("code", Op.EQ, (lit('say "hi" \\ bye', True),))),
        (r'code:"C:\path"', Term("code", Op.EQ, (lit("C:\\path", True),))),
        ('code:""', Term("code", Op.EQ, (lit("", True),))),
        ('code:"null"', Term("code", Op.EQ, (lit("null", True),))),
        ("code:a,b", Term("code", Op.EQ, (lit("a,b"),))),
        ("code:null", Term("code", Op.NULL)),
        ("mixins.x:missing", Term("mixins.x", Op.MISSING)),
        ("mixins.segmentAttributes:exists", Term("mixins.segmentAttributes", Op.EXISTS)),
        ("published:true", Term("published", Op.EQ, (lit("true"),))),
        ("metadata.version:-12.5", Term("metadata.version", Op.EQ, (lit("-12.5"),))),
        ("price:>20", Term("price", Op.COMPARE, bounds=(Bound(">", lit("20")),))),
        ("price:>=20", Term("price", Op.COMPARE, bounds=(Bound(">=", lit("20")),))),
        ("price:<20", Term("price", Op.COMPARE, bounds=(Bound("<", lit("20")),))),
        ("price:<=20", Term("price", Op.COMPARE, bounds=(Bound("<=", lit("20")),))),
        ('code:>"a b"', Term("code", Op.COMPARE, bounds=(Bound(">", lit("a b", True)),))),
        (
            "price:(>=10 AND <=20)",
            Term("price", Op.COMPARE, bounds=(Bound(">=", lit("10")), Bound("<=", lit("20")))),
        ),
        (
            "price:( <20  AND >10 )",
            Term("price", Op.COMPARE, bounds=(Bound("<", lit("20")), Bound(">", lit("10")))),
        ),
        (
            'metadata.createdAt:(>="2021-05-18T07:27:27.455Z" AND <"2021-05-20T07:27:27.455Z")',
            Term(
                "metadata.createdAt",
                Op.COMPARE,
                bounds=(
                    Bound(">=", lit("2021-05-18T07:27:27.455Z", True)),
                    Bound("<", lit("2021-05-20T07:27:27.455Z", True)),
                ),
            ),
        ),
        (
            "metadata.createdAt:>2024-01-01T00:00:00+02:00",
            Term(
                "metadata.createdAt",
                Op.COMPARE,
                bounds=(Bound(">", lit("2024-01-01T00:00:00+02:00")),),
            ),
        ),
        ("id:(a,b,c)", Term("id", Op.IN, (lit("a"), lit("b"), lit("c")))),
        ("id:( a , b c ,c )", Term("id", Op.IN, (lit("a"), lit("b c"), lit("c")))),
        ("id:(solo)", Term("id", Op.IN, (lit("solo"),))),
        (
            'code:("apple","on,ion", plain)',
            Term("code", Op.IN, (lit("apple", True), lit("on,ion", True), lit("plain"))),
        ),
        ("code:~ABCD12", Term("code", Op.REGEX, (lit("ABCD12"),))),
        ("code:~^a.*(b|c)$", Term("code", Op.REGEX, (lit("^a.*(b|c)$"),))),
        ("code:(~AB CD)", Term("code", Op.REGEX, (lit("AB CD"),))),
        ("code:(~(a|b) c)", Term("code", Op.REGEX, (lit("(a|b) c"),))),
        ("code:(~[)] x)", Term("code", Op.REGEX, (lit("[)] x"),))),
        (r"code:(~a\) b)", Term("code", Op.REGEX, (lit(r"a\) b"),))),
        ("name.en:~(Yoghurt im)", Term("name.en", Op.REGEX, (lit("(Yoghurt im)"),))),
    ],
)
def test_value_forms(q: str, expected: Term) -> None:
    assert one(q) == expected


def test_terms_are_separated_by_any_whitespace() -> None:
    nodes = parse_q('  type:PRODUCT\tsegmentId:(s1,s2)\n code:"x y"  ')
    assert nodes == [
        Term("type", Op.EQ, (lit("PRODUCT"),)),
        Term("segmentId", Op.IN, (lit("s1"), lit("s2"))),
        Term("code", Op.EQ, (lit("x y", True),)),
    ]


def test_blank_query_has_no_terms() -> None:
    assert parse_q("") == []
    assert parse_q("   ") == []


def test_positions_point_at_field_and_value() -> None:
    first, second = parse_q('code:a  name.en:"b"')
    assert isinstance(first, Term) and isinstance(second, Term)
    assert (first.position, first.values[0].position) == (0, 5)
    assert (second.position, second.values[0].position) == (8, 16)


def test_compound_query_with_nesting_and_precedence() -> None:
    q = (
        "compoundLogicalQuery:(((code:apple) AND (published:true))"
        " OR ((code:onion) AND (published:false)))"
    )
    apple = Compound(
        "AND",
        (Term("code", Op.EQ, (lit("apple"),)), Term("published", Op.EQ, (lit("true"),))),
    )
    onion = Compound(
        "AND",
        (Term("code", Op.EQ, (lit("onion"),)), Term("published", Op.EQ, (lit("false"),))),
    )
    assert parse_q(q) == [Compound("OR", (apple, onion))]


def test_compound_and_binds_tighter_than_or() -> None:
    (node,) = parse_q("compoundLogicalQuery:(a:1 AND b:2 OR c:3 d:~x)")
    a, b, c = (Term(f, Op.EQ, (lit(v),)) for f, v in (("a", "1"), ("b", "2"), ("c", "3")))
    d = Term("d", Op.REGEX, (lit("x"),))
    assert node == Compound("OR", (Compound("AND", (a, b)), Compound("AND", (c, d))))


def test_compound_mixes_with_plain_terms() -> None:
    nodes = parse_q('status:ACTIVE compoundLogicalQuery:((code:(a,"b")) OR (code:~(x y)))')
    assert nodes == [
        Term("status", Op.EQ, (lit("ACTIVE"),)),
        Compound(
            "OR",
            (
                Term("code", Op.IN, (lit("a"), lit("b", True))),
                Term("code", Op.REGEX, (lit("(x y)"),)),
            ),
        ),
    ]


def test_single_parenthesised_term_is_not_wrapped() -> None:
    assert parse_q("compoundLogicalQuery:((code:a))") == [Term("code", Op.EQ, (lit("a"),))]


@pytest.mark.parametrize(
    ("q", "position", "fragment"),
    [
        ('code:"abc', 5, "unclosed double quote"),
        ('code:"a\\"', 5, "unclosed double quote"),
        ("code:(a,b", 9, "expected ',' or ')' to close '(' at position 5"),
        ("code:(~ab", 9, "expected ')' to close '(' at position 5"),
        ("price:(>=1 AND <5", 17, "expected ')'"),
        ("code", 4, "expected ':' after the field name 'code'"),
        ("code GOLD", 4, "expected ':'"),
        ("code:a other", 12, "expected ':' after the field name 'other'"),
        ("code:", 5, "expected a value after 'code:'"),
        ("code: x", 5, "expected a value after 'code:'"),
        (":x", 0, "expected a field name"),
        ("name..en:x", 0, "not a valid field path"),
        ("code:>", 6, "expected a value after '>'"),
        ("code:(a,,b)", 8, "expected a list item"),
        ("code:()", 6, "expected a list item"),
        ("price:(>=10)", 11, "needs two comparisons"),
        ("price:(>=10 OR <=20)", 12, "expected 'AND'"),
        ("price:(>=10 AND <=20 AND <5)", 21, "exactly two comparisons"),
        ("price:(>=10 AND >20)", 6, "one lower bound"),
        ("price:(<=10 AND <20)", 6, "one lower bound"),
        ("price:!=5", 6, "unknown operator '!='"),
        ("price:=5", 6, "unknown operator '='"),
        ("price:>>5", 6, "unknown operator '>>'"),
        ("price:(=>5 AND <9)", 7, "unknown operator '=>'"),
        ("code:~", 6, "expected a regular expression"),
        ("code:~a[b", 7, "invalid regular expression"),
        ("code:~(ab", 6, "invalid regular expression"),
        ("code:a)", 6, "unexpected ')'"),
        ('code:"a"b', 8, "expected whitespace before the next term"),
        ("code:a(b", 6, "put the value in double quotes"),
        ('code:(a"b")', 7, "put the item in double quotes"),
        ("compoundLogicalQuery:code:a", 21, "expected '('"),
        ("compoundLogicalQuery:((a:1) OR (b:2)", 36, "expected ')' to close '(' at position 21"),
        ("compoundLogicalQuery:()", 22, "expected a field name"),
        ("compoundLogicalQuery:((a:1)(b:2))", 27, "expected whitespace, AND, OR or ')'"),
        ("code:a\x00", 6, "NUL"),
    ],
)
def test_syntax_errors_say_where(q: str, position: int, fragment: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_q(q)
    error = caught.value
    assert error.position == position
    assert fragment in error.message
    assert error.message.startswith(f"at position {position}: ")
    assert str(error) == error.message


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError)


def test_deep_nesting_is_refused_not_recursed() -> None:
    q = "compoundLogicalQuery:" + "(" * 500 + "a:1" + ")" * 500
    with pytest.raises(QueryError, match="nest deeper"):
        parse_q(q)
