"""The four kinds of directory record: their fields for `q`/`sort`, documents and list queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ...errors import NotFound
from ...extensions import db
from ...models import Category, Customer, LegalEntity, Product, Tenant
from ...models.types import isoformat
from ...query.fields import Field, FieldSet, Kind
from ...query.q import compile_q


@dataclass(frozen=True)
class Links:
    """A record's ordered list of public ids kept in a link table (customer → legal entities)."""

    key: str
    owner: str
    target: str
    #: the record's relationship to its rows in the link table
    relationship: Any

    @property
    def model(self) -> type[Any]:
        """The link table's model."""
        return self.relationship.property.mapper.class_


@dataclass(frozen=True)
class Member:
    """One member of a record's document: its path (`validity.from`), the model attribute
    behind it (by default the same name), and how `q` and `sort` read it (None: they cannot).

    A DATE member is a timestamp and renders in the contract's format; a member whose value is
    None is left out, and so is a nested object left empty."""

    path: str
    attribute: str = ""
    q: Kind | None = Kind.STRING

    @property
    def source(self) -> str:
        return self.attribute or self.path


#: every record's `metadata` object
METADATA = (
    Member("metadata.version", "version", Kind.NUMBER),
    Member("metadata.createdAt", "created_at", Kind.DATE),
    Member("metadata.modifiedAt", "modified_at", Kind.DATE),
)


def _renderer(members: tuple[Member, ...]) -> Callable[[Any], dict]:
    """The function that renders a record as the document `members` declare."""
    read = attrgetter(*(m.source for m in members))
    plan = [(*_split(m.path), m.q is Kind.DATE) for m in members]

    def document(record: Any) -> dict:
        doc: dict[str, Any] = {}
        for (key, inner, timestamp), value in zip(plan, read(record), strict=True):
            if value is None:
                continue
            if timestamp:
                value = isoformat(value)
            if inner is None:
                doc[key] = value
            else:
                doc.setdefault(key, {})[inner] = value
        return doc

    return document


def _split(path: str) -> tuple[str, str | None]:
    key, _, inner = path.partition(".")
    return key, inner or None


@dataclass(frozen=True)
class DirectoryKind:
    #: the `kind` of an import line
    name: str
    #: the last part of the API path
    collection: str
    #: how messages name one record
    label: str
    model: type[Any]
    schema: str
    #: the document, in its order (see Member); the fields of `q` and `fields=` derive from it
    members: tuple[Member, ...]
    #: columns an upsert writes, besides the link table
    columns: tuple[str, ...]
    links: Links | None = None
    #: the owner of its attribute keys (services.attributes), for kinds with attributes
    attribute_owner: str | None = None

    @cached_property
    def fields(self) -> FieldSet:
        """The fields `q` and `sort` address."""
        model = self.model
        return FieldSet(
            *(Field(m.path, m.q, getattr(model, m.source)) for m in self.members if m.q)
        )

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """Top-level keys of the document, for `fields=`."""
        return tuple(dict.fromkeys(_split(m.path)[0] for m in self.members))

    @cached_property
    def localized(self) -> tuple[str, ...]:
        """The members whose {language: text} maps a request's languages narrow."""
        return tuple(m.path for m in self.members if m.q is Kind.LOCALIZED)

    @cached_property
    def document(self) -> Callable[[Any], dict]:
        """The record as the API shows it."""
        return _renderer(self.members)


LEGAL_ENTITY = DirectoryKind(
    name="legalEntity",
    collection="legal-entities",
    label="legal entity",
    model=LegalEntity,
    schema="DirectoryLegalEntity",
    members=(Member("id"), Member("name"), Member("attributes", q=None), *METADATA),
    columns=("name", "attributes"),
    attribute_owner="legalEntity",
)

CUSTOMER = DirectoryKind(
    name="customer",
    collection="customers",
    label="customer",
    model=Customer,
    schema="DirectoryCustomer",
    members=(
        Member("id"),
        Member("firstName", "first_name"),
        Member("lastName", "last_name"),
        Member("email"),
        Member("legalEntityIds", "legal_entity_ids", None),
        Member("attributes", q=None),
        *METADATA,
    ),
    columns=("first_name", "last_name", "email", "email_key", "attributes"),
    links=Links("legalEntityIds", "customer_pk", "legal_entity_id", Customer.legal_entity_links),
    attribute_owner="customer",
)

CATEGORY = DirectoryKind(
    name="category",
    collection="categories",
    label="category",
    model=Category,
    schema="DirectoryCategory",
    # the fields of the contract's CategoryTreeResponse, plus parentId
    members=(
        Member("id"),
        Member("parentId", "parent_id"),
        Member("code"),
        Member("name", q=Kind.LOCALIZED),
        Member("localizedDescription", "localized_description", Kind.LOCALIZED),
        Member("localizedSlug", "localized_slug", Kind.LOCALIZED),
        Member("ecn", q=None),
        Member("validity.from", "valid_from", Kind.DATE),
        Member("validity.to", "valid_to", Kind.DATE),
        Member("position", q=Kind.NUMBER),
        Member("published", q=Kind.BOOLEAN),
        *METADATA,
    ),
    columns=(
        "parent_id",
        "code",
        "name",
        "localized_description",
        "localized_slug",
        "ecn",
        "valid_from",
        "valid_to",
        "position",
        "published",
    ),
)

PRODUCT = DirectoryKind(
    name="product",
    collection="products",
    label="product",
    model=Product,
    schema="DirectoryProduct",
    members=(
        Member("id"),
        Member("code"),
        Member("name", q=Kind.LOCALIZED),
        Member("categoryIds", "category_ids", None),
        *METADATA,
    ),
    columns=("code", "name"),
    links=Links("categoryIds", "product_pk", "category_id", Product.category_links),
)

#: a customer as the API shows it (never its password)
customer_document = CUSTOMER.document

#: by the `kind` an import line names
KINDS: dict[str, DirectoryKind] = {k.name: k for k in (LEGAL_ENTITY, CUSTOMER, CATEGORY, PRODUCT)}
#: by the API path
COLLECTIONS: dict[str, DirectoryKind] = {k.collection: k for k in KINDS.values()}


def kind_named(name: str) -> DirectoryKind:
    """The kind an import line or a caller names; ValueError for an unknown one."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind '{name}'; use one of {', '.join(KINDS)}") from None


def records_query(tenant: Tenant, kind: DirectoryKind, q: str | None = None) -> Select:
    """The tenant's records of `kind` matching `q`, in insertion order."""
    model = kind.model
    stmt = select(model).where(model.tenant_id == tenant.id)
    condition = compile_q(q, kind.fields)
    if condition is not None:
        stmt = stmt.where(condition)
    if kind.links is not None:
        stmt = stmt.options(selectinload(kind.links.relationship))
    return stmt.order_by(model.pk)


def get_record(tenant: Tenant, kind: DirectoryKind, record_id: str) -> Any:
    """One record of `kind` by its id; NotFound when the tenant has none."""
    record = db.session.scalar(records_query(tenant, kind).where(kind.model.id == record_id))
    if record is None:
        raise NotFound(record_id)
    return record
