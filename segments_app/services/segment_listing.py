"""Segment documents as the API reads them: one segment's, and pages of them.

The database writes each document's JSON text (segment_document.SEGMENT_JSON); listings keep
the texts they read per process, by the state of the segment they show.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import Select, bindparam, select

from ..errors import NotFound
from ..extensions import db
from ..models import Segment, Tenant
from ..query.listing import KeyedPage, order_by, plain_page
from .segment_document import SEGMENT_FIELDS, SEGMENT_JSON
from .segments import segments_query, segments_where

_JSON_BY_ID = select(SEGMENT_JSON).where(
    Segment.tenant_id == bindparam("tenant_id"), Segment.id == bindparam("segment_id")
)


def segment_json(tenant: Tenant, segment_id: str) -> str:
    """A segment's document as JSON text, or NotFound."""
    text = (
        db.session.connection()
        .execute(_JSON_BY_ID, {"tenant_id": tenant.id, "segment_id": segment_id})
        .scalar()
    )
    if text is None:
        raise NotFound(segment_id)
    return text


def own_segment_json(tenant: Tenant, own, segment_id: str) -> str:
    """The document of `segment_id` if it is one of the effective segments that the customer
    view `own` (services.assignments.customer_view) is in, or NotFound."""
    stmt = segments_query(tenant, only_effective=True, membership=own)
    text = db.session.scalar(stmt.with_only_columns(SEGMENT_JSON).where(Segment.id == segment_id))
    if text is None:
        raise NotFound(segment_id)
    return text


def segment_listing(
    tenant: Tenant,
    q: str | None,
    sort: str | None,
    language: str,
    *,
    only_effective: bool = False,
    membership=None,
) -> tuple[KeyedPage, dict]:
    """The statements of a page of segments matching `q` in the order of `sort`, and the values
    to run them with (query.listing.read_page). The page's rows are _DOCUMENT_KEY: give them to
    segment_texts for the documents.

    A listing by `q` and `sort` alone is built once per process and shape and kept; one of a
    customer's segments carries the clock and the customer's keys, so it is built each time.
    """
    if only_effective or membership is not None:
        order = order_by(sort, SEGMENT_FIELDS, language)
        stmt = segments_query(tenant, q, only_effective=only_effective, membership=membership)
        return _page_of_documents(stmt, order), {}
    return _shared_listing(q, sort, language), {"tenant_id": tenant.id}


@lru_cache(maxsize=256)
def _shared_listing(q: str | None, sort: str | None, language: str) -> KeyedPage:
    order = order_by(sort, SEGMENT_FIELDS, language)
    stmt = segments_where(Segment.tenant_id == bindparam("tenant_id"), q, False, None)
    return _page_of_documents(stmt, order)


def _page_of_documents(stmt: Select, order: list) -> KeyedPage:
    # A page reads each segment's key and version only; segment_texts() gives the documents.
    order = [*order, Segment.pk]
    return plain_page(stmt.order_by(None).order_by(*order).with_only_columns(*_DOCUMENT_KEY))


#: what identifies one state of a segment's document: every write adds one to the version and
#: sets modified_at (which also tells apart a row that took the pk of a deleted one)
_DOCUMENT_KEY = (Segment.pk, Segment.version, Segment.modified_at)


class DocumentCache:
    """Segment documents by _DOCUMENT_KEY, in this process, up to `size` of them.

    A key names one state of one segment, so an entry never goes stale: a write makes a new
    key, and the old entry ages out. Listings read the keys of their page and take the texts
    from here; only new states cost the database the JSON text (about 4 us a document on
    PostgreSQL, most of a listing's database time).
    """

    def __init__(self, size: int):
        self.size = size
        self._texts: dict[tuple, str] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._texts)

    def get(self, key: tuple) -> str | None:
        return self._texts.get(key)

    def put(self, items: list[tuple[tuple, str]]) -> None:
        with self._lock:
            self._texts.update(items)
            excess = len(self._texts) - self.size
            if excess > 0:
                # drop the oldest, down to nine tenths of the size (dicts keep insertion order)
                for key in list(itertools.islice(self._texts, excess + self.size // 10)):
                    del self._texts[key]


DOCUMENTS = DocumentCache(20_000)

_TEXTS_BY_PK = select(*_DOCUMENT_KEY, SEGMENT_JSON).where(
    Segment.pk.in_(bindparam("pks", expanding=True))
)


def segment_texts(conn, rows: Sequence) -> list[str]:
    """The documents (JSON text) of a listing's rows of _DOCUMENT_KEY, in their order.

    A segment changed since its row was read comes in its newer state; one deleted since
    is left out.
    """
    texts = [DOCUMENTS.get(tuple(row)) for row in rows]
    missing = [row[0] for row, text in zip(rows, texts, strict=True) if text is None]
    if not missing:
        return texts  # type: ignore[return-value]
    fresh = conn.execute(_TEXTS_BY_PK, {"pks": missing}).all()
    DOCUMENTS.put([((pk, version, modified_at), text) for pk, version, modified_at, text in fresh])
    by_pk = {row[0]: row[3] for row in fresh}
    filled = [
        text if text is not None else by_pk.get(row[0])
        for row, text in zip(rows, texts, strict=True)
    ]
    return [text for text in filled if text is not None]
