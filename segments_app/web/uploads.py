"""A segment's upload tab: the member import flow as pages.

Uploading stores the file and queues a preview; the import's page then follows its run (htmx
polls the import's fragment while it runs) and offers to apply, discard or read the file again
with another encoding. The tab itself shows the import running now, or the latest preview not
yet applied nor discarded, before it offers a new upload. Discarding is the import's own state
(for every editor), not this browser's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Response,
    current_app,
    g,
    request,
    url_for,
)

from ..errors import AppError, BadRequest, Conflict
from ..models import MemberImport, Segment
from ..models.imports import ACTIVE_STATUSES
from ..services import history, stats
from ..services import imports as service
from ..services.imports.columns import ALIASES, guess_fields
from ..services.imports.files import human_bytes
from ..services.segments import get_segment
from . import bp, can
from .downloads import csv_response
from .htmx import go, notify, render, wants_fragment

#: (mode, label, what it does in one line)
MODE_CHOICES = (
    ("add", "Add", "Add the listed customers; the current members stay."),
    ("remove", "Remove", "Remove the listed customers; nobody else is touched."),
    (
        "replace",
        "Replace",
        "Make the listed customers the only members: add the new ones, remove everyone else.",
    ),
)
#: the encodings a marketer may choose ("" lets the import detect it)
ENCODING_CHOICES = (
    ("", "Detect automatically"),
    ("utf-8", "UTF-8"),
    ("utf-16", "UTF-16 (with a byte-order mark)"),
    ("windows-1252", "Windows-1252 (Excel on Windows, Western Europe)"),
    ("iso-8859-1", "ISO-8859-1 (Latin-1)"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9, with €)"),
)
FIELD_LABELS = {"customerId": "customer id", "email": "e-mail", "legalEntityId": "legal entity id"}


@dataclass
class UploadForm:
    """What the upload form holds besides the file, and the messages beside its fields."""

    mode: str = "add"
    encoding: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_request(cls) -> UploadForm:
        form = cls(request.form.get("mode", "add"), request.form.get("encoding", ""))
        if form.mode not in {value for value, _, _ in MODE_CHOICES}:
            form.add_error("mode", "Choose add, remove or replace.")
        if form.encoding not in dict(ENCODING_CHOICES):
            form.add_error("encoding", "Choose an encoding from the list.")
        return form

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


@dataclass(frozen=True)
class CountRow:
    key: str
    label: str
    value: int


def count_rows(imp: MemberImport) -> list[CountRow]:
    """The counts of a finished run worth showing for its mode, labelled for a preview or for
    an apply."""
    counts = imp.counts or {}
    applied = not imp.dry_run and imp.status in ("applied", "reverted")
    adds, removes = imp.mode in ("add", "replace"), imp.mode in ("remove", "replace")
    wanted = [
        ("rowsRead", "Rows read", True),
        ("validRows", "Valid rows", True),
        ("membersToAdd", "Members added" if applied else "Members to add", adds),
        ("alreadyMembers", "Already members", adds),
        ("membersToRemove", "Members removed" if applied else "Members to remove", removes),
        ("notMembers", "Not members (nothing to remove)", imp.mode == "remove"),
        ("unknownCustomers", "Unknown customers", True),
        ("notInLegalEntity", "Not in the legal entity", True),
        ("malformedRows", "Malformed rows", True),
        ("duplicateRows", "Duplicate rows", True),
        ("blankRows", "Blank rows", True),
    ]
    return [
        CountRow(key, label, int(counts.get(key) or 0))
        for key, label, shown in wanted
        if shown and key in counts
    ]


def _page_context(segment: Segment, fragment: str | None) -> dict:
    """What the tab's whole page needs beyond the import or the form (not read when htmx
    swaps only `fragment`)."""
    if fragment is not None and wants_fragment():
        return {"segment": segment}
    return {
        "segment": segment,
        "counts": stats.segment_counts([segment.pk])[segment.pk],
        "tab_name": "web.segment_upload",
    }


def _helpers() -> dict:
    return {
        "mode_choices": MODE_CHOICES,
        "encoding_choices": ENCODING_CHOICES,
        "field_labels": FIELD_LABELS,
        "column_names": ALIASES,
        "max_size": human_bytes(current_app.config["IMPORT_MAX_BYTES"]),
        "count_rows": count_rows,
        "guess_fields": guess_fields,
    }


def _shown_import(segment: Segment, new: bool) -> MemberImport | None:
    """The import the tab opens on: the one running now, else the latest import when it is a
    preview (or a failed run) nobody has discarded, unless a new upload is asked."""
    running = service.current_import(segment)
    if running is not None or new:
        return running
    latest = history.latest_import(segment)
    if latest is None or latest.status not in ("previewed", "failed", "unmapped"):
        return None
    return latest


def _tab(
    segment: Segment,
    imp: MemberImport | None,
    form: UploadForm | None = None,
    status: int = 200,
    running: MemberImport | None = None,
):
    """The tab's page; for htmx, the form alone once it was posted."""
    fragment = "uploads/_form.html" if form is not None else None
    return render(
        "uploads/index.html",
        fragment,
        status=status,
        **_page_context(segment, fragment),
        **_helpers(),
        imp=imp,
        form=form or UploadForm(),
        running=running,
        error=None,
    )


