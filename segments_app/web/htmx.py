"""The one place that decides between a whole page and an htmx fragment, and that speaks
htmx's response headers. Views never read HX-* headers themselves."""

from __future__ import annotations

import json

from flask import Response, flash, make_response, redirect, render_template
from htmx_flask import request  # flask's request, typed with its htmx attribute


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page (a boosted navigation wants the whole page)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str | None = None, *, status: int = 200, **context) -> Response:
    """Render `page`, or only `fragment` for an htmx swap; responses vary on HX-Request."""
    template = fragment if fragment is not None and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def go(url: str, message: str | None = None, level: str = "success") -> Response:
    """Navigate after a write: a full page load for htmx (HX-Redirect), Post/Redirect/Get
    otherwise; the message shows on the next page."""
    if message:
        flash(message, level)
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return make_response(redirect(url, code=303))


#: the one event every count on a page listens to (hx-trigger="counts-changed from:body"):
#: every write that can move a count sends it, so no button patches a number of its own
COUNTS_CHANGED = "counts-changed"


def _trigger(response: Response, event: str, detail: object = True) -> Response:
    events = json.loads(response.headers.get("HX-Trigger", "{}") or "{}")
    events[event] = detail
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def notify(
    response: Response, message: str, level: str = "success", undo: dict | None = None
) -> Response:
    """Show a message that disappears on its own (a toast) with this response; `undo` (see
    web/undo.py) gives it an Undo button for htmx."""
    if request.htmx:
        detail: dict = {"message": message, "level": level}
        if undo is not None:
            detail["undo"] = undo
        _trigger(response, "notify", detail)
    else:
        flash(message, level)
    return response


def refresh_trigger(response: Response, event: str) -> Response:
    """Ask other widgets on the page to reload themselves (they listen for `event`)."""
    return _trigger(response, event)


def counts_changed(response: Response) -> Response:
    """Tell every count on the page that a write moved it (they reload themselves)."""
    return _trigger(response, COUNTS_CHANGED)
