"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Alive: answers without touching the database."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready: the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return jsonify(status="unavailable", reason=type(exc).__name__), 503
    return jsonify(status="ok")
