"""The JSON API at /customer-segment/<tenant>/...: the Emporix contract plus the directory."""

from __future__ import annotations

import re

from flask import Blueprint, g, request

from ..auth.bearer import authenticate
from ..errors import BadRequest, Forbidden
from ..services import activity

TENANT = re.compile(r"^[a-z][a-z0-9]+$")

bp = Blueprint("api", __name__, url_prefix="/customer-segment/<tenant>")


@bp.url_value_preprocessor
def _pull_tenant(endpoint, values):
    g.tenant_name = values.pop("tenant", None) if values else None


@bp.url_defaults
def _push_tenant(endpoint, values):
    if "tenant" not in values and getattr(g, "tenant_name", None):
        values["tenant"] = g.tenant_name


@bp.before_request
def _authenticate_and_scope_tenant():
    """401 without a valid token; 400 for a malformed tenant; 403 for another tenant's data."""
    caller = authenticate()
    name = g.tenant_name or ""
    if not (3 <= len(name) <= 16 and TENANT.match(name)):
        raise BadRequest(
            f"Tenant '{name}' is not valid: 3 to 16 characters, lowercase letters and digits, "
            "starting with a letter."
        )
    header = request.headers.get("Emporix-Tenant")
    if header is not None and header != name:
        raise BadRequest(
            f"The Emporix-Tenant header '{header}' does not match the path's '{name}'."
        )
    if caller.tenant.name != name:
        raise Forbidden()
    g.caller = caller
    g.tenant = caller.tenant
    g.actor_token = activity.set_actor(f"API client {caller.client_id}")


@bp.teardown_request
def _forget_actor(exc):
    token = g.pop("actor_token", None)
    if token is not None:
        activity.reset_actor(token)


from . import (  # noqa: E402,F401  (routes register on bp)
    customers,
    directory,
    imports,
    items,
    rules,
    segments,
    storefront,
)

__all__ = ["bp"]
