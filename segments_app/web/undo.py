"""The Undo of a single destructive action (removing a member, unassigning an item, a status
change): the action's message carries a signed token saying what was there, and posting it
back within a short while puts exactly that back. The token is signed with the app's secret,
so a page cannot make one up; it names the tenant, so it works nowhere else."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, g, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import Conflict
from . import bp, can
from .htmx import counts_changed, go, notify, wants_fragment
from .redirects import local_url

#: how long the message offers its Undo (app.js shows it this long)
OFFER_SECONDS = 10
#: how long the server honours a token: the offer, and slack for a slow network
ACCEPT_SECONDS = 120


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="segments-undo")


def offer(segment_id: str, kind: str, **what) -> dict:
    """The `undo` of a message (htmx.notify): where to post, and the token saying what to put
    back in segment `segment_id`."""
    token = _serializer().dumps(
        {"tenant": g.tenant.id, "kind": kind, "segment": segment_id, **what}
    )
    return {
        "url": url_for("web.segment_undo", segment_id=segment_id),
        "token": token,
        "seconds": OFFER_SECONDS,
    }


def _what(segment_id: str) -> dict:
    try:
        what = _serializer().loads(request.form.get("token", ""), max_age=ACCEPT_SECONDS)
    except SignatureExpired as exc:
        raise Conflict("It is too late to undo this; make the change again by hand.") from exc
    except BadSignature as exc:
        raise Conflict("This cannot be undone.") from exc
    if what.get("tenant") != g.tenant.id or what.get("segment") != segment_id:
        raise Conflict("This cannot be undone.")
    return what


#: kind -> what puts it back: given the segment id and the token's contents, the response
#: (with what the page shows anew) and the message; each page module registers its own
_UNDOERS: dict[str, Callable[[str, dict], tuple[Response, str]]] = {}


def undoes(kind: str):
    """Register the function that undoes actions of `kind` (see _UNDOERS)."""

    def register(function: Callable[[str, dict], tuple[Response, str]]):
        _UNDOERS[kind] = function
        return function

    return register


@bp.post("/segments/<segment_id>/undo")
@can("edit")
def segment_undo(segment_id: str):
    """Put back what a single action removed or changed, exactly as it was."""
    what = _what(segment_id)
    undoer = _UNDOERS.get(what.get("kind", ""))
    if undoer is None:
        raise Conflict("This cannot be undone.")
    response, message = undoer(segment_id, what)
    if not wants_fragment():
        fallback = url_for("web.segment_detail", segment_id=segment_id)
        return go(local_url(what.get("back"), fallback), message)
    return counts_changed(notify(response, message))
