"""Bounded work per request: `q` and its regular expressions, JSON bodies, page numbers and
the statement timeout are limited, and a request beyond a limit is a 4xx that names it, never a
500 or a 503 (issue 11, items 5, 6, 8 and 12; the sizes of stored values, item 7, are in
test_bounds_stored_sizes.py)."""

from __future__ import annotations

import io
import time

import pytest
from sqlalchemy import text
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from segments_app import create_app, jobs
from segments_app.extensions import db
from segments_app.limits import (
    JSON_MAX_DEPTH,
    Q_MAX_LENGTH,
    Q_MAX_TERMS,
    Q_MAX_VALUES,
    REGEX_MAX_LENGTH,
)
from segments_app.services.imports.runtime import own_session
from segments_app.services.longwork import lift_statement_timeout

JSON_LIMIT = 4 * 1024 * 1024


def _sqlite(app) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def _refused(response, status: int = 400) -> str:
    """The message of a contract error body with `status`."""
    body = response.get_json()
    assert response.status_code == status, body
    assert body["code"] == status and set(body) >= {"code", "status", "message"}
    return body["message"]


def _listed(api, q: str, **params) -> tuple[int, object, float]:
    started = time.perf_counter()
    response = api.get("/segments", query_string={"q": q, **params})
    return response.status_code, response.get_json(), time.perf_counter() - started


