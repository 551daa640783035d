"""Domain errors, and the app-level handlers that turn them into API bodies or pages.

API paths always get the contract's error body `{code, status, message[, resourceId, details]}`;
the choice is made by path, never by `Accept`, because unmatched URLs reach no blueprint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .query.errors import QueryError

log = logging.getLogger(__name__)

API_PREFIX = "/customer-segment/"
MSG_FORBIDDEN = "The access to the requested resource has been forbidden by the server."


class AppError(Exception):
    """An error a client caused; carries what the API body and the page need."""

    status = 400

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, str]] | None = None,
        resource_id: str | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.details = details
        self.resource_id = resource_id
        if status is not None:
            self.status = status


class BadRequest(AppError):
    status = 400


class ValidationFailed(BadRequest):
    """Domain validation: one error type with field messages, shown by the API and the forms."""

    def __init__(self, details: list[dict[str, str]], message: str | None = None):
        super().__init__(message or "Validation problem with request body.", details=details)

    @classmethod
    def field(cls, field: str, message: str, type_: str = "invalid") -> ValidationFailed:
        return cls([{"field": field, "type": type_, "message": message}], message)

    def by_field(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for d in self.details or []:
            out.setdefault(d.get("field") or "", []).append(d["message"])
        return out


class Unauthorized(AppError):
    status = 401


class Forbidden(AppError):
    status = 403

    def __init__(self, message: str = MSG_FORBIDDEN, **kw: Any):
        super().__init__(message, **kw)


class NotFound(AppError):
    status = 404

    def __init__(self, resource_id: str, message: str | None = None):
        super().__init__(
            message or f"The resource with id {resource_id} has not been found.",
            resource_id=resource_id,
        )


class Conflict(AppError):
    status = 409


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    for key, value in extra.items():
        if value is not None:
            body[key] = value
    return body


def api_error_response(status: int, message: str, **extra: Any):
    response = jsonify(error_body(status, message, **extra))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="segments"'
    return response


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


_MSG_TOO_LONG = (
    "The database took too long to answer this request, and it was stopped. "
    "Narrow the query (q, pageSize) or retry later."
)
#: PostgreSQL's SQLSTATE of a statement cancelled (by statement_timeout)
_QUERY_CANCELED = "57014"
#: what SQLite says when a statement is beyond its own limits (not when it is busy)
_SQLITE_TOO_LARGE = (
    "too many SQL variables",
    "Expression tree is too large",
    "parser stack overflow",
    "too many terms in compound SELECT",
    "LIKE or GLOB pattern too complex",
    "string or blob too big",
)


def _statement_timed_out(exc: OperationalError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == _QUERY_CANCELED


def _query_too_large(exc: OperationalError) -> str | None:
    """SQLite's words when a statement is beyond its limits, else None."""
    text = str(exc.orig)
    return next((text for known in _SQLITE_TOO_LARGE if known in text), None)


def register(app: Flask, wants_fragment: Callable[[], bool]) -> None:
    """Install the handlers; `wants_fragment` tells an htmx swap from a page request."""

    def _page(status: int, message: str):
        """A whole error page, or for an htmx swap just the message (shown as a toast)."""
        if wants_fragment():
            return message, status, {"Content-Type": "text/plain; charset=utf-8"}
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(AppError)
    def handle_app_error(exc: AppError):
        db.session.rollback()
        if _is_api():
            return api_error_response(
                exc.status, exc.message, resourceId=exc.resource_id, details=exc.details
            )
        return _page(exc.status, exc.message)

    @app.errorhandler(QueryError)
    def handle_query_error(exc: QueryError):
        return handle_app_error(BadRequest(f"q: {exc.message}"))

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        status = exc.code or 500
        if _is_api():
            message = {
                404: "No such endpoint. See /docs for the API reference.",
                405: f"Method {request.method} is not allowed on this path.",
            }.get(status, exc.description or HTTPStatus(status).phrase)
            response = api_error_response(status, message)
            if status == 405 and exc.get_response().headers.get("Allow"):
                response.headers["Allow"] = exc.get_response().headers["Allow"]
            return response
        if status >= 400 and not exc.response:
            body, code, *headers = _page(status, exc.description or HTTPStatus(status).phrase)
            response = app.make_response((body, code, *headers))
            if status == 405 and exc.get_response().headers.get("Allow"):
                response.headers["Allow"] = exc.get_response().headers["Allow"]
            return response
        return exc

    @app.errorhandler(DataError)
    def handle_data_error(exc: DataError):
        # e.g. a `q` regex that Python accepts but PostgreSQL's regex engine does not
        log.info("database refused a value: %s", exc.orig)
        first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else "invalid value"
        return handle_app_error(
            BadRequest(f"The database refused a value of this request: {first_line}.")
        )

    @app.errorhandler(OperationalError)
    def handle_busy(exc: OperationalError):
        db.session.rollback()
        if _statement_timed_out(exc):
            log.warning("statement timeout on %s %s", request.method, request.path)
            return handle_app_error(AppError(_MSG_TOO_LONG, status=503))
        too_large = _query_too_large(exc)
        if too_large:
            return handle_app_error(BadRequest(f"The query is too large to run: {too_large}."))
        log.warning("database unavailable: %s", exc)
        message = "The database is busy or unavailable; retry shortly."
        if _is_api():
            response = api_error_response(503, message)
        else:
            response = app.make_response(_page(503, message))
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(RecursionError)
    def handle_recursion(exc: RecursionError):
        # a document nested deeper than any limit allows reached something recursive
        log.warning("recursion limit on %s %s", request.method, request.path)
        return handle_app_error(BadRequest("The request nests values too deeply to be read."))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = "An unexpected error occurred; it has been logged."
        if _is_api():
            return api_error_response(500, message)
        return _page(500, message)
