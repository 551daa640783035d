"""Searching for text inside values ("contains") in lists too long to read in one request.

On PostgreSQL, trigram indexes (migration 0004) find the rows whose value contains a text
with three letters or digits in a row. Anywhere else (SQLite has no such index; a shorter text
gives the index nothing to look up) a search has to read its list row by row: it reads the
list in order, a stretch at a time, until it has found enough or spent its time budget, and
says where it stopped, so the page can go on from there in another request. Either way no
request reads a million rows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean, Text

from ..extensions import db

#: the longest a request spends reading stretches (it ends the stretch it is in)
BUDGET_SECONDS = 0.04
_TRIGRAM = re.compile(r"[^\W_]{3}")
#: characters that JSON writes differently from the text itself (or may, as \u escapes)
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def pattern(text: str) -> str:
    """The LIKE pattern (escape character backslash) of values containing `text`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(expr: Any, text: str) -> ColumnElement[bool]:
    """`expr` contains `text`, in any case: ILIKE on PostgreSQL; on SQLite plain LIKE, which
    ignores the case of ASCII letters only, as `lower()` there would (and is twice as fast)."""
    return _Like(expr, pattern(text))


class _Like(ColumnElement[bool]):
    _traverse_internals = [
        ("expr", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
    ]
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True

    def __init__(self, expr: Any, like: str):
        clause = getattr(expr, "__clause_element__", None)
        self.expr = clause() if clause is not None else expr
        self.pattern = literal(like, Text())

    @property
    def _from_objects(self) -> list[Any]:
        return self.expr._from_objects


@compiles(_Like, "postgresql")
def _pg_like(element: _Like, compiler: SQLCompiler, **kw: Any) -> str:
    expr, like = compiler.process(element.expr, **kw), compiler.process(element.pattern, **kw)
    return f"({expr} ILIKE {like} ESCAPE '\\')"


@compiles(_Like)
def _like(element: _Like, compiler: SQLCompiler, **kw: Any) -> str:
    expr, like = compiler.process(element.expr, **kw), compiler.process(element.pattern, **kw)
    return f"({expr} LIKE {like} ESCAPE '\\')"


def json_may_contain(text: str) -> bool:
    """Whether a JSON document whose string value contains `text` holds `text` verbatim in its
    own text (so that searching the document's text narrows a search of its values): true
    for printable ASCII without quotes and backslashes."""
    return text.isascii() and not _JSON_ESCAPED.search(text)


def indexed(text: str) -> bool:
    """Whether an index finds the values containing `text` on this database."""
    return db.engine.dialect.name == "postgresql" and bool(_TRIGRAM.search(text))


@dataclass
class Scan:
    """What a search read: the rows found (one more than wanted when there are more) and, when
    it stopped before the end of its list, the key after which to go on."""

    rows: list = field(default_factory=list)
    resume: Any = None
    #: rows of the list read by stretches (0 when an index answered)
    read: int = 0


def deadline() -> float:
    """When a search that starts now has to stop reading stretches."""
    return time.monotonic() + BUDGET_SECONDS


def scan(
    keys: Callable[[Any], Select],
    found: Callable[[Any, Any, int], Sequence],
    after: Any,
    want: int,
    stretch: int,
    text: str,
    until_time: float | None = None,
) -> Scan:
    """Rows of a list that match `text`, from `after` on, until `want` + 1 are found.

    `keys(after)` is the SELECT of the list's key column after `after`, in list order;
    `found(after, until, limit)` the matching rows with keys after `after` and up to `until`
    (None: to the end), at most `limit`. With an index for `text`, one call reads everything;
    otherwise stretches of `stretch` keys are read until `until_time` (a `deadline()`, by
    default one from now) has passed.
    """
    result = Scan()
    until_time = deadline() if until_time is None else until_time
    bounded = not indexed(text)
    while True:
        until = db.session.scalar(keys(after).offset(stretch - 1).limit(1)) if bounded else None
        result.rows += found(after, until, want + 1 - len(result.rows))
        if len(result.rows) > want or until is None:
            return result
        result.read += stretch
        after = until
        if time.monotonic() >= until_time:
            result.resume = after
            return result
