"""The marketer dashboard: server-rendered pages, made lively with htmx."""

from __future__ import annotations

from datetime import datetime
from functools import wraps

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_login import current_user

from ..models.segments import STATUS_CHOICES
from ..models.types import utcnow
from ..query.i18n import text_in
from ..services import activity
from .htmx import go
from .local_time import utc_iso, utc_text
from .words import language_choice, language_name

bp = Blueprint("web", __name__)
#: what a page shows of a localized name or description: {{ text_in(segment.name, language) }}
bp.add_app_template_global(text_in)
#: language codes as a person reads them: {{ lang|language_name }} ("German")
bp.add_app_template_filter(language_name)
bp.add_app_template_filter(language_choice)
#: stored times as <time datetime="{{ t|utc_iso }}" data-local>{{ t|utc_text }}</time>
bp.add_app_template_filter(utc_iso)
bp.add_app_template_filter(utc_text)


@bp.before_request
def _require_login():
    if not current_user.is_authenticated:
        return go(url_for("auth.login", next=request.full_path.rstrip("?")))
    g.tenant = current_user.tenant
    g.actor_token = activity.set_actor(current_user.email)
    return None


@bp.teardown_request
def _forget_actor(exc):
    token = g.pop("actor_token", None)
    if token is not None:
        activity.reset_actor(token)


def can(action: str):
    """The view needs the current user's role to allow `action` (read, edit, admin)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.can(action):
                abort(403, "Your role does not allow this. Ask an admin of your team.")
            return view(*args, **kwargs)

        return wrapper

    return decorate


#: (endpoint, label, the action a role needs to see it); sections own the endpoints below them
NAV = (
    ("web.overview", "Overview", "read"),
    ("web.segments", "Segments", "read"),
    ("web.catalog", "Catalog", "read"),
    ("web.settings", "Settings", "admin"),
)


#: the tabs of a segment's pages, in order
SEGMENT_TABS = (
    "web.segment_detail",
    "web.segment_rule",
    "web.segment_upload",
    "web.segment_items",
    "web.segment_history",
)


@bp.app_context_processor
def _page_helpers():
    user = current_user
    signed_in = bool(user and user.is_authenticated)

    def nav_items() -> list[dict]:
        here = request.endpoint or ""
        entries = []
        for endpoint, label, action in NAV:
            if endpoint in current_app.view_functions and signed_in and user.can(action):
                section = endpoint.removesuffix("s").removeprefix("web.")
                entries.append(
                    {
                        "url": url_for(endpoint),
                        "label": label,
                        "current": here == endpoint or here.startswith(f"web.{section}"),
                    }
                )
        return entries

    return {
        "tab_endpoints": [e for e in SEGMENT_TABS if e in current_app.view_functions],
        "can_edit": signed_in and user.can("edit"),
        "can_admin": signed_in and user.can("admin"),
        "nav_items": nav_items,
        "segment_status_choices": STATUS_CHOICES,
    }


@bp.app_template_filter("ago")
def _ago(value: datetime) -> str:
    """'3 minutes ago', 'in 2 days': how far a time is from now, roughly."""
    seconds = (utcnow() - value).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in (
        (86400 * 365, "year"),
        (86400 * 30, "month"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            n = int(seconds // size)
            text = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


from . import (  # noqa: E402,F401  (routes register on bp)
    account,
    catalog,
    catalog_customer,
    history,
    items,
    members,
    overview,
    rules,
    segments,
    settings,
    uploads,
)
