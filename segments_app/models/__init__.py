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
    "CUSTOMER_ATTRIBUTES_JSONB",
    "POSTGRES_RULE_INDEXES",
    "POSTGRES_TRIGRAM_INDEXES",
    "RULE_INDEX_PREFIX",
    "SQLITE_ONLY_INDEXES",
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


#: PostgreSQL-only indexes of rules: the GIN index of customer attributes (migration 0011)
POSTGRES_RULE_INDEXES = frozenset({"ix_customer_attributes_gin"})
#: the attribute indexes rules make as they are saved (services/rules/indexes.py)
RULE_INDEX_PREFIX = "ix_rule_customer_"


#: SQLite's binary copy of customer.attributes that rules read (migration 0014), and its index:
#: of the database only, kept by triggers; the models never read or write them
CUSTOMER_ATTRIBUTES_JSONB = "attributes_jsonb"
SQLITE_ONLY_INDEXES = frozenset({"ix_customer_tenant_id_attributes_jsonb"})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's `include_object`: the schema is the models' and, on PostgreSQL, the trigram
    indexes the metadata cannot describe in a form Alembic compares; rules' indexes are left
    out too (the GIN index, and the per-key ones saving a rule makes), and so is SQLite's
    binary copy of customer attributes."""
    if type_ == "column" and reflected and name == CUSTOMER_ATTRIBUTES_JSONB:
        return False
    if type_ != "index" or not reflected or not name:
        return True
    return not (
        name in POSTGRES_TRIGRAM_INDEXES
        or name in POSTGRES_RULE_INDEXES
        or name in SQLITE_ONLY_INDEXES
        or name.startswith(RULE_INDEX_PREFIX)
    )
