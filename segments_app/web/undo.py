"""The Undo of a single destructive action (removing a member, unassigning an item, a status
change): the action's message carries a signed token saying what was there, and posting it
back within a short while puts exactly that back. The token is signed with the app's secret,
so a page cannot make one up; it names the tenant, so it works nowhere else."""

from __future__ import annotations

from flask import Response, current_app, g, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import Conflict
from ..models.types import utcnow
from ..services import members, stats
from ..services.segment_items import restore_item
from ..services.segments import get_segment, set_status
from . import bp, can
from .htmx import counts_changed, go, notify, refresh_trigger, render, wants_fragment
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


@bp.post("/segments/<segment_id>/undo")
@can("edit")
def segment_undo(segment_id: str):
    """Put back what a single action removed or changed, exactly as it was."""
    what = _what(segment_id)
    back = local_url(request.form.get("back"), url_for("web.segment_detail", segment_id=segment_id))
    kind = what["kind"]
    response = Response("", 200)
    if kind == "member":
        segment = get_segment(g.tenant, segment_id)
        key = (what["customer"], what.get("entity"))
        message = f"Restored {members.restore_member(g.tenant, segment, key, what['was'])}."
    elif kind == "item":
        segment = get_segment(g.tenant, segment_id)
        restore_item(g.tenant, segment, what["type"], what["item"], what["was"])
        message = f"“{what['name']}” is assigned again."
        refresh_trigger(response, "items-changed")
    else:
        segment = set_status(g.tenant, segment_id, what["status"], what["version"])
        state = "active" if segment.status == "ACTIVE" else "inactive"
        message = f"“{what['name']}” is {state} again."
        back = local_url(request.form.get("back"), url_for("web.segments"))
        if wants_fragment():
            # the row that changed comes back as it is now, wherever it is on the page
            response = render(
                "segments/_row.html",
                segment=segment,
                counts=stats.segment_counts([segment.pk]),
                back=what.get("back") or back,
                now=utcnow(),
                oob=True,
            )
    if not wants_fragment():
        return go(back, message)
    return counts_changed(notify(response, message))