@bp.get("/segments/<segment_id>/upload")
@can("read")
def segment_upload(segment_id: str):
    """The upload tab: the import running now or the latest open preview, else the form."""
    segment = get_segment(g.tenant, segment_id)
    return _tab(segment, _shown_import(segment, new=bool(request.args.get("new"))))


@bp.post("/segments/<segment_id>/upload")
@can("edit")
def segment_upload_create(segment_id: str):
    """Store the file and queue its preview; refusals stand beside the file field (422)."""
    segment = get_segment(g.tenant, segment_id)
    form = UploadForm.from_request()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        form.add_error("file", "Choose the CSV file to upload.")
    if form.errors or upload is None:
        return _tab(segment, None, form, status=422)
    try:
        imp = service.create_import(
            g.tenant,
            segment.id,
            upload.stream,
            upload.filename or "members.csv",
            form.mode,
            True,
            form.encoding or None,
            ask_columns=True,
        )
    except Conflict as exc:
        form.add_error("file", exc.message)
        return _tab(segment, None, form, status=422, running=service.current_import(segment))
    except (service.FileRefused, BadRequest) as exc:
        form.add_error("file", exc.message)
        return _tab(segment, None, form, status=422)
    except OSError as exc:
        form.add_error("file", f"The file could not be stored ({exc.strerror}); try again later.")
        return _tab(segment, None, form, status=422)
    message = (
        f"Uploaded {imp.file_name}; say which column holds the customers."
        if imp.status == "unmapped"
        else f"Uploaded {imp.file_name}; the preview is being prepared."
    )
    return go(
        url_for("web.segment_upload_import", segment_id=segment.id, import_id=imp.id), message
    )


def _import_page(
    imp: MemberImport,
    error: str | None = None,
    column_error: str | None = None,
    picked: dict[str, str] | None = None,
) -> Response:
    """The import's page within the tab, or for htmx its widget (which polls while it runs);
    an `unmapped` one asks which column is which (`picked` so far, `column_error` why not)."""
    fragment = "uploads/_import.html"
    return render(
        "uploads/index.html",
        fragment,
        **_page_context(imp.segment, fragment),
        **_helpers(),
        imp=imp,
        form=UploadForm(),
        running=None,
        error=error,
        column_error=column_error,
        picked=picked,
    )


@bp.get("/segments/<segment_id>/upload/<import_id>")
@can("read")
def segment_upload_import(segment_id: str, import_id: str):
    """One import: its progress while it runs, then what the preview found or the apply did.

    A widget that watched an apply run loads the whole page once it has finished, since the
    segment's member count in the page's header changed too (`watch=apply`)."""
    imp = service.get_import(g.tenant, segment_id, import_id)
    finished = imp.status not in ACTIVE_STATUSES
    if finished and request.args.get("watch") == "apply" and wants_fragment():
        return go(url_for("web.segment_upload_import", segment_id=imp.segment.id, import_id=imp.id))
    return _import_page(imp)


