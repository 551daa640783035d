"""The request boundary: services flush, and each request ends in one commit, made here.

A request that answers with an error (a status of 400 or more) leaves nothing behind. Writes
that must land whatever the answer, such as a failed login counted by the throttle, run in
transactions of their own (see services.throttle).
"""

from __future__ import annotations

from flask import Flask, Response

from .extensions import db


def _end_request(response: Response) -> Response:
    """Commit a request that succeeded, roll back one that did not (for a read, which ran
    without a transaction, the commit sends nothing to the database)."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def register(app: Flask) -> None:
    """Make `app` end every request in one commit or one rollback."""
    app.after_request(_end_request)
