"""Authentication: the OAuth2 token endpoint (and, for the dashboard, marketer login)."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InsecureTransportError
from flask import Blueprint

from ..extensions import csrf, login_manager
from .oauth import authorization

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str):
    """Marketer sessions: no marketer accounts exist yet, so no session names a user."""
    return None


@bp.post("/oauth/token")
@csrf.exempt
def token():
    """Issue an access token (client_credentials, or password for a storefront customer)."""
    try:
        return authorization.create_token_response()
    except InsecureTransportError as error:
        # Authlib refuses plain http outside localhost; behind a TLS proxy, set PROXY_FIX_HOPS.
        return authorization.handle_error_response(None, error)
