"""The API reference: the served OpenAPI document (/openapi.json) and Redoc rendering it (/docs)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .openapi import served_document

#: the Redoc release vendored under static/vendor/redoc-<version>/ (npm package `redoc`)
REDOC_VERSION = "2.5.4"

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
    return template.render(redoc_script=f"vendor/redoc-{REDOC_VERSION}/redoc.standalone.js")
