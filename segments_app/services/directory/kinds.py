"""The four kinds of directory record: their fields for `q`/`sort`, documents and list queries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from ...errors import NotFound
from ...extensions import db
from ...models import (
    Category,
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Product,
    ProductCategory,
    Tenant,
)
from ...models.types import isoformat
from ...query.fields import Field, FieldSet, Kind
from ...query.q import compile_q


@dataclass(frozen=True)
class Links:
    """A record's ordered list of public ids kept in a link table (customer → legal entities)."""

    key: str
    model: type[Any]
    owner: str
    target: str
    relationship: Any


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
    fields: FieldSet
    #: top-level keys of the document, for `fields=`
    keys: tuple[str, ...]
    localized: tuple[str, ...]
    #: columns an upsert writes, besides the link table
    columns: tuple[str, ...]
    document: Callable[[Any], dict]
    links: Links | None = None
    #: the owner of its attribute keys (services.attributes), for kinds with attributes
    attribute_owner: str | None = None


def _metadata_fields(model: type[Any]) -> tuple[Field, ...]:
    return (
        Field("metadata.version", Kind.NUMBER, model.version),
        Field("metadata.createdAt", Kind.DATE, model.created_at),
        Field("metadata.modifiedAt", Kind.DATE, model.modified_at),
    )


def _metadata(record: Any) -> dict:
    return {
        "version": record.version,
        "createdAt": isoformat(record.created_at),
        "modifiedAt": isoformat(record.modified_at),
    }


def _without_none(doc: dict) -> dict:
    return {key: value for key, value in doc.items() if value is not None}


def legal_entity_document(entity: LegalEntity) -> dict:
    """A legal entity as the API shows it."""
    return _without_none(
        {
            "id": entity.id,
            "name": entity.name,
            "attributes": entity.attributes,
            "metadata": _metadata(entity),
        }
    )


def customer_document(customer: Customer) -> dict:
    """A customer as the API shows it (never its password)."""
    return _without_none(
        {
            "id": customer.id,
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "email": customer.email,
            "legalEntityIds": customer.legal_entity_ids,
            "attributes": customer.attributes,
            "metadata": _metadata(customer),
        }
    )


def category_document(category: Category) -> dict:
    """A category in the fields of the contract's CategoryTreeResponse, plus parentId."""
    validity = _without_none(
        {"from": isoformat(category.valid_from), "to": isoformat(category.valid_to)}
    )
    return _without_none(
        {
            "id": category.id,
            "parentId": category.parent_id,
            "code": category.code,
            "name": category.name,
            "localizedDescription": category.localized_description,
            "localizedSlug": category.localized_slug,
            "ecn": category.ecn,
            "validity": validity or None,
            "position": category.position,
            "published": category.published,
            "metadata": _metadata(category),
        }
    )


def product_document(product: Product) -> dict:
    """A product as the API shows it."""
    return _without_none(
        {
            "id": product.id,
            "code": product.code,
            "name": product.name,
            "categoryIds": product.category_ids,
            "metadata": _metadata(product),
        }
    )


LEGAL_ENTITY = DirectoryKind(
    name="legalEntity",
    collection="legal-entities",
    label="legal entity",
    model=LegalEntity,
    schema="DirectoryLegalEntity",
    fields=FieldSet(
        Field("id", Kind.STRING, LegalEntity.id),
        Field("name", Kind.STRING, LegalEntity.name),
        *_metadata_fields(LegalEntity),
    ),
    keys=("id", "name", "attributes", "metadata"),
    localized=(),
    columns=("name", "attributes"),
    document=legal_entity_document,
    attribute_owner="legalEntity",
)

CUSTOMER = DirectoryKind(
    name="customer",
    collection="customers",
    label="customer",
    model=Customer,
    schema="DirectoryCustomer",
    fields=FieldSet(
        Field("id", Kind.STRING, Customer.id),
        Field("firstName", Kind.STRING, Customer.first_name),
        Field("lastName", Kind.STRING, Customer.last_name),
        Field("email", Kind.STRING, Customer.email),
        *_metadata_fields(Customer),
    ),
    keys=("id", "firstName", "lastName", "email", "legalEntityIds", "attributes", "metadata"),
    localized=(),
    columns=("first_name", "last_name", "email", "email_key", "attributes"),
    document=customer_document,
    links=Links(
        "legalEntityIds",
        CustomerLegalEntity,
        "customer_pk",
        "legal_entity_id",
        Customer.legal_entity_links,
    ),
    attribute_owner="customer",
)

CATEGORY = DirectoryKind(
    name="category",
    collection="categories",
    label="category",
    model=Category,
    schema="DirectoryCategory",
    fields=FieldSet(
        Field("id", Kind.STRING, Category.id),
        Field("parentId", Kind.STRING, Category.parent_id),
        Field("code", Kind.STRING, Category.code),
        Field("name", Kind.LOCALIZED, Category.name),
        Field("localizedDescription", Kind.LOCALIZED, Category.localized_description),
        Field("localizedSlug", Kind.LOCALIZED, Category.localized_slug),
        Field("position", Kind.NUMBER, Category.position),
        Field("published", Kind.BOOLEAN, Category.published),
        Field("validity.from", Kind.DATE, Category.valid_from),
        Field("validity.to", Kind.DATE, Category.valid_to),
        *_metadata_fields(Category),
    ),
    keys=(
        "id",
        "parentId",
        "code",
        "name",
        "localizedDescription",
        "localizedSlug",
        "ecn",
        "validity",
        "position",
        "published",
        "metadata",
    ),
    localized=("name", "localizedDescription", "localizedSlug"),
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
    document=category_document,
)

PRODUCT = DirectoryKind(
    name="product",
    collection="products",
    label="product",
    model=Product,
    schema="DirectoryProduct",
    fields=FieldSet(
        Field("id", Kind.STRING, Product.id),
        Field("code", Kind.STRING, Product.code),
        Field("name", Kind.LOCALIZED, Product.name),
        *_metadata_fields(Product),
    ),
    keys=("id", "code", "name", "categoryIds", "metadata"),
    localized=("name",),
    columns=("code", "name"),
    document=product_document,
    links=Links(
        "categoryIds", ProductCategory, "product_pk", "category_id", Product.category_links
    ),
)

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
