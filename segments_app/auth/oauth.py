"""The OAuth2 token endpoint: Authlib's server with the client-credentials and password grants."""

from __future__ import annotations

from datetime import timedelta

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidScopeError, grants
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from flask import Flask, current_app, request
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import AccessToken, ApiClient, Customer
from ..models.tenants import SCOPE_READ_OWN, secret_digest
from ..models.types import utcnow
from ..services import throttle

# Compared against when the username is unknown, so both paths cost the same time.
_NO_USER_HASH = generate_password_hash("no user has this password")


def _query_client(client_id: str) -> ApiClient | None:
    client = db.session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None or client.revoked_at is not None:
        return None
    return client


def _save_token(token: dict, request) -> None:
    client: ApiClient = request.client
    customer: Customer | None = request.user
    db.session.add(
        AccessToken(
            token_hash=secret_digest(token["access_token"]),
            client_pk=client.id,
            tenant_id=client.tenant_id,
            customer_pk=customer.pk if customer is not None else None,
            scope=token.get("scope", ""),
            issued_at=utcnow(),
            expires_at=utcnow() + timedelta(seconds=int(token["expires_in"])),
        )
    )
    db.session.flush()


class TooManyAttempts(OAuth2Error):
    """Password attempts past the throttle's limit: 429, with the wait in Retry-After."""

    error = "invalid_grant"
    status_code = 429

    def __init__(self, refused: throttle.TooManyAttempts):
        super().__init__(description=refused.message)
        self.wait_seconds = refused.wait_seconds

    def get_headers(self):
        return [*super().get_headers(), ("Retry-After", str(self.wait_seconds))]


class CustomerPasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    """A storefront logs a customer in; the token is bound to it and reads only its own data."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def authenticate_token_endpoint_client(self) -> ApiClient:
        # Authlib sets request.client only after authenticate_user; the tenant is needed before.
        client = super().authenticate_token_endpoint_client()
        self.request.client = client
        return client

    def authenticate_user(self, username: str, password: str) -> Customer | None:
        """The customer whose e-mail is `username`; attempts are throttled per login like
        dashboard logins, whether such a customer exists or not (but not per address alone:
        a storefront's server signs all its customers in from one address)."""
        tenant_id = self.request.client.tenant_id
        login = username.strip().lower()
        try:
            reservation = throttle.reserve(
                f"customer {tenant_id}", login, request.remote_addr, per_address=False
            )
        except throttle.TooManyAttempts as refused:
            raise TooManyAttempts(refused) from None
        customer = db.session.scalar(
            select(Customer).where(Customer.tenant_id == tenant_id, Customer.email_key == login)
        )
        if customer is None or not customer.password_hash:
            check_password_hash(_NO_USER_HASH, password)
            return None
        if not check_password_hash(customer.password_hash, password):
            return None
        throttle.succeeded(reservation)
        return customer

    def validate_token_request(self) -> None:
        super().validate_token_request()
        requested = (self.request.payload.scope or SCOPE_READ_OWN).split()
        if requested != [SCOPE_READ_OWN] or SCOPE_READ_OWN not in self.client.scopes:
            raise InvalidScopeError(f"Customer tokens carry exactly '{SCOPE_READ_OWN}'.")

    def create_token_response(self):
        token = self.generate_token(
            user=self.request.user, scope=SCOPE_READ_OWN, include_refresh_token=False
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        requested = self.request.payload.scope
        if requested:
            unknown = [s for s in requested.split() if s not in self.client.scopes]
            if unknown:
                raise InvalidScopeError(f"This client was not granted: {', '.join(unknown)}.")


class _Server(AuthorizationServer):
    def create_bearer_token_generator(self, config):
        # Read the lifetime per request, so each app (and each test) uses its own setting.
        return BearerTokenGenerator(
            lambda *a, **kw: generate_token(48),
            None,
            lambda client, grant_type: current_app.config["TOKEN_LIFETIME"],
        )


authorization = _Server(query_client=_query_client, save_token=_save_token)
authorization.register_grant(ClientCredentialsGrant)
authorization.register_grant(CustomerPasswordGrant)


def init_oauth(app: Flask) -> None:
    authorization.init_app(app)
