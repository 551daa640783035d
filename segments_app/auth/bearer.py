"""Bearer-token authentication for the API: who is calling, for which tenant, with which scopes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import g, request
from sqlalchemy import bindparam, select

from ..errors import Forbidden, Unauthorized
from ..extensions import db
from ..models import AccessToken, ApiClient, Customer, Tenant
from ..models.tenants import SCOPE_READ_OWN, TenantInfo, secret_digest
from ..models.types import utcnow


@dataclass(frozen=True)
class Caller:
    tenant: TenantInfo
    scopes: frozenset[str]
    client_id: str
    #: the customer a storefront token is bound to (password grant), else None
    customer: Customer | None

    @property
    def is_customer(self) -> bool:
        return self.customer is not None


# Built once, run as Core on every API request: only the needed columns, one round trip.
_LOOKUP = (
    select(
        AccessToken.expires_at,
        AccessToken.scope,
        AccessToken.customer_pk,
        ApiClient.client_id,
        ApiClient.revoked_at,
        Tenant.id.label("tenant_id"),
        Tenant.name.label("tenant_name"),
        Tenant.default_language,
        Tenant.languages,
    )
    .join(ApiClient, ApiClient.id == AccessToken.client_pk)
    .join(Tenant, Tenant.id == AccessToken.tenant_id)
    .where(AccessToken.token_hash == bindparam("digest"))
)


def authenticate() -> Caller:
    """Resolve the bearer token of this request, or raise Unauthorized."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("Missing bearer token: send 'Authorization: Bearer <access token>'.")
    digest = secret_digest(value.strip())
    row = db.session.connection().execute(_LOOKUP, {"digest": digest}).first()
    if row is None:
        raise Unauthorized("Invalid access token.")
    if row.revoked_at is not None:
        raise Unauthorized("Invalid access token: its client has been revoked.")
    if row.expires_at <= utcnow():
        raise Unauthorized("Invalid access token: it has expired.")
    customer = None
    if row.customer_pk is not None:
        customer = db.session.get(Customer, row.customer_pk)
        if customer is None:
            raise Unauthorized("Invalid access token: its customer no longer exists.")
    scopes = frozenset(row.scope.split())
    if customer is None:
        scopes -= {SCOPE_READ_OWN}
    tenant = TenantInfo(row.tenant_id, row.tenant_name, row.default_language, row.languages)
    return Caller(tenant, scopes, row.client_id, customer)


def current_caller() -> Caller:
    return g.caller


def requires(*scopes: str):
    """The view needs one of `scopes`; a customer token also needs read_own to be among them."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller: Caller = g.caller
            if not caller.scopes.intersection(scopes):
                raise Forbidden(
                    "The access to the requested resource has been forbidden by the server. "
                    f"Missing scope: {' or '.join(scopes)}."
                )
            if caller.is_customer and SCOPE_READ_OWN not in scopes:
                raise Forbidden()
            return view(*args, **kwargs)

        wrapper.required_scopes = scopes
        return wrapper

    return decorate
