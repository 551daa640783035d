"""What a marketer, an API client or the CLI does with imports: create, preview, apply, revert.

One import per segment at a time is guarded by the database: a unique partial index on
member_import(segment_pk) over the queued, running and reverting imports. Whoever loses the
race gets an IntegrityError, which becomes a 409 that names the import holding the segment.
An import whose process stopped holds its segment no longer (see stale).
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable
from typing import IO

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ...errors import BadRequest, Conflict
from ...extensions import db, rowcount
from ...jobs import fail_unsubmitted as fail_queued
from ...jobs import submit_after_commit
from ...models import MemberImport, Segment
from ...models.imports import MODES
from ...models.tenants import Tenant, TenantInfo
from ...models.types import isoformat, utcnow
from .. import activity, counters
from ..documents import new_id
from ..longwork import lift_statement_timeout
from ..rules.evaluate import lock_affected
from ..rules.triggers import membership_changed
from ..segments import get_segment
from . import changes
from .columns import NoKeyColumn, first_line, map_columns, read_header, reader, sniff_delimiter
from .engine import run_import
from .files import (
    FileRefused,
    StoredFile,
    check_text,
    codec_for,
    discard,
    file_path,
    normalize_encoding,
    open_file,
    read_sample,
    sniff_encoding,
    store_path,
    store_stream,
    too_big,
    uncompressed_estimate,
)
from .queries import current_import, get_import, later_applied_import
from .stale import recover_interrupted

AnyTenant = Tenant | TenantInfo


def create_import(
    tenant: AnyTenant,
    segment_id: str,
    source: IO[bytes] | str | os.PathLike,
    file_name: str,
    mode: str = "add",
    dry_run: bool = True,
    encoding: str | None = None,
    *,
    enqueue: bool = True,
    ask_columns: bool = False,
) -> MemberImport:
    """Store the file, check it can be read, and queue an import of it for the segment.

    `source` is a binary stream (an upload) or a path (the CLI). The import runs in the
    background once the caller commits (a preview when `dry_run`), unless `enqueue` is False:
    then the caller runs it with run_import. Refused (400) when the file cannot be imported
    at all, 409 while another import holds the segment. A header that names no customer id
    or e-mail column is refused too, unless `ask_columns` (the dashboard): then the import
    waits, `unmapped`, for map_import_columns to say which column is which.
    """
    segment = get_segment(tenant, segment_id)  # type: ignore[arg-type]
    if mode not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}; got '{mode}'.")
    override = normalize_encoding(encoding)
    _refuse_if_busy(segment)
    public_id = new_id()
    max_bytes = current_app.config["IMPORT_MAX_BYTES"]
    if isinstance(source, str | os.PathLike):
        stored = store_path(source, public_id, max_bytes)
    else:
        stored = store_stream(source, public_id, max_bytes)
    try:
        sniffed = _inspect(stored, override, max_bytes, ask_columns)
        imp = MemberImport(
            id=public_id,
            tenant_id=segment.tenant_id,
            segment_pk=segment.pk,
            mode=mode,
            dry_run=dry_run,
            status=sniffed.pop("status", "queued"),
            file_name=(file_name or "members.csv")[:255],
            file_path=stored.name,
            file_size=stored.size,
            file_format=stored.format,
            encoding_override=override,
            created_by=activity.current_actor(),
            created_at=utcnow(),
            heartbeat_at=utcnow(),
            **sniffed,
        )
        _hold_segment(segment, lambda: db.session.add(imp))
    except BaseException:
        discard(stored.name)
        raise
    if enqueue and imp.status == "queued":
        _enqueue(imp)
    return imp


def start_preview(
    tenant: AnyTenant, segment_id: str, import_id: str, encoding: str | None = None
) -> MemberImport:
    """Run a finished import again as a preview, read with `encoding` when given."""
    return _restart(tenant, segment_id, import_id, dry_run=True, encoding=encoding)


def start_apply(
    tenant: AnyTenant, segment_id: str, import_id: str, encoding: str | None = None
) -> MemberImport:
    """Apply a previewed (or failed) import in the background; it validates the file again
    against the data as it is then."""
    return _restart(tenant, segment_id, import_id, dry_run=False, encoding=encoding)


def revert_import(tenant: AnyTenant, segment_id: str, import_id: str) -> MemberImport:
    """Undo an applied import: unassign what it assigned and restore what it removed.

    Refused (409) unless the import is applied, while another import holds the segment, and
    when a later import applied to the segment has not been reverted first.
    """
    imp = get_import(tenant, segment_id, import_id)
    if imp.status != "applied":
        raise Conflict(_not_revertible(imp), resource_id=imp.id)
    later = later_applied_import(imp)
    if later is not None:
        raise Conflict(
            f"Import {later.id} ({later.file_name}, applied {isoformat(later.applied_at)}) "
            f"changed segment {imp.segment.id} after this one; revert it first.",
            resource_id=imp.id,
        )
    segment = imp.segment

    def claim() -> None:
        result = db.session.execute(
            update(MemberImport)
            .where(MemberImport.pk == imp.pk, MemberImport.status == "applied")
            .values(status="reverting")
        )
        claimed = rowcount(result)
        if not claimed:
            raise Conflict(f"Import {imp.id} changed meanwhile; read it again.")

    _hold_segment(segment, claim)
    lift_statement_timeout(db.session)
    lock_affected(db.session, segment)
    removed = changes.undo_additions(db.session, segment.pk, imp.pk)
    restored, not_restored = changes.restore_removals(db.session, segment.pk, imp.pk)
    counters.adjust(db.session, segment.pk, members=restored - removed)
    if removed or restored:
        membership_changed(db.session, segment)
    detail = {"importId": imp.id, "fileName": imp.file_name}
    activity.membership_changed(segment, restored, removed, detail)
    activity.record(
        segment, "import.reverted", 1, {**detail, "removed": removed, "restored": restored}
    )
    db.session.refresh(imp)
    imp.status = "reverted"
    imp.reverted_at = utcnow()
    imp.reverted_by = activity.current_actor()
    imp.counts = {
        **(imp.counts or {}),
        "revert": {
            "membersRemoved": removed,
            "membersRestored": restored,
            "notRestored": not_restored,
        },
    }
    db.session.flush()
    return imp


def fail_unsubmitted(import_pk: int, exc: Exception) -> None:
    """The runner could not take the job (e.g. Redis is down): say so on the import."""
    fail_queued(
        MemberImport.status, import_pk, f"The import could not be queued: {exc}. Try again later."
    )


def _enqueue(imp: MemberImport) -> None:
    submit_after_commit(
        db.session(),
        run_import,
        imp.pk,
        recover=recover_interrupted,
        on_failure=fail_unsubmitted,
    )


def _restart(
    tenant: AnyTenant, segment_id: str, import_id: str, dry_run: bool, encoding: str | None
) -> MemberImport:
    imp = get_import(tenant, segment_id, import_id)
    override = normalize_encoding(encoding)
    if imp.status not in ("previewed", "failed"):
        raise Conflict(_not_startable(imp, dry_run), resource_id=imp.id)
    if not file_path(imp.file_path).exists():
        raise Conflict(f"The file of import {imp.id} is no longer kept; upload it again.")

    def claim() -> None:
        # the last run's progress goes: a waiting apply must not show the preview's numbers
        values: dict = {
            "status": "queued",
            "dry_run": dry_run,
            "heartbeat_at": utcnow(),
            "phase": None,
            "rows_done": 0,
            "rows_per_second": None,
            "rows_estimated": None,
            "seconds_left": None,
        }
        if override is not None:
            values["encoding_override"] = override
        result = db.session.execute(
            update(MemberImport)
            .where(MemberImport.pk == imp.pk, MemberImport.status.in_(("previewed", "failed")))
            .values(**values)
        )
        claimed = rowcount(result)
        if not claimed:
            raise Conflict(f"Import {imp.id} changed meanwhile; read it again.")

    _hold_segment(imp.segment, claim)
    db.session.refresh(imp)
    _enqueue(imp)
    return imp


def _hold_segment(segment: Segment, change: Callable[[], None]) -> None:
    """Make `change` (which makes an import active) unless another import holds `segment`."""
    _refuse_if_busy(segment)
    try:
        with db.session.begin_nested():
            change()
            db.session.flush()
    except IntegrityError:
        _refuse_if_busy(segment)
        raise Conflict(
            f"Another import of segment {segment.id} started meanwhile; wait for it to finish."
        ) from None


def _refuse_if_busy(segment: Segment) -> None:
    running = current_import(segment)
    if running is not None:
        raise Conflict(
            f"Import {running.id} ({running.file_name}) is {running.status} for segment "
            f"{segment.id}; one import runs per segment at a time. Wait for it to finish.",
            resource_id=running.id,
        )


def _not_revertible(imp: MemberImport) -> str:
    if imp.status == "reverted":
        return f"Import {imp.id} was reverted already, {isoformat(imp.reverted_at)}."
    if imp.status in ("previewed", "failed") or imp.applied_at is None:
        return f"Import {imp.id} is {imp.status} and was never applied; there is nothing to revert."
    return f"Import {imp.id} is {imp.status}; only an applied import can be reverted."


def _not_startable(imp: MemberImport, dry_run: bool) -> str:
    action = "previewed" if dry_run else "applied"
    if imp.status == "discarded":
        return (
            f"Import {imp.id} ({imp.file_name}) was discarded and cannot be {action}; "
            "upload the file again."
        )
    if imp.status in ("queued", "running"):
        return f"Import {imp.id} is {imp.status}; wait for it to finish."
    return f"Import {imp.id} is {imp.status} and cannot be {action} again; upload the file anew."


def _inspect(stored: StoredFile, override: str | None, max_bytes: int, ask_columns: bool) -> dict:
    """Refuse a file that cannot be imported, before any work: too big, not text, no
    usable header. Returns what was sniffed: encoding, certainty and delimiter (and, when
    the header names no known column and `ask_columns`, the `unmapped` status and the
    header's names)."""
    path = file_path(stored.name)
    if uncompressed_estimate(path, stored.format) > max_bytes:
        raise too_big(max_bytes)
    with open_file(stored.name, stored.format, max_bytes) as opened:
        sample, complete = read_sample(opened)
    if not sample.strip():
        raise FileRefused("The file is empty: it needs a header row and at least one member row.")
    if override is None or not override.startswith("utf-16"):
        check_text(sample)
    if override is None:
        encoding, certain = sniff_encoding(sample, complete)
    else:
        encoding, certain = override, True
    codec, errors = codec_for(encoding)
    try:
        # incremental: the sample may end inside a character
        text = codecs.getincrementaldecoder(codec)(errors).decode(sample, final=complete)
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"The file is not valid {encoding} ({exc.reason} at byte {exc.start}); "
            "choose its encoding."
        ) from None
    except UnicodeError as exc:  # e.g. UTF-16 without a byte-order mark
        raise FileRefused(
            f"The file is not valid {encoding} ({exc}); choose its encoding."
        ) from None
    line = first_line(text, complete)
    delimiter = sniff_delimiter(line)
    header, _ = read_header(reader([line], delimiter))
    sniffed: dict = {"encoding": encoding, "encoding_certain": certain, "delimiter": delimiter}
    try:
        map_columns(header)
    except NoKeyColumn as exc:
        if not ask_columns:
            raise
        sniffed.update(status="unmapped", columns={"header": exc.header})
    return sniffed
