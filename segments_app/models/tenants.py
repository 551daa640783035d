"""Tenants, OAuth clients and the tokens issued to them."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import JSONDoc, UTCDateTime, utcnow

SCOPE_MANAGE = "customersegment.segment_manage"
SCOPE_READ = "customersegment.segment_read"
SCOPE_READ_OWN = "customersegment.segment_read_own"
ALL_SCOPES = (SCOPE_MANAGE, SCOPE_READ, SCOPE_READ_OWN)
GRANTS = ("client_credentials", "password")


def secret_digest(secret: str) -> str:
    """Digest for high-entropy secrets (client secrets, access tokens).

    These are random 256-bit strings, so a fast digest is enough to make a leaked table useless;
    a slow password hash would only add latency to every API request.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class Tenant(Model):
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(16), unique=True)
    default_language: Mapped[str] = mapped_column(sa.String(35))
    languages: Mapped[list[str]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Tenant {self.name}>"


@dataclass(frozen=True)
class TenantInfo:
    """The tenant fields services read, without an ORM object (the API's hot path builds one
    from the token lookup's row)."""

    id: int
    name: str
    default_language: str
    languages: list[str]

    @classmethod
    def of(cls, tenant: Tenant) -> TenantInfo:
        return cls(tenant.id, tenant.name, tenant.default_language, list(tenant.languages))


class ApiClient(Model):
    """A service or storefront client; implements Authlib's ClientMixin."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    tenant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.String(200))
    scope: Mapped[str] = mapped_column(sa.Text)
    grants: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tenant: Mapped[Tenant] = relationship()

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()

    @property
    def grant_types(self) -> list[str]:
        return self.grants.split()

    # Authlib ClientMixin
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.scopes
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, secret_digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return self.revoked_at is None and grant_type in self.grant_types


class AccessToken(Model):
    """An issued bearer token; only its digest is stored."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(
        sa.ForeignKey("api_client.id", ondelete="CASCADE"), index=True
    )
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    customer_pk: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customer.pk", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(sa.Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    client: Mapped[ApiClient] = relationship()

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())
