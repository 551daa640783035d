"""query.listing.read_page, the one way lists are paged, and query.i18n.text_in, the one way a
page picks the language of a name."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from segments_app.query.i18n import parse_accept_language, text_in
from segments_app.query.listing import Page, page_by_key, read_page

ROWS = 23


@pytest.fixture
def numbers():
    """A connection to a table of the numbers 1..ROWS, and the statements it runs."""
    engine = sa.create_engine("sqlite://")
    table = sa.Table("number", sa.MetaData(), sa.Column("n", sa.Integer, primary_key=True))
    table.metadata.create_all(engine)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with engine.connect() as conn:
        conn.execute(table.insert(), [{"n": n} for n in range(1, ROWS + 1)])
        statements.clear()
        yield conn, table, statements
    engine.dispose()


def _ns(paged) -> list[int]:
    return [row[0] for row in paged.rows]


def test_a_page_and_the_total(numbers):
    conn, table, _ = numbers
    paged = read_page(conn, sa.select(table.c.n).order_by(table.c.n), Page(2, 10), count=True)
    assert _ns(paged) == list(range(11, 21))
    assert paged.total == ROWS and paged.last == 3 and paged.has_next


def test_a_short_first_page_is_its_own_total(numbers):
    conn, table, statements = numbers
    stmt = sa.select(table.c.n).where(table.c.n <= 4).order_by(table.c.n)
    paged = read_page(conn, stmt, Page(1, 10), count=True)
    assert paged.total == 4 and len(statements) == 1


def test_without_a_count_the_total_is_unknown(numbers):
    conn, table, statements = numbers
    paged = read_page(conn, sa.select(table.c.n).order_by(table.c.n), Page(3, 10), count=False)
    assert _ns(paged) == [21, 22, 23] and paged.total is None and len(statements) == 1


def test_past_the_end_the_api_gets_nothing_and_a_page_gets_the_last_one(numbers):
    conn, table, _ = numbers
    stmt = sa.select(table.c.n).order_by(table.c.n)
    assert _ns(read_page(conn, stmt, Page(9, 10), count=True)) == []
    paged = read_page(conn, stmt, Page(9, 10), count=True, within=True)
    assert _ns(paged) == [21, 22, 23] and paged.page.number == 3 and not paged.has_next


def test_a_known_total_is_not_counted_again(numbers):
    conn, table, statements = numbers
    stmt = sa.select(table.c.n).order_by(table.c.n)
    paged = read_page(conn, stmt, Page(7, 10), count=ROWS, within=True)
    assert paged.page.number == 3 and _ns(paged) == [21, 22, 23] and len(statements) == 1


def test_a_deferred_join_pages_over_its_keys(numbers):
    conn, table, _ = numbers
    keys = sa.select(table.c.n).where(table.c.n % 2 == 0).order_by(table.c.n.desc())
    wide = sa.select(table.c.n, (table.c.n * 10).label("tens")).order_by(table.c.n.desc())
    paged = read_page(conn, page_by_key(wide, keys), Page(2, 3), count=True)
    assert [tuple(row) for row in paged.rows] == [(16, 160), (14, 140), (12, 120)]
    assert paged.total == 11


def test_text_in_the_first_language_it_has():
    name = {"de": "Stammkunden", "en": "Regulars"}
    assert text_in(name, "en") == "Regulars"
    assert text_in(name, "fr", "de") == "Stammkunden"
    assert text_in({"fr-CH": "Habitués"}, "fr") == "Habitués"


def test_text_in_any_language_rather_than_none():
    assert text_in({"it": "Clienti"}, "en") == "Clienti"
    assert text_in({}, "en") == "" and text_in(None, "en") == ""


def test_the_api_picks_as_the_pages_do():
    name = {"de": "Stammkunden", "en": "Regulars", "fr": "Habitués"}
    prefs = parse_accept_language("fr;q=0.5, de", "en")
    assert prefs.pick(name) == {"de": "Stammkunden"}
    assert text_in(name, *prefs.wanted) == "Stammkunden"
