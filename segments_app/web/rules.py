"""A segment's Rule tab: build the rule that selects its members, see who it would select
before saving, save it and watch it run; turn a list into a rule and a rule into a list."""

from __future__ import annotations

from flask import g, request, url_for

from ..errors import ValidationFailed
from ..models import RuleEvaluation, Segment
from ..query.i18n import text_in
from ..services.attributes import attribute_keys
from ..services.rules import service
from ..services.segment_list import segment_choices
from ..services.segments import get_segment
from ..services.stats import Counts
from . import bp, can
from .htmx import counts_changed, go, render, wants_fragment
from .rule_fields import DAYS, LISTS, MODES, NO_VALUE, TYPE_NAMES, Catalog
from .rule_form import RuleForm, fields_of
from .segment_pages import load_segment, render_tab

#: evaluation states that still have work to show (the widget polls itself while in one)
ACTIVE = ("queued", "running")


def _editor_words(segment: Segment) -> dict:
    """What the editor's templates need besides the form: where it posts, and the words and
    kinds of groups and operators."""
    return {
        "rule_url": url_for("web.segment_rule_edit", segment_id=segment.id),
        "modes": MODES,
        "type_names": TYPE_NAMES,
        "no_value": NO_VALUE,
        "days_ops": DAYS,
        "list_ops": LISTS,
    }


def _catalog(segment: Segment, extra: object = None) -> Catalog:
    """What the editor offers for `segment`: the tenant's fields, and its other segments."""
    language = g.tenant.default_language
    others = [
        (segment_id, f"{text_in(name, language) or segment_id} ({segment_id})")
        for segment_id, name in segment_choices(g.tenant)
        if segment_id != segment.id
    ]
    used = fields_of(segment.rule) | fields_of(extra)
    return Catalog.build(attribute_keys(g.tenant.id), others, used)


def _page(
    segment: Segment,
    counts: Counts,
    form: RuleForm | None,
    *,
    status: int = 200,
    preview: service.Preview | None = None,
    evaluation: RuleEvaluation | None = None,
    refused: bool = False,
):
    """The Rule tab (or, for htmx, its editor)."""
    if evaluation is None:
        evaluation = service.latest_evaluation(segment)
    return render_tab(
        "rules/index.html",
        "rules/_editor.html",
        segment,
        counts,
        "web.segment_rule",
        status=status,
        form=form,
        preview=preview,
        evaluation=evaluation,
        progress=service.evaluation_progress(evaluation) if evaluation else None,
        active_states=ACTIVE,
        refused=refused,
        **_editor_words(segment),
    )


@bp.get("/segments/<segment_id>/rule")
@can("read")
def segment_rule(segment_id: str):
    """The Rule tab: the segment's rule in the editor, or, for a list, what converting means
    (with `new`, an empty editor to start a rule)."""
    segment, counts = load_segment(segment_id)
    evaluation = None
    if (pk := request.args.get("evaluation", type=int)) is not None:
        evaluation = service.get_evaluation(g.tenant, segment, pk)
    form = None
    if segment.rule is not None:
        form = RuleForm.from_rule(segment.rule, _catalog(segment))
    elif request.args.get("new"):
        form = RuleForm.blank(_catalog(segment))
    return _page(segment, counts, form, evaluation=evaluation)


@bp.post("/segments/<segment_id>/rule")
@can("edit")
def segment_rule_edit(segment_id: str):
    """One step of editing: add or remove a row or a group, change a row's field (its operators
    follow), preview (without JavaScript) or save. Every step re-renders the editor from what
    the form sent; only saving changes anything."""
    segment, counts = load_segment(segment_id)
    form = RuleForm.from_request(request.form, _catalog(segment))
    action = request.form.get("action", "preview")
    if form.apply(action):
        return _page(segment, counts, form)
    rule = form.rule(partial=action != "save")
    if action != "save":
        return _page(segment, counts, form, preview=_preview(segment, form, rule))
    if not form.failed:
        try:
            evaluation = service.save_rule(g.tenant, segment, {"rule": rule})
        except ValidationFailed as error:
            form.show_errors(error)
        else:
            message = "Saved the rule. It runs now; the members follow in a moment."
            url = url_for("web.segment_rule", segment_id=segment.id, evaluation=evaluation.pk)
            return go(url, message)
    return _page(segment, counts, form, status=422, refused=True)


def _preview(segment: Segment, form: RuleForm, rule: dict | None) -> service.Preview | None:
    """Who the rule would select now (None: it has no finished row, or the rows have errors,
    which the form then shows beside them)."""
    if rule is None or form.failed:
        return None
    try:
        return service.preview(g.tenant, segment, {"rule": rule})
    except ValidationFailed as error:
        form.show_errors(error)
        return None


@bp.post("/segments/<segment_id>/rule/preview")
@can("read")
def segment_rule_preview(segment_id: str):
    """The editor's live preview: the counts and sample customers for the rows as they are in
    the form (unfinished rows left out), with each row's messages swapped in beside it."""
    segment = get_segment(g.tenant, segment_id)
    form = RuleForm.from_request(request.form, _catalog(segment))
    rule = form.rule(partial=True)
    return render(
        "rules/_preview.html",
        segment=segment,
        form=form,
        preview=_preview(segment, form, rule),
        live=True,
        **_editor_words(segment),
    )


@bp.get("/segments/<segment_id>/rule/evaluations/<int:pk>")
@can("read")
def segment_rule_evaluation(segment_id: str, pk: int):
    """One evaluation's progress (it polls itself while it runs); when it ends, the frame's
    counts reload."""
    segment = get_segment(g.tenant, segment_id)
    evaluation = service.get_evaluation(g.tenant, segment, pk)
    if not wants_fragment():
        return go(url_for("web.segment_rule", segment_id=segment.id, evaluation=pk))
    response = render(
        "rules/_evaluation.html",
        segment=segment,
        evaluation=evaluation,
        progress=service.evaluation_progress(evaluation),
        active_states=ACTIVE,
    )
    if evaluation.state not in ACTIVE:
        counts_changed(response)
    return response


@bp.get("/segments/<segment_id>/rule/freeze")
@can("edit")
def segment_rule_freeze_confirm(segment_id: str):
    """The confirmation of freezing a rule: a dialog for htmx, a page without it."""
    segment, counts = load_segment(segment_id)
    return render(
        "rules/freeze.html",
        "rules/_freeze_dialog.html",
        segment=segment,
        counts=counts,
        back=url_for("web.segment_rule", segment_id=segment.id),
    )


@bp.post("/segments/<segment_id>/rule/freeze")
@can("edit")
def segment_rule_freeze(segment_id: str):
    """Drop the rule and keep its members as a list kept by hand."""
    segment, counts = load_segment(segment_id)
    if segment.rule is not None:
        service.remove_rule(g.tenant, segment, keep_members=True)
    message = (
        f"The segment is a list now: its {counts.members:,} member"
        f"{'' if counts.members == 1 else 's'} stay until you change them."
    )
    return go(url_for("web.segment_detail", segment_id=segment.id), message)
