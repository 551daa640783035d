"""The segments list, and creating and editing a segment."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask import Response, g, request, url_for
from werkzeug.datastructures import MultiDict

from ..errors import Conflict, ValidationFailed
from ..models import Segment
from ..models.segments import STATUSES
from ..models.types import utcnow
from ..query.i18n import text_in
from ..services import stats
from ..services.segment_list import segment_page, site_codes
from ..services.segment_search import SEGMENT_SORTS, parse_sort
from ..services.segments import (
    create_segment,
    delete_segment,
    dependents,
    get_segment,
    set_status,
    upsert_segment,
)
from . import bp, can
from .args import page_arg
from .htmx import counts_changed, go, notify, render, wants_fragment
from .redirects import local_url
from .segment_form import SegmentForm, differences
from .undo import offer, undoes
from .words import language_choice

PAGE_SIZE = 25


@dataclass(frozen=True)
class ListQuery:
    """What the segment list shows, as it travels in the URL."""

    q: str = ""
    status: str = ""
    site: str = ""
    valid: bool = False
    sort: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict) -> ListQuery:
        key, descending = parse_sort(args.get("sort"))
        return cls(
            q=args.get("q", "").strip(),
            status=args.get("status", "") if args.get("status") in STATUSES else "",
            site=args.get("site", ""),
            valid=args.get("valid", "") in ("1", "on", "true"),
            sort=f"{key}:desc" if descending else key,
            page=page_arg(args.get("page")),
        )

    def url(self, endpoint: str = "web.segments", **changes: Any) -> str:
        """The list's URL with `changes`, leaving out what is at its default (`endpoint`: the
        same arguments to another view, e.g. the total's)."""
        query = replace(self, **changes)
        params: dict[str, Any] = {
            "q": query.q,
            "status": query.status,
            "site": query.site,
            "valid": "1" if query.valid else "",
            "sort": query.sort if query.sort != "name" else "",
            "page": query.page if query.page > 1 else "",
        }
        return url_for(endpoint, **{k: v for k, v in params.items() if v})

    def sort_url(self, key: str) -> str:
        """Sort by `key`; a second click on the current column reverses the order."""
        current, descending = parse_sort(self.sort)
        ascending_next = current != key or descending
        return self.url(sort=key if ascending_next else f"{key}:desc", page=1)

    def sorted_by(self, key: str) -> str | None:
        """'ascending'/'descending' for the column the list is sorted by (for aria-sort)."""
        current, descending = parse_sort(self.sort)
        if current != key:
            return None
        return "descending" if descending else "ascending"

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.status or self.site or self.valid)


def _sites() -> list[str]:
    return site_codes(g.tenant)


def _site_options(current: str):
    """The site filter's options, read only when the page (not the fragment) needs them."""

    def options() -> list[tuple[str, str]]:
        sites = _sites()
        if current and current not in sites:
            sites.append(current)
        return [("", "Any site"), *((site, site) for site in sites)]

    return options


@bp.get("/segments")
@can("read")
def segments():
    """The segment list: search, filters, sort and paging, all in the URL."""
    # after a bulk action without JavaScript, its Undo rides in the URL (web.segment_bulk)
    extra = {"undo": request.args.get("undo")} if request.args.get("undo") else {}
    return render(
        "segments/index.html", "segments/_list.html", **list_context(request.args, **extra)
    )


@bp.get("/segments/total")
@can("read")
def segments_total():
    """The list's "N segments" alone: it reloads itself when a write moves a count (a status
    change or a bulk action may take segments out of a status filter)."""
    shown = {int(pk) for pk in request.args.get("shown", "").split(",") if pk.isdigit()}
    context = list_context(request.args)
    # the rows that left the filter go with it (the ones still on the page stay as they are)
    gone = sorted(shown - {segment.pk for segment in context["rows"]})
    return render("segments/_total.html", gone=gone, **context)


def list_context(args: MultiDict, **extra: Any) -> dict[str, Any]:
    """What the list (page or fragment) shows for the URL arguments `args`."""
    query = ListQuery.from_args(args)
    shown = segment_page(
        g.tenant, query.q, query.status, query.site, query.valid, query.sort, query.page, PAGE_SIZE
    )
    query = replace(query, page=shown.number)
    return dict(
        query=query,
        rows=shown.segments,
        counts=shown.counts,
        total=shown.total,
        page_size=PAGE_SIZE,
        sorts=SEGMENT_SORTS,
        site_options=_site_options(query.site),
        page_url=lambda number: query.url(page=number),
        back=query.url(),
        now=utcnow(),
        **extra,
    )


@bp.post("/segments/<segment_id>/status")
@can("edit")
def segment_status(segment_id: str):
    """Activate or deactivate in place; a change by someone else meanwhile is reported, and the
    row shows the segment as it is now."""
    status = request.form.get("status", "")
    version = request.form.get("version", type=int)
    back = local_url(request.form.get("back"), url_for("web.segments"))
    undo = None
    try:
        before = get_segment(g.tenant, segment_id).status
        segment = set_status(g.tenant, segment_id, status, version)
    except Conflict:
        segment = get_segment(g.tenant, segment_id)
        message = (
            f"Someone changed “{display_name(segment)}” meanwhile, so nothing was changed. "
            "Its row now shows the current state; try again if you still want to."
        )
        level = "error"
    else:
        state = "active" if segment.status == "ACTIVE" else "inactive"
        message, level = f"“{display_name(segment)}” is now {state}.", "success"
        if before != segment.status:
            undo = offer(
                segment.id,
                "status",
                status=before,
                version=segment.version,
                name=display_name(segment),
                back=back,
            )
    if not wants_fragment():
        return go(back, message, level)
    response = render(
        "segments/_row.html",
        segment=segment,
        counts=stats.segment_counts([segment.pk]),
        back=back,
        now=utcnow(),
        focus_toggle=True,
    )
    return counts_changed(notify(response, message, level, undo=undo))


