"""Many segments at once from the list: the confirmation naming the count, the action, its
undo, and the export of the ticked (or all matching) segments."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Response, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ..errors import BadRequest
from ..services import bulk
from . import bp, can
from .downloads import csv_response
from .htmx import counts_changed, go, notify, render, wants_fragment
from .redirects import local_url
from .segments import ListQuery, list_context

#: what the dialog's button and the message after it say
VERBS = {
    "activate": ("Activate", "Activated"),
    "deactivate": ("Deactivate", "Deactivated"),
    "delete": ("Delete", "Deleted"),
}


def _selection(values: MultiDict) -> bulk.Selection:
    """The ticked ids, or all that match the list's filter (sent along as the list's own URL
    arguments, so the server resolves "all" from the filter, not from a list of ids)."""
    query = ListQuery.from_args(values)
    return bulk.Selection(
        ids=tuple(dict.fromkeys(v for v in values.getlist("ids") if v)),
        all_matching=values.get("all") == "1",
        text=query.q,
        status=query.status,
        site=query.site,
        valid_now=query.valid,
        sort=query.sort,
    )


def _action(values: MultiDict, allowed=tuple(VERBS)) -> str:
    action = values.get("action", "")
    if action not in allowed:
        raise BadRequest("Choose what to do with the ticked segments.")
    return action


def _back(values: MultiDict) -> str:
    return local_url(values.get("back"), url_for("web.segments"))


def _plural(n: int) -> str:
    return f"{n:,} segment{'' if n == 1 else 's'}"


@bp.get("/segments/bulk")
@can("edit")
def segment_bulk_confirm():
    """The confirmation naming how many segments the action touches: a dialog for htmx, a page
    without it. An export needs no confirmation."""
    args = request.args
    action = _action(args, (*VERBS, "export"))
    if action == "export":
        return redirect(url_for("web.segment_bulk_csv") + "?" + urlencode(list(args.items(True))))
    chosen = _selection(args)
    n = bulk.count(g.tenant, chosen)
    return render(
        "segments/bulk.html",
        "segments/_bulk_dialog.html",
        action=action,
        verb=VERBS[action][0],
        n=n,
        what=_plural(n),
        names=bulk.first_names(g.tenant, chosen),
        capped=n >= bulk.BULK_MAX,
        chosen=chosen,
        ids=chosen.ids,
        args=args,
        back=_back(args),
    )


@bp.post("/segments/bulk")
@can("edit")
def segment_bulk():
    """Do it: activate or deactivate (undoable) or delete the chosen segments."""
    form = request.form
    action = _action(form)
    chosen = _selection(form)
    if action == "delete":
        done = bulk.delete(g.tenant, chosen)
    else:
        done = bulk.set_status(g.tenant, chosen, action)
    message = f"{VERBS[action][1]} {_plural(done.count)}."
    if done.count == 0:
        message = "Nothing changed: the chosen segments were like that already."
    return _after(_back(form), message, done.token)


@bp.post("/segments/bulk/undo")
@can("edit")
def segment_bulk_undo():
    """Put back what a bulk activate or deactivate changed."""
    done = bulk.undo(g.tenant, request.form.get("token", ""))
    return _after(_back(request.form), f"Undone: {_plural(done.count)} changed back.", None)


def _after(back: str, message: str, token: str | None) -> Response:
    """The list as it is now, with an Undo when there is one. For htmx: the dialog goes and
    the list swaps in out of band; without it, back to the list (the undo rides in its URL)."""
    if not wants_fragment():
        if token:
            back += ("&" if "?" in back else "?") + urlencode({"undo": token})
        return go(back, message)
    args = MultiDict(parse_qsl(urlsplit(back).query))
    html = render_template(
        "segments/_bulk_done.html",
        message=message,
        undo=token,
        **list_context(args),
    )
    return counts_changed(notify(Response(html), message))


@bp.get("/segments/bulk.csv")
@can("read")
def segment_bulk_csv():
    """The chosen segments as CSV (spreadsheet-safe)."""
    chosen = _selection(request.args)
    return csv_response(bulk.export_csv(g.tenant, chosen), "segments.csv")
