"""Regular expressions that clients send (`~regex` in `q`): RE2's syntax, bounded in size.

RE2 matches in time linear in the text, whatever the pattern. Every pattern is checked here
before it reaches SQL. On SQLite, REGEXP is RE2 too; on PostgreSQL the database's own engine
runs the checked pattern, and the statement timeout bounds it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import re2
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..extensions import SQLITE_CONNECTIONS
from ..limits import REGEX_MAX_LENGTH, REGEX_MAX_MEMORY
from .errors import QueryError

__all__ = ["check_pattern", "compiled"]

_OPTIONS = re2.Options()
_OPTIONS.max_mem = REGEX_MAX_MEMORY
_OPTIONS.log_errors = False

#: constructs of other regex dialects that RE2 refuses, by how RE2's error quotes them
_CONSTRUCTS = (
    ("(?<=", "lookbehind (?<=...)"),
    ("(?<!", "negative lookbehind (?<!...)"),
    ("(?=", "lookahead (?=...)"),
    ("(?!", "negative lookahead (?!...)"),
    ("(?>", "an atomic group (?>...)"),
)
_BACKREFERENCE = re.compile(r"\\[1-9]|\\[gk]")
_POSSESSIVE = frozenset({"++", "*+", "?+", "}+"})


@lru_cache(maxsize=512)
def compiled(pattern: str) -> re2._Regexp:
    """`pattern` compiled by RE2 (kept: SQLite calls REGEXP once per row); raises re2.error."""
    return re2.compile(pattern, _OPTIONS)


def check_pattern(pattern: str, position: int) -> None:
    """Raise QueryError naming the problem when `pattern` (found at `position`) is refused."""
    if len(pattern) > REGEX_MAX_LENGTH:
        raise QueryError(
            f"the regular expression is {len(pattern)} characters long; "
            f"at most {REGEX_MAX_LENGTH} are allowed",
            position,
        )
    try:
        compiled(pattern)
    except re2.error as exc:
        detail, offset = _explain(pattern, exc)
        raise QueryError(detail, position + offset) from None


def _explain(pattern: str, exc: Exception) -> tuple[str, int]:
    raw = exc.args[0] if exc.args else ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    what, _, quoted = text.partition(": ")
    offset = max(pattern.find(quoted), 0) if quoted else 0
    for opener, name in _CONSTRUCTS:
        if quoted.startswith(opener):
            return f"{name} is not supported (regular expressions use RE2 syntax)", offset
    if what == "invalid escape sequence" and _BACKREFERENCE.match(quoted):
        return f"backreferences such as {quoted} are not supported (RE2 syntax)", offset
    if what == "bad repetition operator" and quoted in _POSSESSIVE:
        return f"possessive quantifiers such as {quoted} are not supported (RE2 syntax)", offset
    if what == "invalid repetition size":
        return f"a repetition count is at most 1000, got {quoted}", offset
    if what.startswith("pattern too large"):
        return "the regular expression is too complex; simplify it", 0
    return f"invalid regular expression: {text}", offset


def _regexp(pattern: str | None, value: object) -> bool | None:
    if pattern is None or value is None:
        return None
    return compiled(pattern).search(value if isinstance(value, str) else str(value)) is not None


_INSTALLED = "segments_re2_regexp"


@event.listens_for(Engine, "checkout")
def _re2_regexp(dbapi_connection, record, proxy) -> None:
    """SQLite's REGEXP runs RE2 (SQLAlchemy's own runs Python's `re`, which can backtrack for
    minutes while holding the interpreter lock).

    The SQLite dialect defines its REGEXP in a "connect" listener of each engine's pool; those
    run after every listener made for all engines, so this one waits for a connection's first
    checkout and replaces it then.
    """
    if not isinstance(dbapi_connection, SQLITE_CONNECTIONS):
        return
    if record.info.get(_INSTALLED) is dbapi_connection:
        return
    dbapi_connection.create_function("regexp", 2, _regexp, deterministic=True)
    record.info[_INSTALLED] = dbapi_connection
