"""/segments/{segmentId}/imports: member lists uploaded as CSV, previewed, applied, reverted."""

from __future__ import annotations

from flask import Response, current_app, g, jsonify, request, url_for

from ..auth.bearer import requires
from ..errors import AppError, BadRequest
from ..extensions import db
from ..models.tenants import SCOPE_MANAGE
from ..query.listing import parse_bool, read_page
from ..services import imports as service
from ..services.segments import get_segment
from ..web.downloads import csv_response
from . import bp
from .common import list_response, page, wants_total

IMPORTS = "/segments/<segment_id>/imports"
ONE = IMPORTS + "/<import_id>"
#: multipart framing around the file may add this much to the request beyond the file itself
FRAMING = 1 << 20


def _param(name: str) -> str | None:
    """A parameter from the query string, or from the multipart form beside the file."""
    value = request.args.get(name)
    if value is None and request.mimetype == "multipart/form-data":
        value = request.form.get(name)
    return value


def _accepted(imp, status: int = 202) -> Response:
    response = jsonify(service.import_document(imp))
    response.status_code = status
    response.headers["Location"] = url_for(
        "api.get_import", segment_id=imp.segment.id, import_id=imp.id
    )
    return response


@bp.post(IMPORTS)
@requires(SCOPE_MANAGE)
def create_import(segment_id: str):
    """202: the file is stored and its import queued (a preview unless dryRun=false)."""
    get_segment(g.tenant, segment_id)
    max_bytes = current_app.config["IMPORT_MAX_BYTES"]
    if (request.content_length or 0) > max_bytes + FRAMING:
        raise service.FileRefused(
            f"The file is larger than the limit of {max_bytes:,} bytes (IMPORT_MAX_BYTES).",
            status=413,
        )
    mode = _param("mode") or "add"
    dry_run = parse_bool("dryRun", _param("dryRun"), default=True)
    encoding = _param("encoding")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("Send the member file in the multipart field 'file'.")
        stream, file_name = upload.stream, upload.filename or "members.csv"
    else:
        if not request.content_length and request.headers.get("Transfer-Encoding") is None:
            raise BadRequest(
                "Send the member file as the request body (Content-Type: text/csv, "
                "?fileName=members.csv) or in the multipart field 'file'."
            )
        stream, file_name = request.stream, request.args.get("fileName") or "members.csv"
    try:
        imp = service.create_import(
            g.tenant, segment_id, stream, file_name, mode, dry_run, encoding
        )
    except OSError as exc:
        raise AppError(f"The file could not be stored: {exc.strerror}.", status=503) from None
    return _accepted(imp)


@bp.get(IMPORTS)
@requires(SCOPE_MANAGE)
def list_imports(segment_id: str):
    """The segment's imports, newest first."""
    segment = get_segment(g.tenant, segment_id)
    paged = read_page(
        db.session, service.segment_imports_query(segment), page(), count=wants_total()
    )
    return list_response([service.import_document(row[0]) for row in paged.rows], paged.total)


@bp.get(ONE)
@requires(SCOPE_MANAGE)
def get_import(segment_id: str, import_id: str):
    """Status, progress, counts and the first problems of one import."""
    return jsonify(service.import_document(service.get_import(g.tenant, segment_id, import_id)))


@bp.post(ONE + "/preview")
@requires(SCOPE_MANAGE)
def preview_import(segment_id: str, import_id: str):
    """202: run the preview again, e.g. with another `encoding`."""
    encoding = request.args.get("encoding")
    return _accepted(service.start_preview(g.tenant, segment_id, import_id, encoding))


@bp.post(ONE + "/apply")
@requires(SCOPE_MANAGE)
def apply_import(segment_id: str, import_id: str):
    """202: apply the import in the background (it validates the file again first)."""
    encoding = request.args.get("encoding")
    return _accepted(service.start_apply(g.tenant, segment_id, import_id, encoding))


@bp.post(ONE + "/revert")
@requires(SCOPE_MANAGE)
def revert_import(segment_id: str, import_id: str):
    """Undo an applied import; 409 when a later import must be reverted first."""
    imp = service.revert_import(g.tenant, segment_id, import_id)
    return jsonify(service.import_document(imp))


@bp.post(ONE + "/discard")
@requires(SCOPE_MANAGE)
def discard_import(segment_id: str, import_id: str):
    """Put a preview aside for everyone: `discarded`, its file removed, kept in the list."""
    imp = service.discard_import(g.tenant, segment_id, import_id)
    return jsonify(service.import_document(imp))


@bp.get(ONE + "/rejected.csv")
@requires(SCOPE_MANAGE)
def rejected_rows(segment_id: str, import_id: str):
    """The rejected rows with their row numbers and reasons, streamed as CSV."""
    imp = service.get_import(g.tenant, segment_id, import_id)
    return csv_response(service.rejected_rows_csv(imp), service.rejected_rows_file_name(imp))
