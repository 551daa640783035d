"""Running an import: parse and stage the file, validate it, and apply it or stop at a preview.

The run owns one database connection from start to end, because its staging tables are
temporary tables of that connection. Parsing commits progress between batches (short
transactions, so pages can read it even on SQLite); the apply is one transaction of a few
set-based statements. Anything that stops the run before the apply commits leaves the segment
exactly as it was, and the import is marked failed with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Select, column, delete, literal, select, table, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ...errors import AppError
from ...extensions import rowcount
from ...jobs.heartbeat import beating
from ...models import MemberImport, MemberImportRejection, Segment
from ...models.types import utcnow
from .. import activity, counters
from ..rules.evaluate import lock_affected
from ..rules.triggers import membership_changed
from . import changes
from .columns import map_columns, read_header, reader
from .files import FileRefused, open_file, text_stream
from .parsing import prepare, record_batches
from .runtime import fewer_collections, own_session
from .staging import CATEGORY, Stage, Validation

log = logging.getLogger(__name__)

#: how many problems an import document lists; the rejected-rows CSV has them all
SHOWN_PROBLEMS = 20
#: progress is written at most this often (seconds)
PROGRESS_EVERY = 1.0
COUNT_KEYS = (
    "rowsRead",
    "validRows",
    "rejectedRows",
    "membersToAdd",
    "alreadyMembers",
    "membersToRemove",
    "notMembers",
    "unknownCustomers",
    "notInLegalEntity",
    "malformedRows",
    "duplicateRows",
    "blankRows",
)


def checkpoint(step: str) -> None:
    """Called after each staged batch ('staged') and each apply statement ('removed',
    'added'); does nothing. Tests replace it to stop a run at a chosen point."""


@dataclass
class Progress:
    """What a run reports as it goes (also handed to the CLI's progress bar)."""

    phase: str
    rows: int = 0
    position: int = 0
    size: int = 0


def run_import(import_pk: int, on_progress: Callable[[Progress], None] | None = None) -> None:
    """The job: run a queued import to its end (previewed, applied or failed)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with (
        app.app_context(),
        own_session() as session,
        beating(app, import_pk),
        fewer_collections(),
    ):
        imp = _claim(session, import_pk)
        if imp is None:
            return
        segment = session.get(Segment, imp.segment_pk)
        session.commit()  # no transaction stays open on a snapshot (see _Run._write_first)
        if segment is None:
            return
        run = _Run(session, imp, segment, on_progress)
        with activity.acting_as(imp.created_by):
            try:
                run.execute()
            except Exception as exc:
                session.rollback()
                _fail(session, imp, exc)
            finally:
                run.cleanup()


def _claim(session: Session, import_pk: int) -> MemberImport | None:
    """queued -> running, unless recovery or a deleted segment got there first."""
    now = utcnow()
    result = session.execute(
        update(MemberImport)
        .where(MemberImport.pk == import_pk, MemberImport.status == "queued")
        .values(
            status="running",
            phase="parsing",
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            rows_done=0,
            rows_per_second=None,
            rows_estimated=None,
            seconds_left=None,
            error=None,
        )
    )
    claimed = rowcount(result)
    session.commit()
    return session.get(MemberImport, import_pk) if claimed else None


def _fail(session: Session, imp: MemberImport, exc: Exception) -> None:
    if isinstance(exc, AppError):
        reason = exc.message
    elif isinstance(exc, IntegrityError):
        reason = (
            "The segment or the directory changed while the import was applied, so nothing "
            "was changed; run it again."
        )
    elif isinstance(exc, OperationalError):
        reason = f"The database stopped the import, so nothing was changed: {exc.orig}"
    else:
        log.exception("import %s failed", imp.id)
        reason = f"The import stopped on an unexpected error, so nothing was changed: {exc}"
    session.execute(
        update(MemberImport)
        .where(MemberImport.pk == imp.pk, MemberImport.status == "running")
        .values(status="failed", phase=None, error=reason, finished_at=utcnow(), seconds_left=None)
    )
    session.commit()


class _Run:
    def __init__(
        self,
        session: Session,
        imp: MemberImport,
        segment: Segment,
        on_progress: Callable[[Progress], None] | None,
    ):
        self.session = session
        self.imp = imp
        self.segment = segment
        self.on_progress = on_progress
        self.stage: Stage | None = None
        self.rows_read = 0
        self.blank = 0
        self.started = time.monotonic()
        self.reported = 0.0

    def execute(self) -> None:
        imp = self.imp
        encoding = imp.encoding_override or imp.encoding or "utf-8"
        try:
            self._parse(encoding)
            # decoded strictly from end to end: UTF-8 beyond doubt
            certain = imp.encoding_certain or encoding == "utf-8"
        except UnicodeDecodeError as exc:
            if imp.encoding_override or encoding != "utf-8":
                raise FileRefused(
                    f"The file is not valid {encoding} (near row {self.rows_read + 2}: "
                    f"{exc.reason}); choose its encoding with the encoding parameter."
                ) from None
            # the start of the file looked like UTF-8, a later part does not: read it again
            self.session.rollback()
            encoding, certain = "windows-1252", False
            self._parse(encoding)
        if not imp.encoding_override:
            imp.encoding, imp.encoding_certain = encoding, certain
        self._phase("validating")
        assert self.stage is not None
        validation = self.stage.validate()
        self.session.commit()
        if imp.dry_run:
            self._finish_preview(validation)
        else:
            self._apply(validation)

    def cleanup(self) -> None:
        if self.stage is not None:
            try:
                self.session.rollback()
                self.stage.drop()
                self.session.commit()
            except Exception:
                log.warning("staging tables of import %s not dropped", self.imp.id, exc_info=True)

    # -- parsing ---------------------------------------------------------------------------

    def _parse(self, encoding: str) -> None:
        imp = self.imp
        config = current_app.config
        max_rows = config["IMPORT_MAX_ROWS"]
        self.rows_read = self.blank = 0
        with open_file(imp.file_path, imp.file_format, config["IMPORT_MAX_BYTES"]) as opened:
            records = reader(text_stream(opened, encoding), imp.delimiter or ",")
            header, header_row = read_header(records)
            columns = map_columns(header, (imp.columns or {}).get("mapping"))
            imp.columns = columns.document()
            self.session.commit()
            self.stage = stage = Stage.for_session(self.session, columns, imp.tenant_id)
            stage.create()
            row = header_row + 1
            for records_batch, errors in record_batches(records):
                batch = prepare(records_batch, errors, row, columns)
                row += batch.size
                self.rows_read += batch.size - batch.blank
                self.blank += batch.blank
                if self.rows_read > max_rows:
                    raise FileRefused(
                        f"The file has more than {max_rows:,} rows, the limit "
                        "(IMPORT_MAX_ROWS); split it into smaller files."
                    )
                stage.write(batch)
                checkpoint("staged")
                self._report("parsing", opened.position, opened.size)
            if self.rows_read == 0:
                raise FileRefused("The file has a header but no member rows.")
            self._report("parsing", opened.size, opened.size, force=True)

    def _report(self, phase: str, position: int, size: int, force: bool = False) -> None:
        """Commit progress (and the staged rows with it) at most every PROGRESS_EVERY s."""
        now = time.monotonic()
        if not force and now - self.reported < PROGRESS_EVERY:
            return
        self.reported = now
        # the staged batches first: on SQLite a transaction that has read the directory
        # must not then write to the main database (another writer may have committed since)
        self.session.commit()
        elapsed = max(now - self.started, 1e-6)
        fraction = position / size if size else 0.0
        values: dict = {
            "phase": phase,
            "rows_done": self.rows_read,
            "rows_per_second": round(self.rows_read / elapsed, 1),
            "heartbeat_at": utcnow(),
            "rows_estimated": round(self.rows_read / fraction) if fraction > 0 else None,
            "seconds_left": round(elapsed * (1 - fraction) / fraction, 1) if fraction else None,
        }
        self.session.execute(
            update(MemberImport).where(MemberImport.pk == self.imp.pk).values(**values)
        )
        self.session.commit()
        if self.on_progress is not None:
            self.on_progress(Progress(phase, self.rows_read, position, size))

    def _phase(self, phase: str) -> None:
        self.session.execute(
            update(MemberImport)
            .where(MemberImport.pk == self.imp.pk)
            .values(phase=phase, heartbeat_at=utcnow(), seconds_left=None)
        )
        self.session.commit()
        if self.on_progress is not None:
            self.on_progress(Progress(phase, self.rows_read))

    def _write_first(self) -> None:
        """Start a transaction that writes to the main database with a write, on SQLite.

        SQLite takes a transaction's snapshot at its first read; if another connection (the
        heartbeat, a request) commits after that, the transaction's first write fails at once
        with "database is locked". Taking the write lock first makes every later read of the
        transaction see the state it changes, and makes others wait for it.
        """
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(
                update(MemberImport)
                .where(MemberImport.pk == self.imp.pk)
                .values(heartbeat_at=utcnow())
            )

    # -- results ---------------------------------------------------------------------------

    def _counts(self, validation: Validation, **membership: int) -> dict[str, int]:
        counts = dict.fromkeys(COUNT_KEYS, 0)
        for code, n in validation.problems.items():
            counts[CATEGORY[code]] += n
        counts["rowsRead"] = self.rows_read
        counts["blankRows"] = self.blank
        counts["validRows"] = validation.keys
        counts["rejectedRows"] = sum(validation.problems.values())
        counts.update(membership)
        return counts

    def _finish_preview(self, validation: Validation) -> None:
        mode, segment_pk = self.imp.mode, self.segment.pk
        listed = changes.count_members_listed(self.session, segment_pk)
        membership = {"alreadyMembers": listed}
        if mode in ("add", "replace"):
            membership["membersToAdd"] = validation.keys - listed
        if mode == "remove":
            membership["membersToRemove"] = listed
            membership["notMembers"] = validation.keys - listed
        elif mode == "replace":
            membership["membersToRemove"] = changes.count_members_unlisted(self.session, segment_pk)
        self.session.commit()
        self._write_first()
        self._finish("previewed", self._counts(validation, **membership))
        self.session.commit()

    def _apply(self, validation: Validation) -> None:
        imp, segment = self.imp, self.segment
        if imp.mode == "replace" and validation.keys == 0:
            raise FileRefused(
                "No row of the file is valid, and replacing the members with an empty list "
                "would remove them all; nothing was changed."
            )
        self._phase("applying")
        now = utcnow()
        self._write_first()
        # a rule's evaluation of the segment (or of a rule naming it) at the same moment waits
        # for this import, or this import for it, instead of both writing the same members
        lock_affected(self.session, segment)
        removed = added = 0
        if imp.mode in ("remove", "replace"):
            removed = changes.remove_members(
                self.session, segment.pk, imp.pk, listed=imp.mode == "remove"
            )
            checkpoint("removed")
        if imp.mode in ("add", "replace"):
            added = changes.add_members(self.session, segment.pk, imp.pk, now)
            checkpoint("added")
        membership = {"membersToAdd": added, "membersToRemove": removed}
        if imp.mode == "remove":
            membership["notMembers"] = validation.keys - removed
        else:
            membership["alreadyMembers"] = validation.keys - added
        counts = self._counts(validation, **membership)
        detail = {"importId": imp.id, "mode": imp.mode, "fileName": imp.file_name}
        activity.membership_changed(segment, added, removed, detail)
        activity.record(
            segment, "import.applied", 1, {**detail, "added": added, "removed": removed}
        )
        imp.applied_at = utcnow()
        self._finish("applied", counts)
        if added or removed:  # the rules that refer to the segment follow, before the commit
            membership_changed(self.session, segment)
        # last: the segment's row stays locked only from here to the commit, so the rules'
        # inserts above never wait for a member key while holding it (a writer of one member
        # holds its key and then wants this row: that order would deadlock)
        counters.adjust(self.session, segment.pk, members=added - removed)
        self.session.commit()

    def _finish(self, status: str, counts: dict[str, int]) -> None:
        """Write the result: counts, the first problems, every rejected row."""
        imp, session = self.imp, self.session
        session.execute(
            delete(MemberImportRejection).where(MemberImportRejection.import_pk == imp.pk)
        )
        session.execute(
            MemberImportRejection.__table__.insert().from_select(
                ["import_pk", "row_no", "column_name", "code", "reason"],
                _problems_select(imp.pk),
            )
        )
        rows = session.execute(
            _problems_select(imp.pk).order_by("row_no").limit(SHOWN_PROBLEMS)
        ).all()
        imp.problems = [
            {"row": r.row_no, "column": r.column_name, "reason": r.reason} for r in rows
        ]
        imp.counts = counts
        imp.status = status
        imp.phase = None
        imp.finished_at = utcnow()
        imp.heartbeat_at = imp.finished_at
        imp.seconds_left = None
        imp.rows_done = self.rows_read
        elapsed = max(time.monotonic() - self.started, 1e-6)
        imp.rows_per_second = round(self.rows_read / elapsed, 1)
        session.add(imp)
        session.flush()


_PROBLEM = table(
    "import_problem", column("row_no"), column("column_name"), column("code"), column("reason")
)


def _problems_select(import_pk: int) -> Select:
    return select(
        literal(import_pk).label("import_pk"),
        _PROBLEM.c.row_no,
        _PROBLEM.c.column_name,
        _PROBLEM.c.code,
        _PROBLEM.c.reason,
    )