def _started(imp: MemberImport, message: str) -> Response:
    url = url_for("web.segment_upload_import", segment_id=imp.segment.id, import_id=imp.id)
    if not wants_fragment():
        return go(url, message)
    return _import_page(imp)


def _refused(segment_id: str, import_id: str, message: str) -> Response:
    """The import as it is now, with why the action was refused."""
    imp = service.get_import(g.tenant, segment_id, import_id)
    if not wants_fragment():
        url = url_for("web.segment_upload_import", segment_id=imp.segment.id, import_id=imp.id)
        return go(url, message, "error")
    return notify(_import_page(imp, error=message), message, "error")


def _act(
    action: Callable[..., MemberImport],
    segment_id: str,
    import_id: str,
    *args: Any,
    started: str,
    refused: tuple[type[AppError], ...] = (Conflict,),
) -> Response:
    """Start `action` (a service command) on the import and show it running, with `started`
    naming its file at `{}`; or, when the service refuses with one of `refused`, the import as
    it is with why."""
    try:
        imp = action(g.tenant, segment_id, import_id, *args)
    except refused as exc:
        return _refused(segment_id, import_id, exc.message)
    return _started(imp, started.format(imp.file_name))


@bp.post("/segments/<segment_id>/upload/<import_id>/apply")
@can("edit")
def segment_upload_apply(segment_id: str, import_id: str):
    """Apply a previewed import in the background (it checks the file again first)."""
    return _act(service.start_apply, segment_id, import_id, started="Applying {}.")


@bp.post("/segments/<segment_id>/upload/<import_id>/preview")
@can("edit")
def segment_upload_preview(segment_id: str, import_id: str):
    """Preview the file again, read with the chosen encoding."""
    encoding = request.form.get("encoding", "")
    if encoding not in dict(ENCODING_CHOICES):
        return _refused(segment_id, import_id, "Choose an encoding from the list.")
    return _act(
        service.start_preview,
        segment_id,
        import_id,
        encoding or None,
        started="Previewing {} again.",
        refused=(Conflict, BadRequest),
    )


@bp.post("/segments/<segment_id>/upload/<import_id>/columns")
@can("edit")
def segment_upload_columns(segment_id: str, import_id: str):
    """Read an upload whose header names no known column as the marketer says, and preview
    it; a refusal stands beside the columns (422)."""
    mapping = {name: request.form.get(name, "") for name in FIELD_LABELS}
    try:
        return _act(
            service.map_import_columns,
            segment_id,
            import_id,
            mapping,
            started="Previewing {} with the columns you picked.",
        )
    except BadRequest as exc:
        imp = service.get_import(g.tenant, segment_id, import_id)
        response = _import_page(imp, column_error=exc.message, picked=mapping)
        response.status_code = 422
        return response


@bp.post("/segments/<segment_id>/upload/<import_id>/discard")
@can("edit")
def segment_upload_discard(segment_id: str, import_id: str):
    """Put a preview aside for everyone (its file removed, the import kept in History as
    discarded); the tab offers a new upload again."""
    try:
        imp = service.discard_import(g.tenant, segment_id, import_id)
    except Conflict as exc:
        return _refused(segment_id, import_id, exc.message)
    return go(
        url_for("web.segment_upload", segment_id=imp.segment.id),
        f"Discarded the preview of {imp.file_name}; nothing was changed.",
        "info",
    )


@bp.get("/segments/<segment_id>/upload/<import_id>/rejected.csv")
@can("read")
def segment_upload_rejected(segment_id: str, import_id: str):
    """The rows the last run rejected, with their row numbers and reasons, as CSV."""
    imp = service.get_import(g.tenant, segment_id, import_id)
    return csv_response(service.rejected_rows_csv(imp), service.rejected_rows_file_name(imp))