@undoes("status")
def _restore_status(segment_id: str, what: dict) -> tuple[Response, str]:
    """Undo a status change (a 409 when someone changed the segment since); its row comes back
    as it is now, wherever it is on the page."""
    segment = set_status(g.tenant, segment_id, what["status"], what["version"])
    state = "active" if segment.status == "ACTIVE" else "inactive"
    response = render(
        "segments/_row.html",
        segment=segment,
        counts=stats.segment_counts([segment.pk]),
        back=what.get("back") or url_for("web.segments"),
        now=utcnow(),
        oob=True,
    )
    return response, f"“{display_name(segment)}” is {state} again."


@bp.get("/segments/<segment_id>/delete")
@can("edit")
def segment_delete_confirm(segment_id: str):
    """The delete confirmation: a dialog for htmx, a page without it."""
    segment = get_segment(g.tenant, segment_id)
    return render(
        "segments/delete.html",
        "segments/_delete_dialog.html",
        segment=segment,
        gone=dependents([segment.pk])[segment.pk],
        back=local_url(request.args.get("back"), url_for("web.segments")),
    )


@bp.post("/segments/<segment_id>/delete")
@can("edit")
def segment_delete(segment_id: str):
    """Delete a segment with its members and items (the confirmation said so)."""
    segment = get_segment(g.tenant, segment_id)
    name = display_name(segment)
    delete_segment(g.tenant, segment_id, force=True)
    return go(local_url(request.form.get("back"), url_for("web.segments")), f"Deleted “{name}”.")


def display_name(segment: Segment) -> str:
    """The segment's name in the tenant's default language, else any, else its id."""
    return text_in(segment.name, g.tenant.default_language) or segment.id


def _form_page(
    form: SegmentForm,
    segment: Segment | None,
    status: int = 200,
    conflict: dict | None = None,
):
    action = (
        url_for("web.segment_edit", segment_id=segment.id)
        if segment is not None
        else url_for("web.segment_new")
    )
    return render(
        "segments/form.html",
        "segments/_form.html",
        status=status,
        form=form,
        segment=segment,
        action=action,
        unused_languages=[
            (lang, language_choice(lang)) for lang in form.unused_languages(g.tenant)
        ],
        sites=_sites,
        conflict=conflict,
    )


@bp.route("/new-segment", methods=["GET", "POST"])
@can("edit")
def segment_new():
    """Create a segment; the API's validation applies, its errors stand beside the fields."""
    tenant = g.tenant
    if request.method == "GET":
        return _form_page(SegmentForm.blank(tenant), None)
    form = SegmentForm.from_request(request.form)
    if form.apply(request.form.get("action", "save"), request.form, tenant):
        return _form_page(form, None)
    doc = form.document()
    if doc is not None:
        try:
            segment = create_segment(tenant, doc, "")
        except ValidationFailed as exc:
            form.take_errors(exc)
        except Conflict:
            form.add_error("id", "A segment with this id exists already. Choose another id.")
        else:
            return go(
                url_for("web.segment_detail", segment_id=segment.id),
                f"Created “{display_name(segment)}”.",
            )
    return _form_page(form, None, status=422)


@bp.route("/segments/<segment_id>/edit", methods=["GET", "POST"])
@can("edit")
def segment_edit(segment_id: str):
    """Edit a segment. The form carries the version it showed; when someone saved meanwhile,
    nothing is overwritten: the form then shows the stored values, with the user's own input
    listed beside them to reapply or to save over on purpose."""
    tenant = g.tenant
    segment = get_segment(tenant, segment_id)
    if request.method == "GET":
        return _form_page(SegmentForm.of_segment(segment, tenant), segment)
    form = SegmentForm.from_request(request.form)
    if form.apply(request.form.get("action", "save"), request.form, tenant):
        return _form_page(form, segment)
    if form.version is None:
        form.add_error("version", "This form lost track of the version it showed; reload it.")
    doc = form.document()
    if doc is not None:
        if segment.metadata_mixins:
            doc["metadata"]["mixins"] = segment.metadata_mixins
        try:
            upsert_segment(tenant, segment_id, doc, "")
        except ValidationFailed as exc:
            form.take_errors(exc)
        except Conflict:
            stored = SegmentForm.of_segment(segment, tenant)
            conflict = {
                "changes": differences(form, stored),
                "mine": replace(form, version=segment.version),
                "modified_at": segment.modified_at,
            }
            return _form_page(stored, segment, status=422, conflict=conflict)
        else:
            return go(url_for("web.segment_detail", segment_id=segment.id), "Saved.")
    return _form_page(form, segment, status=422)
