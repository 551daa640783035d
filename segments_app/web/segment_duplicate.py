"""Duplicating a segment from its page: a new id the marketer chooses, "Copy of …" prefilled,
and whether its members, items and rule go along."""

from __future__ import annotations

from flask import g, request, url_for

from ..errors import Conflict, ValidationFailed
from ..services.duplicate import Copying, copy_name, duplicate_segment
from ..services.segments import get_segment
from . import bp, can
from .htmx import go, render

NAME_FIELD = "name"


def _ticked(name: str) -> bool:
    return request.form.get(name) == "1"


@bp.route("/segments/<segment_id>/duplicate", methods=["GET", "POST"])
@can("edit")
def segment_duplicate(segment_id: str):
    """The duplicate form; its errors stand beside the fields."""
    tenant = g.tenant
    source = get_segment(tenant, segment_id)
    errors: dict[str, list[str]] = {}
    if request.method == "GET":
        values = {"id": "", "name": copy_name(source, tenant.default_language)}
        copying = Copying(rule=source.rule is not None)
        return _page(source, values, copying, errors)
    values = {key: request.form.get(key, "").strip() for key in ("id", "name")}
    copying = Copying(_ticked("members"), _ticked("items"), _ticked("rule"))
    if not values["id"]:
        errors["id"] = ["Choose an id for the copy."]
    if not values["name"]:
        errors[NAME_FIELD] = ["Give the copy a name."]
    if not errors:
        try:
            copy = duplicate_segment(tenant, source.id, values["id"], values["name"], copying)
        except ValidationFailed as exc:
            for path, messages in exc.by_field().items():
                key = "id" if path == "id" else NAME_FIELD if path.startswith("name") else "id"
                errors.setdefault(key, []).extend(messages)
        except Conflict:
            errors["id"] = ["A segment with this id exists already. Choose another id."]
        else:
            return go(
                url_for("web.segment_detail", segment_id=copy.id),
                f"Created “{values['name']}”, a copy of {source.id}.",
            )
    return _page(source, values, copying, errors, status=422)


def _page(source, values, copying, errors, status: int = 200):
    return render(
        "segments/duplicate.html",
        status=status,
        segment=source,
        values=values,
        copying=copying,
        errors=errors,
    )
