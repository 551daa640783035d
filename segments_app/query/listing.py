"""Paging, sorting, counting and projecting a list, the same way for every resource."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, TableClause, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.util import find_tables

from ..errors import BadRequest
from ..extensions import DbSession
from ..limits import LIST_PARAM_MAX_ENTRIES, LIST_PARAM_MAX_LENGTH, PAGE_NUMBER_MAX
from .fields import FieldSet, Kind, UnknownField
from .jsonsql import json_sort_key


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _positive_int(name: str, raw: str | None, default: int, maximum: int | None = None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, got '{raw[:40]}'.") from None
    if value < 1:
        raise BadRequest(f"{name} must be at least 1, got {value}.")
    if maximum is not None and value > maximum:
        raise BadRequest(f"{name} must be at most {maximum}, got {value}.")
    return value


def parse_page(number: str | None, size: str | None, default_size: int, max_size: int) -> Page:
    """pageNumber from 1 to PAGE_NUMBER_MAX (default 1); pageSize from 1 to max_size (default
    default_size)."""
    return Page(
        _positive_int("pageNumber", number, 1, PAGE_NUMBER_MAX),
        _positive_int("pageSize", size, default_size, max_size),
    )


def parse_bool(name: str, raw: str | None, default: bool = False) -> bool:
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise BadRequest(f"{name} must be true or false, got '{raw}'.")


def _entries(name: str, raw: str | None) -> list[str]:
    """The comma-separated entries of a list parameter (sort, fields), within the limits."""
    if not raw:
        return []
    if len(raw) > LIST_PARAM_MAX_LENGTH:
        raise BadRequest(
            f"{name} is {len(raw)} characters long; at most {LIST_PARAM_MAX_LENGTH} are allowed."
        )
    entries = raw.split(",")
    if len(entries) > LIST_PARAM_MAX_ENTRIES:
        raise BadRequest(
            f"{name} lists {len(entries)} entries; at most {LIST_PARAM_MAX_ENTRIES} are allowed."
        )
    return entries


def order_by(sort: str | None, fields: FieldSet, language: str) -> list[Any]:
    """`sort=a,b.c:desc` to ORDER BY clauses; nulls sort last ascending, first descending."""
    clauses = []
    for part in _entries("sort", sort):
        part = part.strip()
        if not part:
            continue
        path, _, direction = part.partition(":")
        direction = direction.strip().lower() or "asc"
        if direction not in ("asc", "desc"):
            raise BadRequest(f"sort: direction of '{path}' must be asc or desc, got '{direction}'.")
        try:
            field, sub = fields.resolve(path.strip())
        except UnknownField as exc:
            raise BadRequest(f"sort: {exc}") from None
        if not field.sortable:
            raise BadRequest(f"sort: '{path}' cannot be sorted on.")
        if field.kind is Kind.LOCALIZED:
            expr = json_sort_key(field.expr, sub or (language,))
        elif field.kind is Kind.JSON:
            if not sub:
                raise BadRequest(f"sort: name a value inside '{path}', such as '{path}.key'.")
            expr = json_sort_key(field.expr, sub)
        else:
            expr = field.expr
        clauses.append(
            expr.desc().nulls_first() if direction == "desc" else expr.asc().nulls_last()
        )
    return clauses


def parse_fields(raw: str | None, known: Iterable[str]) -> list[str] | None:
    """`fields=a,b.c`: the paths to keep; the first part of each must be a known field."""
    if not raw:
        return None
    known = set(known)
    paths = [p.strip() for p in _entries("fields", raw) if p.strip()]
    for path in paths:
        if path.split(".")[0] not in known:
            raise BadRequest(
                f"fields: unknown field '{path}'. Known fields: {', '.join(sorted(known))}."
            )
    return paths


def project(doc: dict, paths: Sequence[str] | None, always: Sequence[str] = ("id",)) -> dict:
    """Keep only `paths` (dot paths) of `doc`, plus the `always` ones when present."""
    if paths is None:
        return doc
    out: dict = {}
    for path in [*always, *paths]:
        _copy_path(doc, out, path.split("."))
    return out


def _copy_path(source: dict, target: dict, parts: list[str]) -> None:
    key, rest = parts[0], parts[1:]
    if key not in source:
        return
    if not rest:
        target[key] = source[key]
    elif isinstance(source[key], dict):
        _copy_path(source[key], target.setdefault(key, {}), rest)


#: a join of `joined`: (model, on clause, outer join or not)
Join = tuple[Any, Any, bool]


def tables_of(*clauses: Any) -> set[TableClause]:
    """The tables the columns of `clauses` (conditions, sort keys; None is skipped) read."""
    found: set[TableClause] = set()
    for clause in clauses:
        if clause is not None:
            found.update(find_tables(clause, check_columns=True, include_joins=True))
    return found


def joined(stmt: Select, joins: Sequence[Join], used: set[TableClause] | None = None) -> Select:
    """`stmt` joined to each (model, on clause, outer) of `joins`, in order; with `used` (see
    tables_of), only to those whose table it holds: a key query joins only what it reads."""
    for model, onclause, outer in joins:
        if used is None or model.__table__ in used:
            stmt = stmt.join(model, onclause, isouter=outer)
    return stmt


@dataclass(frozen=True)
class KeyedPage:
    """The statements of a listing's page and its count (plain_page, or page_by_key for a
    deferred join), with the page's limit and offset left as bound parameters: a listing of one
    shape (same q and sort) can build them once and keep them, which spares SQLAlchemy building
    them and computing their cache keys on every request."""

    rows: Select
    count: Select


PAGE_LIMIT = bindparam("page_limit", type_=Integer)
PAGE_OFFSET = bindparam("page_offset", type_=Integer)


def plain_page(stmt: Select) -> KeyedPage:
    """The KeyedPage of `stmt` paged as it is (no deferred join)."""
    return KeyedPage(
        rows=stmt.limit(PAGE_LIMIT).offset(PAGE_OFFSET),
        count=select(func.count()).select_from(stmt.order_by(None).subquery()),
    )


def page_by_key(stmt: Select, keys: Select, on: Any = None) -> KeyedPage:
    """The KeyedPage of `stmt`, paging over `keys` first (a deferred join).

    `keys` selects the one key column that `stmt`'s ORDER BY ends with (so the order is total),
    with the same rows, WHERE and ORDER BY as `stmt` but only the joins that these need (joins
    that neither drop nor repeat rows may go). The database then skips the rows before the page
    in `keys` alone, down an index when there is one, and `stmt` joins everything else for the
    page's rows only, in the same order. `on` is the column of `stmt` that the key matches, when
    `keys` reads it from another table.
    """
    key = keys.selected_columns[0]
    page_keys = keys.limit(PAGE_LIMIT).offset(PAGE_OFFSET).subquery("page_keys")
    return KeyedPage(
        rows=stmt.join(page_keys, page_keys.c[0] == (key if on is None else on)),
        count=select(func.count()).select_from(keys.order_by(None).subquery()),
    )


def last_page(total: int, size: int) -> int:
    """The number of the last page of `total` rows, `size` a page (1 when there are none)."""
    return max(1, -(-total // size))


@dataclass(frozen=True)
class Paged:
    """A page of a listing: its rows, the listing's total (None when not asked for) and the
    page it is (the last one, when the page asked for lay past it and the caller said so)."""

    rows: list[Any]
    total: int | None
    page: Page

    @property
    def last(self) -> int:
        """The number of the last page (needs the total)."""
        return last_page(self.total or 0, self.page.size)

    @property
    def has_next(self) -> bool:
        return self.total is not None and self.page.number < self.last


#: what runs a listing's statements: a session (db.session), or a connection
Runner = DbSession | Connection


def read_page(
    session: Runner,
    listing: KeyedPage | Select,
    page: Page,
    *,
    count: bool | int,
    params: dict | None = None,
    within: bool = False,
) -> Paged:
    """One page of `listing` (a KeyedPage, or a statement paged as it is), the one way every
    list, of the API and of the pages, is paged.

    `count`: True reads the total (a first page shorter than a page is its own total), False
    leaves it None, and a number is the total the caller knows already. `params` binds what the
    listing leaves open. With `within`, a page past the last one reads the last one instead
    (pages do that; the API answers an empty list).
    """
    built = plain_page(listing) if isinstance(listing, Select) else listing
    params = params or {}
    known = None if isinstance(count, bool) else count
    if within and known is not None:
        page = Page(min(page.number, last_page(known, page.size)), page.size)
    rows = _rows(session, built, params, page)
    total = known
    if count is True:
        if page.number == 1 and len(rows) < page.size:
            total = len(rows)
        else:
            total = session.scalar(built.count, params) or 0
    paged = Paged(rows, total, page)
    if within and total is not None and page.number > paged.last:
        page = Page(paged.last, page.size)
        paged = Paged(_rows(session, built, params, page), total, page)
    return paged


def _rows(session: Runner, built: KeyedPage, params: dict, page: Page) -> list:
    bound = {**params, PAGE_LIMIT.key: page.size, PAGE_OFFSET.key: page.offset}
    return list(session.execute(built.rows, bound).all())
