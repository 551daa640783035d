"""A segment's history tab: imports and changes, and reverting an import."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for

from ..errors import Conflict
from ..models import MemberImport
from ..services import history, stats
from ..services import imports as service
from ..services.segments import get_segment
from . import bp, can
from .args import page_arg
from .htmx import counts_changed, go, render, wants_fragment

IMPORTS_PAGE_SIZE = 10
CHANGES_PAGE_SIZE = 25


@bp.get("/segments/<segment_id>/history")
@can("read")
def segment_history(segment_id: str):
    """The segment's imports (applied ones can be reverted) and its log of changes, each
    paged; `list=imports|changes` asks htmx for that list alone."""
    segment = get_segment(g.tenant, segment_id)
    imports_page = page_arg(request.args.get("imports_page"))
    changes_page = page_arg(request.args.get("changes_page"))
    wanted = request.args.get("list")
    fragment = {"imports": "history/_imports.html", "changes": "history/_changes.html"}.get(
        wanted or ""
    )
    partial = fragment is not None and wants_fragment()

    def page_url(list_name: str | None = None, **changes: int) -> str:
        params = {"imports_page": imports_page, "changes_page": changes_page, **changes}
        kept: dict[str, Any] = {key: value for key, value in params.items() if value > 1}
        return url_for("web.segment_history", segment_id=segment.id, list=list_name, **kept)

    context: dict = {
        "segment": segment,
        "page_url": page_url,
        "imports_page_size": IMPORTS_PAGE_SIZE,
        "changes_page_size": CHANGES_PAGE_SIZE,
    }
    if not partial or wanted == "imports":
        imports = history.import_page(segment, imports_page, IMPORTS_PAGE_SIZE)
        context["imports"], context["imports_total"] = imports.rows, imports.total
        imports_page = imports.page.number
    if not partial or wanted == "changes":
        changes = history.change_page(segment, changes_page, CHANGES_PAGE_SIZE)
        context["changes"], context["changes_total"] = changes.rows, changes.total
        changes_page = changes.page.number
    context["imports_page"], context["changes_page"] = imports_page, changes_page
    if not partial:
        context["counts"] = stats.segment_counts([segment.pk])[segment.pk]
        context["tab_name"] = "web.segment_history"
    return render("history/index.html", fragment, **context)


@bp.route("/segments/<segment_id>/history/<import_id>/revert", methods=["GET", "POST"])
@can("edit")
def segment_history_revert(segment_id: str, import_id: str):
    """Undo an applied import, after a confirmation (a dialog with htmx, this page without);
    a refusal (a later import changed the segment) says why, beside the History lists."""
    imp = service.get_import(g.tenant, segment_id, import_id)
    history = url_for("web.segment_history", segment_id=imp.segment.id)
    if request.method == "POST":
        try:
            service.revert_import(g.tenant, segment_id, import_id)
        except Conflict as exc:
            imp = service.get_import(g.tenant, segment_id, import_id)
            return _confirm(imp, exc.message, status=422)
        return counts_changed(go(history, f"Reverted the import of {imp.file_name}."))
    return _confirm(imp)


def _confirm(imp: MemberImport, error: str | None = None, status: int = 200):
    segment = imp.segment
    context: dict = {"segment": segment, "imp": imp, "error": error}
    if error is None or not wants_fragment():
        context["counts"] = stats.segment_counts([segment.pk])[segment.pk]
        context["tab_name"] = "web.segment_history"
    return render(
        "history/revert.html",
        "history/_refused.html" if error else None,
        status=status,
        **context,
    )
