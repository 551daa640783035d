"""All models, imported here so Alembic and the app see the whole schema."""

from .accounts import Activity, LoginAttempt, User
from .assignments import CustomerAssignment, ItemAssignment
from .directory import (
    POSTGRES_TRIGRAM_INDEXES,
    Category,
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Product,
    ProductCategory,
)
from .imports import MemberImport, MemberImportRejection, MemberImportRemoval
from .rules import AttributeKey, RuleEvaluation
from .segments import Segment
from .tenants import AccessToken, ApiClient, Tenant

__all__ = [
    "POSTGRES_TRIGRAM_INDEXES",
    "AccessToken",
    "Activity",
    "ApiClient",
    "AttributeKey",
    "Category",
    "Customer",
    "CustomerAssignment",
    "CustomerLegalEntity",
    "ItemAssignment",
    "LegalEntity",
    "LoginAttempt",
    "MemberImport",
    "MemberImportRejection",
    "MemberImportRemoval",
    "Product",
    "ProductCategory",
    "RuleEvaluation",
    "Segment",
    "Tenant",
    "User",
    "include_object",
]


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's `include_object`: the schema is the models' and, on PostgreSQL, the trigram
    indexes the metadata cannot describe in a form Alembic compares."""
    return not (type_ == "index" and reflected and name in POSTGRES_TRIGRAM_INDEXES)
