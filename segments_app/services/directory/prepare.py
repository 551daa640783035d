"""One directory record, checked on its own and turned into the column values an upsert writes."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from ...errors import ValidationFailed
from ...models import Tenant
from ...query.i18n import check_languages, localize_input
from ..attributes import canonical
from ..validation import parse_datetime
from .kinds import CATEGORY, CUSTOMER, LEGAL_ENTITY, PRODUCT, DirectoryKind
from .shape import check_shape, known_properties

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_REFUSED = (
    "A password cannot be set through the API or an import file; an operator sets it with "
    "'flask --app wsgi customers set-password --tenant TENANT CUSTOMER_ID'."
)


class Prepared(NamedTuple):
    """A record that passed its own checks, as the values its row and links get."""

    id: str
    values: dict[str, Any]
    #: the ordered ids of the link table, or None for kinds without one
    links: tuple[str, ...] | None
    #: metadata.version when the record carries one
    version: int | None


def prepare(tenant: Tenant, kind: DirectoryKind, record: Any, content_lang: str | None) -> Prepared:
    """Check `record` (shape, tenant languages, kind rules); raises ValidationFailed."""
    if type(record) is not dict:
        raise ValidationFailed.field("", f"A {kind.label} must be a JSON object.", "type")
    doc = record
    # null means absent, so GET documents and sparse import lines both fit the schema; the
    # copy also keeps the caller's record as it was when plain strings become language maps
    if kind.localized or None in record.values():
        doc = {key: value for key, value in record.items() if value is not None}
    if not _known_keys(kind.schema).issuperset(doc):
        _refuse_unknown(kind, doc)
    if kind.localized:
        localize_input(doc, kind.localized, content_lang, tenant.default_language)
    if "attributes" in doc:
        doc = _with_canonical_attributes(kind, doc)
    else:
        check_shape(kind.schema, doc)
    if kind.localized:
        check_languages(doc, kind.localized, tenant.languages)
    links = tuple(doc.get(kind.links.key, ())) if kind.links else None
    _refuse_nul(doc["id"], "id")
    if kind.links is not None:
        for position, link in enumerate(links or ()):
            _refuse_nul(link, f"{kind.links.key}[{position}]")
    version = (doc.get("metadata") or {}).get("version")
    return Prepared(doc["id"], _VALUES[kind.name](doc), links, version)


def _refuse_nul(value: str, field: str) -> None:
    """Ids are looked up by value in SQL, and PostgreSQL text cannot hold a NUL character: such
    an id is refused here, with its field, rather than by the database."""
    if "\x00" in value:
        raise ValidationFailed.field(field, f"{field} must not contain a NUL character (\\u0000).")


def _with_canonical_attributes(kind: DirectoryKind, doc: dict) -> dict:
    """`doc` with its attributes in canonical form.

    services.attributes checks them against everything the schema says of them and more (the
    size, dates), naming the key and the limit; the schema checks the rest of the record. Its
    anyOf per value would cost the schema check ten times its time on such a record.
    """
    rest = {key: value for key, value in doc.items() if key != "attributes"}
    try:
        attributes = canonical(doc["attributes"])
    except ValidationFailed as problem:
        try:
            check_shape(kind.schema, rest)
        except ValidationFailed as more:
            problem.details = [*(more.details or ()), *(problem.details or ())]
        raise problem from None
    check_shape(kind.schema, rest)
    if attributes is not None:
        rest["attributes"] = attributes
    return rest


@cache
def _known_keys(schema: str) -> frozenset[str]:
    return frozenset(known_properties(schema))


def _refuse_unknown(kind: DirectoryKind, doc: dict) -> None:
    known = known_properties(kind.schema)
    unknown = [key for key in doc if key not in known]
    details = []
    for key in unknown:
        if key == "password" and kind is CUSTOMER:
            message = PASSWORD_REFUSED
        else:
            message = f"{key} is not a field of a {kind.label}; the fields are {', '.join(known)}."
        details.append({"field": key, "type": "unknown", "message": message})
    raise ValidationFailed(details)


def _legal_entity_values(doc: dict) -> dict[str, Any]:
    return {"name": doc["name"], "attributes": doc.get("attributes")}


def _customer_values(doc: dict) -> dict[str, Any]:
    email = doc.get("email")
    if email is not None:
        email = email.strip()
        if not EMAIL.match(email):
            raise ValidationFailed.field(
                "email",
                f"email must be an e-mail address such as jane@example.com; got '{doc['email']}'.",
                "format",
            )
    return {
        "first_name": doc.get("firstName"),
        "last_name": doc.get("lastName"),
        "email": email,
        "email_key": email.lower() if email else None,
        "attributes": doc.get("attributes"),
    }


def _category_values(doc: dict) -> dict[str, Any]:
    validity = doc.get("validity") or {}
    start = parse_datetime(validity["from"]) if validity.get("from") else None
    end = parse_datetime(validity["to"]) if validity.get("to") else None
    if start and end and start > end:
        raise ValidationFailed.field(
            "validity.from",
            f"validity.from ({validity['from']}) must not be after validity.to ({validity['to']}).",
            "range",
        )
    return {
        "parent_id": doc.get("parentId"),
        "code": doc.get("code"),
        "name": doc["name"],
        "localized_description": doc.get("localizedDescription"),
        "localized_slug": doc.get("localizedSlug"),
        "ecn": doc.get("ecn"),
        "valid_from": start,
        "valid_to": end,
        "position": doc.get("position", 0),
        "published": doc.get("published", True),
    }


def _product_values(doc: dict) -> dict[str, Any]:
    return {"code": doc.get("code"), "name": doc["name"]}


_VALUES: dict[str, Callable[[dict], dict[str, Any]]] = {
    LEGAL_ENTITY.name: _legal_entity_values,
    CUSTOMER.name: _customer_values,
    CATEGORY.name: _category_values,
    PRODUCT.name: _product_values,
}