def _nested_alternation(length: int) -> str:
    """A regex of nested alternations, `(x|(x|(...x+...)+)+)+y`, padded to `length`: Python's
    backtracking `re` does not finish it even over ten x's."""
    pattern = "x+"
    while len(f"(x|{pattern})+y") <= length:
        pattern = f"(x|{pattern})+"
    pattern += "y"
    return pattern + "z?" * ((length - len(pattern)) // 2) + "z" * ((length - len(pattern)) % 2)


@pytest.fixture
def long_names(make_segment):
    """Segments whose names are long runs of one letter (a backtracking regex's worst case)."""
    make_segment(id="xs", name={"en": "x" * 250})
    make_segment(id="as", name={"en": "a" * 250})


# item 5: regular expressions


def test_nested_alternation_of_257_characters_is_refused_at_once(api, long_names):
    pattern = _nested_alternation(REGEX_MAX_LENGTH + 1)
    assert len(pattern) == 257
    status, body, seconds = _listed(api, f"name.en:~{pattern}")
    assert status == 400 and seconds < 1
    assert f"at most {REGEX_MAX_LENGTH} are allowed" in body["message"]
    assert body["message"].startswith("q: at position 9:")


def test_backtracking_regex_over_a_long_name_answers_within_a_second(app, api, long_names):
    # 253 characters: within the length limit, and exponential for a backtracking matcher
    pattern = _nested_alternation(253)
    status, body, seconds = _listed(api, f"name.en:~{pattern}")
    assert seconds < 1
    if _sqlite(app):  # REGEXP is RE2 there: linear in the name
        assert (status, body) == (200, [])
    else:  # PostgreSQL's own engine refuses it as too complex, which is a 400
        assert status == 400, body
    for q in ("name.en:~(x+x+)+y", "name.en:~^(a|aa)+$", "name.en:~(a*)*b"):
        status, body, seconds = _listed(api, q)
        assert seconds < 1, q
        assert status == 200, body
    assert [s["id"] for s in _listed(api, "name.en:~^(a|aa)+$")[1]] == ["as"]


@pytest.mark.parametrize(
    ("pattern", "named"),
    [
        (r"(a)\1", r"backreferences such as \1 are not supported"),
        ("Gold(?=en)", "lookahead (?=...) is not supported"),
        ("(?<!x)Gold", "negative lookbehind (?<!...) is not supported"),
        ("a++", "possessive quantifiers such as ++ are not supported"),
        ("a{1001}", "a repetition count is at most 1000"),
        (r"\pL{1000}", "too complex"),
        ("(ab", "invalid regular expression: missing )"),
    ],
)
def test_a_regex_outside_re2_is_400_naming_the_construct(api, pattern, named):
    message = _refused(api.get("/segments", query_string={"q": f"name.en:~{pattern}"}))
    assert named in message


def test_search_body_regex_is_bounded_too(api, long_names):
    pattern = _nested_alternation(REGEX_MAX_LENGTH + 1)
    message = _refused(api.post("/segments/search", json={"q": f"name.en:~{pattern}"}))
    assert f"at most {REGEX_MAX_LENGTH}" in message


# item 5 (every other cost of q) and item 12: too many terms is the query's limit, a 400


def test_q_longer_than_the_limit_is_400(api):
    q = "siteCode:" + "m" * Q_MAX_LENGTH
    assert f"at most {Q_MAX_LENGTH} are allowed" in _refused(
        api.get("/segments", query_string={"q": q})
    )


@pytest.mark.parametrize(
    "q",
    [
        # the kind: plain terms, ANDed (SQLite refused the statement: a 503 "busy")
        " ".join(f"mixins.k{n}:{n}" for n in range(1000)),
        " ".join(f"id:s{n}" for n in range(Q_MAX_TERMS + 1)),
        # the parts of a compoundLogicalQuery count
        "compoundLogicalQuery:(" + " OR ".join(f"(id:s{n})" for n in range(Q_MAX_TERMS + 1)) + ")",
    ],
)
def test_too_many_terms_is_400_naming_the_limit(api, make_segment, q):
    make_segment(id="s1")
    for get in (
        lambda: api.get("/segments", query_string={"q": q}),
        lambda: api.post("/segments/search", json={"q": q}),
    ):
        message = _refused(get())
        assert f"more than {Q_MAX_TERMS} terms" in message or f"at most {Q_MAX_LENGTH}" in message


def test_in_lists_are_bounded_and_a_full_one_runs_on_both_databases(api, make_segment):
    make_segment(id="s7", mixins={"tier": 7, "code": "c7"})
    numbers = ",".join(str(n) for n in range(Q_MAX_VALUES))
    # a thousand values in a JSON field: SQLite refused an OR of that many (expression depth)
    status, body, _ = _listed(api, f"mixins.tier:({numbers})")
    assert status == 200 and [s["id"] for s in body] == ["s7"]
    words = ",".join(f"c{n}" for n in range(600))  # as many as fit in a q
    assert [s["id"] for s in _listed(api, f"mixins.code:({words})")[1]] == ["s7"]
    assert [s["id"] for s in _listed(api, "mixins.code:(c7,7,true)")[1]] == ["s7"]
    too_many = ",".join(str(n) for n in range(Q_MAX_VALUES + 1))
    message = _refused(api.get("/segments", query_string={"q": f"id:({too_many})"}))
    assert f"more than {Q_MAX_VALUES} values" in message


@pytest.mark.parametrize("name", ["sort", "fields"])
def test_sort_and_fields_lists_are_bounded(api, name):
    message = _refused(api.get("/segments", query_string={name: ",".join(["id"] * 65)}))
    assert "at most 64 are allowed" in message
    message = _refused(api.get("/segments", query_string={name: "id" + " " * 5000}))
    assert "at most 4096 are allowed" in message


# item 6: JSON bodies


def test_json_body_over_the_limit_is_413_before_it_is_read(api):
    body = b'{"name": {"en": "' + b"x" * (5 * 1024 * 1024) + b'"}, "siteCode": "main"}'
    message = _refused(
        api.post("/segments", data=body, content_type="application/json"), status=413
    )
    assert f"larger than {JSON_LIMIT:,} bytes" in message


def test_json_body_without_a_length_is_read_only_up_to_the_limit(api):
    body = b"[" + b"[]," * (3 * 1024 * 1024) + b"[]]"  # 9 MiB, sent without a Content-Length

    class Chunked(io.RawIOBase):
        """A chunked body as a server hands it on: read as far as asked, no further."""

        def __init__(self):
            self.sent = 0

        def readinto(self, buffer):
            size = min(len(buffer), len(body) - self.sent, 64 * 1024)
            buffer[:size] = body[self.sent : self.sent + size]
            self.sent += size
            return size

    environ = EnvironBuilder(
        api.url("/segments/bulk"),
        method="POST",
        headers=api._headers(None),
        content_type="application/json",
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    stream = Chunked()
    environ.update({"wsgi.input": stream, "wsgi.input_terminated": True})
    response = api.client.open(Request(environ))
    assert f"larger than {JSON_LIMIT:,} bytes" in _refused(response, status=413)
    assert stream.sent <= JSON_LIMIT + 64 * 1024  # the rest was never read


@pytest.mark.parametrize("path", ["/segments", "/segments/search", "/segments/bulk"])
def test_deeply_nested_json_is_400_not_500(api, path):
    for depth in (JSON_MAX_DEPTH + 1, 10_000):
        body = "[" * depth + "]" * depth
        message = _refused(api.post(path, data=body, content_type="application/json"))
        assert f"more than {JSON_MAX_DEPTH} levels deep" in message
    nested = {"name": {"en": "Gold"}, "siteCode": "main", "mixins": {}}
    inner = nested["mixins"]
    for _ in range(JSON_MAX_DEPTH - 3):
        inner["a"] = {}
        inner = inner["a"]
    assert api.post("/segments", json=nested).status_code == 400  # mixins' own depth


def test_member_files_keep_their_own_limit(api, make_segment, monkeypatch, app):
    make_segment(id="gold")
    monkeypatch.setitem(app.config, "API_JSON_MAX_BYTES", 100)
    csv = "customerId\n" + "".join(f"c{n}\n" for n in range(100))
    response = api.post(
        "/segments/gold/imports",
        query_string={"fileName": "members.csv"},
        data=csv.encode(),
        content_type="text/csv",
    )
    assert response.status_code == 202, response.get_json()
    assert jobs.wait_idle(app, timeout=60)  # the import's run writes; let it end with the test
    message = _refused(api.post("/segments", json={"name": {"en": "x" * 200}}), status=413)
    assert "larger than 100 bytes" in message


# item 8: page numbers


@pytest.mark.parametrize(
    "path", ["/segments", "/segments/gold/customers", "/directory/products", "/segments/items"]
)
def test_page_number_beyond_the_maximum_is_400(api, make_segment, path):
    make_segment(id="gold")
    for number in ("99999999999999999999", "1000001"):
        message = _refused(api.get(path, query_string={"pageNumber": number}))
        assert "pageNumber must be at most 1000000" in message
    assert api.get(path, query_string={"pageNumber": "1000000"}).status_code == 200


# the statement timeout (PostgreSQL)


@pytest.fixture
def timed_app(app, database_url):
    """An app whose PostgreSQL statements may run 200 ms, with a route that runs longer."""
    if _sqlite(app):
        pytest.skip("SQLite has no statement timeout")
    quick = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "STATEMENT_TIMEOUT_MS": 200,
        }
    )

    @quick.get("/customer-segment/slow")
    def slow():
        db.session.execute(text("SELECT pg_sleep(2)"))
        return "done"

    yield quick
    with quick.app_context():
        db.engine.dispose()


def test_a_statement_past_the_timeout_is_503_that_says_so(timed_app):
    started = time.perf_counter()
    message = _refused(timed_app.test_client().get("/customer-segment/slow"), status=503)
    assert "took too long" in message
    assert time.perf_counter() - started < 1.5


def test_long_work_lifts_the_statement_timeout(timed_app):
    with timed_app.app_context():
        assert db.session.scalar(text("SHOW statement_timeout")) == "200ms"
        lift_statement_timeout(db.session)
        assert db.session.scalar(text("SHOW statement_timeout")) == "0"
        db.session.commit()
        assert db.session.scalar(text("SHOW statement_timeout")) == "200ms"
        db.session.remove()
        with own_session() as session:
            session.execute(text("SELECT pg_sleep(0.3)"))
            assert session.scalar(text("SHOW statement_timeout")) == "0"
        with db.engine.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "200ms"
