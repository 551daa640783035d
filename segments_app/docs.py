"""The API reference: the served OpenAPI document (/openapi.json) and Redoc rendering it (/docs)."""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, jsonify, make_response, request

from .openapi import served_document
from .security import own_policy

#: the Redoc release vendored under static/vendor/redoc-<version>/ (npm package `redoc`)
REDOC_VERSION = "2.5.4"
#: the <style> elements that release writes as it loads, before it knows the page's nonce: its
#: scrollbar's stylesheet, and an empty one (a new release may change the first; the browser test
#: of every page then reports the blocked style)
REDOC_STYLE_HASHES = (
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
)

bp = Blueprint("docs", __name__)


@bp.get("/openapi.json")
def openapi_json():
    """The contract plus this server's additions, with `servers` naming this server."""
    return jsonify(served_document(request.url_root.rstrip("/")))


@bp.get("/docs")
def index():
    """A readable API reference, rendered in the browser from /openapi.json."""
    # A public page: rendered without the context processors, so no session or login is touched.
    template = current_app.jinja_env.get_template("docs/index.html")
    # Redoc writes its styles into <style> elements, and runs its search in a worker made from a
    # blob: URL. Its styles carry this response's nonce or are the known ones; nothing else
    # inline is allowed.
    nonce = secrets.token_urlsafe(18)
    page = template.render(
        redoc_script=f"vendor/redoc-{REDOC_VERSION}/redoc.standalone.js", nonce=nonce
    )
    return own_policy(
        make_response(page),
        style_src=" ".join(("'self'", f"'nonce-{nonce}'", *REDOC_STYLE_HASHES)),
        worker_src="'self' blob:",
    )
