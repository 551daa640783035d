"""The segment document of the contract, declared once.

One row of DOCUMENT per field of the document, in the document's order: its path, the model
attribute behind it, how it renders, whether `q` and `sort` can address it, and what a write
does with it. Everything else derives from the table: the fields of `q` (SEGMENT_FIELDS), the
keys of `fields=` (SEGMENT_KEYS), the JSON the database writes (SEGMENT_JSON), the document in
Python (document), what a PUT body writes into a segment (apply) and what a PATCH starts from
(editable_document). Adding a field to the document is one row here, plus its migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from ..models import Segment
from ..models.types import isoformat
from ..query.fields import Field, FieldSet, Kind
from ..query.jsonout import (
    EMPTY,
    JSON,
    NULL,
    NUMBER,
    STRING,
    TIMESTAMP,
    json_object,
    member,
    nested,
)
from .validation import parse_datetime

#: what a write does with a field of the body
WRITTEN = "written"  # a PUT sets the attribute from it
KEPT = "kept"  # in the body (a PATCH starts from it) but never written: the id, the version
SERVER = "server"  # the server's alone: absent from a PUT body


@dataclass(frozen=True)
class DocumentField:
    #: path in the document (`validity.from`)
    path: str
    #: the Segment attribute holding it
    attribute: str
    #: how it renders: query.jsonout's STRING, NUMBER, JSON or TIMESTAMP
    kind: str
    #: a JSON map {language: text}, shown in the languages a request picks
    localized: bool = False
    #: when the document leaves it out: never (None; NULL reads `null`), NULL, or EMPTY (NULL or {})
    omit: str | None = None
    write: str = WRITTEN
    #: a null sent for it (at the top level of a body) means absent
    null_is_absent: bool = False
    #: what a write stores when the body leaves it out
    default: Any = None

    @property
    def keys(self) -> list[str]:
        return self.path.split(".")

    @property
    def column(self):
        return getattr(Segment, self.attribute)

    @property
    def q_kind(self) -> Kind:
        """How `q` and `sort` read it."""
        return Kind.LOCALIZED if self.localized else _Q_KINDS[self.kind]


_Q_KINDS = {STRING: Kind.STRING, NUMBER: Kind.NUMBER, JSON: Kind.JSON, TIMESTAMP: Kind.DATE}


DOCUMENT = (
    DocumentField("id", "id", STRING, write=KEPT),
    DocumentField("name", "name", JSON, localized=True),
    DocumentField(
        "description", "description", JSON, localized=True, omit=EMPTY, null_is_absent=True
    ),
    DocumentField("validity.from", "valid_from", TIMESTAMP, omit=NULL, null_is_absent=True),
    DocumentField("validity.to", "valid_to", TIMESTAMP, omit=NULL, null_is_absent=True),
    DocumentField("status", "status", STRING, null_is_absent=True, default="INACTIVE"),
    DocumentField("siteCode", "site_code", STRING),
    DocumentField("mixins", "mixins", JSON, omit=NULL, null_is_absent=True),
    DocumentField("metadata.version", "version", NUMBER, write=KEPT, null_is_absent=True),
    DocumentField("metadata.createdAt", "created_at", TIMESTAMP, write=SERVER),
    DocumentField("metadata.modifiedAt", "modified_at", TIMESTAMP, write=SERVER),
    DocumentField("metadata.mixins", "metadata_mixins", JSON, omit=EMPTY, null_is_absent=True),
    # a rule-based segment: its rule (the tree of GET .../rule), and when it last ran to the end;
    # both absent on a list segment, and never written by a segment PUT or PATCH
    DocumentField("rule", "rule", JSON, omit=NULL, write=SERVER),
    DocumentField("ruleEvaluatedAt", "rule_evaluated_at", TIMESTAMP, omit=NULL, write=SERVER),
)

#: the fields `q` and `sort` address
SEGMENT_FIELDS = FieldSet(*(Field(f.path, f.q_kind, f.column) for f in DOCUMENT))
#: top-level keys of a segment document (for `fields=`)
SEGMENT_KEYS = tuple(dict.fromkeys(f.keys[0] for f in DOCUMENT))
#: the fields whose maps a request's languages narrow
LOCALIZED_FIELDS = tuple(f.path for f in DOCUMENT if f.localized)
#: top-level keys of a body where null means absent
NULL_IS_ABSENT = tuple(dict.fromkeys(f.keys[0] for f in DOCUMENT if f.null_is_absent))


def _top_level() -> list[tuple[str, list[DocumentField]]]:
    """DOCUMENT grouped by top-level key: a field alone, or the members of a nested object."""
    return [(key, list(fields)) for key, fields in groupby(DOCUMENT, lambda f: f.keys[0])]


def _sql_member(key: str, fields: list[DocumentField]):
    if len(fields) == 1 and len(fields[0].keys) == 1:
        field = fields[0]
        return member(key, field.column, field.kind, omit=field.omit)
    inner = [member(f.keys[1], f.column, f.kind, omit=f.omit) for f in fields]
    # an object whose members may all be left out is left out when empty
    omit = EMPTY if all(f.omit is not None for f in fields) else None
    return nested(key, *inner, omit=omit)


#: a segment as the JSON text of the contract's SegmentResponse (full language maps)
SEGMENT_JSON = json_object(*(_sql_member(key, fields) for key, fields in _top_level()))


def _rendered(field: DocumentField, value: Any) -> Any:
    return isoformat(value) if field.kind == TIMESTAMP else value


def _left_out(field: DocumentField, value: Any) -> bool:
    if field.omit is None:
        return False
    return value is None or (field.omit == EMPTY and value == {})


def document(segment: Segment, write: tuple[str, ...] = (WRITTEN, KEPT, SERVER)) -> dict:
    """The segment's document as SEGMENT_JSON writes it, with the fields whose `write` is in
    `write`."""
    doc: dict[str, Any] = {}
    for key, fields in _top_level():
        for field in fields:
            value = getattr(segment, field.attribute)
            if field.write not in write or _left_out(field, value):
                continue
            if len(field.keys) == 1:
                doc[key] = _rendered(field, value)
            else:
                doc.setdefault(key, {})[field.keys[1]] = _rendered(field, value)
    return doc


def editable_document(segment: Segment) -> dict:
    """What a PATCH applies to: the stored segment in the shape of a PUT body."""
    return document(segment, (WRITTEN, KEPT))


def _from_body(field: DocumentField, doc: dict) -> Any:
    value: Any = doc
    for key in field.keys:
        value = (value or {}).get(key)
    if not value and (field.omit == EMPTY or field.kind == TIMESTAMP or field.default is not None):
        return field.default  # an empty optional value means absent
    return parse_datetime(value) if field.kind == TIMESTAMP else value


def apply(segment: Segment, doc: dict) -> bool:
    """Write a checked PUT body `doc` into `segment` (absent optional fields are cleared).

    Returns whether anything changed, so unchanged writes keep their version.
    """
    changed = False
    for field in DOCUMENT:
        if field.write != WRITTEN:
            continue
        value = _from_body(field, doc)
        if getattr(segment, field.attribute) != value:
            setattr(segment, field.attribute, value)
            changed = True
    return changed
