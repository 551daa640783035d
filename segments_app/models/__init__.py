"""All models, imported here so Alembic and the app see the whole schema."""

from .accounts import Activity, User
from .assignments import CustomerAssignment, ItemAssignment
from .directory import (
    Category,
    Customer,
    CustomerLegalEntity,
    LegalEntity,
    Product,
    ProductCategory,
)
from .imports import MemberImport, MemberImportRejection, MemberImportRemoval
from .segments import Segment
from .tenants import AccessToken, ApiClient, Tenant

__all__ = [
    "AccessToken",
    "Activity",
    "ApiClient",
    "Category",
    "Customer",
    "CustomerAssignment",
    "CustomerLegalEntity",
    "ItemAssignment",
    "LegalEntity",
    "MemberImport",
    "MemberImportRejection",
    "MemberImportRemoval",
    "Product",
    "ProductCategory",
    "Segment",
    "Tenant",
    "User",
]
