"""Many segments at once: activate, deactivate, delete or export the segments a marketer
ticked, or all that match the list's filter, with one undo for what can be undone.

Every action is set-based: the selection is a subquery, the change one UPDATE or DELETE, and
the log one INSERT ... SELECT that records each segment once. "All matching" is resolved here,
from the filter, never from ids the browser sends (those are capped at IDS_MAX).

Undo needs no table of its own: each log line of a bulk action carries the action's token in
its detail, so undoing finds exactly the segments that action changed, and only those still
as it left them change back.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Select, func, insert, literal, select, update

from ..errors import BadRequest
from ..extensions import db, rowcount
from ..models import Activity, Segment, Tenant
from ..models.types import isoformat, utcnow
from ..query.i18n import text_in
from ..query.jsonsql import json_text
from . import activity
from .rules.triggers import membership_changed
from .segment_search import search_segments
from .segments import _delete
from .spreadsheets import SpreadsheetCsv

#: the most segment ids a request may name one by one (a page holds far fewer)
IDS_MAX = 500
#: the most segments one action changes, ticked or matching
BULK_MAX = 10_000
#: how long an action can be undone
UNDO_WINDOW = timedelta(hours=1)
#: the actions and the status each sets
STATUS_ACTIONS = {"activate": "ACTIVE", "deactivate": "INACTIVE"}
ACTIONS = ("activate", "deactivate", "delete", "export")
EXPORT_BATCH = 500
EXPORT_COLUMNS = ("id", "name", "siteCode", "status", "members", "items", "created", "modified")


@dataclass(frozen=True)
class Selection:
    """The segments an action applies to: the ticked ids, or all that match the filter."""

    ids: tuple[str, ...] = ()
    all_matching: bool = False
    text: str = ""
    status: str = ""
    site: str = ""
    valid_now: bool = False
    #: the list's order (only an export keeps it)
    sort: str = ""

    def check(self) -> None:
        if not self.all_matching and not self.ids:
            raise BadRequest("Tick at least one segment first.")
        if not self.all_matching and len(self.ids) > IDS_MAX:
            raise BadRequest(
                f"Tick at most {IDS_MAX:,} segments, or choose all that match the filter."
            )


@dataclass(frozen=True)
class Done:
    """What an action changed; `token` undoes it (None: nothing to undo)."""

    action: str
    count: int
    token: str | None = None
    names: list[str] = field(default_factory=list)


def _ordered(tenant: Tenant, chosen: Selection) -> Select:
    if chosen.all_matching:
        return search_segments(
            tenant, chosen.text, chosen.status, chosen.site, chosen.valid_now, chosen.sort
        )
    return (
        select(Segment)
        .where(Segment.tenant_id == tenant.id, Segment.id.in_(list(chosen.ids)))
        .order_by(Segment.id)
    )


def selected_pks(tenant: Tenant, chosen: Selection) -> Select:
    """SQL: the pks of the chosen segments (at most BULK_MAX), for use as a subquery."""
    chosen.check()
    return _ordered(tenant, chosen).with_only_columns(Segment.pk).order_by(None).limit(BULK_MAX)


def count(tenant: Tenant, chosen: Selection) -> int:
    """How many segments the action would touch."""
    inner = selected_pks(tenant, chosen).subquery()
    return db.session.scalar(select(func.count()).select_from(inner)) or 0


def first_names(tenant: Tenant, chosen: Selection, limit: int = 5) -> list[str]:
    """The names of the first few chosen segments, for the confirmation."""
    stmt = _ordered(tenant, chosen).limit(limit)
    lang = tenant.default_language
    return [text_in(s.name, lang) or s.id for s in db.session.scalars(stmt)]


def _log(tenant: Tenant, action: str, where, detail: dict) -> None:
    """One log line per segment matching `where`, written by one INSERT ... SELECT."""
    now = utcnow()
    db.session.execute(
        insert(Activity).from_select(
            ["tenant_id", "segment_pk", "segment_id", "at", "actor", "action", "count", "detail"],
            select(
                Segment.tenant_id,
                Segment.pk,
                Segment.id,
                literal(now, Activity.at.type),
                literal(activity.current_actor(), Activity.actor.type),
                literal(action, Activity.action.type),
                literal(1),
                literal(detail, Activity.detail.type),
            ).where(Segment.tenant_id == tenant.id, where),
        )
    )


def _restatus(tenant: Tenant, where, status: str, detail: dict) -> int:
    """Set `status` on the segments matching `where` that have another one; logged."""
    where = where & (Segment.status != status)
    verb = "segment.activated" if status == "ACTIVE" else "segment.deactivated"
    _log(tenant, verb, where, detail)
    changed = rowcount(
        db.session.execute(
            update(Segment)
            .where(Segment.tenant_id == tenant.id, where)
            .values(status=status, version=Segment.version + 1, modified_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    )
    db.session.expire_all()
    return changed


def set_status(tenant: Tenant, chosen: Selection, action: str) -> Done:
    """Activate or deactivate the chosen segments; undoable with the returned token."""
    status = STATUS_ACTIONS.get(action)
    if status is None:
        raise BadRequest(f"Unknown action '{action}'.")
    token = secrets.token_urlsafe(12)
    changed = _restatus(
        tenant,
        Segment.pk.in_(selected_pks(tenant, chosen).scalar_subquery()),
        status,
        {"bulk": token},
    )
    return Done(action, changed, token if changed else None)


def undo(tenant: Tenant, token: str) -> Done:
    """Put back the status a bulk activate or deactivate changed, on the segments still as it
    left them (a segment changed again since keeps its newer state)."""
    since = utcnow() - UNDO_WINDOW
    logged = (
        select(Activity.segment_pk, Activity.action)
        .where(
            Activity.tenant_id == tenant.id,
            Activity.at >= since,
            Activity.action.in_(("segment.activated", "segment.deactivated")),
            json_text(Activity.detail, ("bulk",)) == token,
        )
        .limit(1)
    )
    first = db.session.execute(logged).first()
    if first is None:
        raise BadRequest("This action can no longer be undone.")
    back_to = "INACTIVE" if first.action == "segment.activated" else "ACTIVE"
    pks = logged.with_only_columns(Activity.segment_pk).limit(None)
    changed = _restatus(tenant, Segment.pk.in_(pks.scalar_subquery()), back_to, {"undo": token})
    return Done("undo", changed)


def delete(tenant: Tenant, chosen: Selection) -> Done:
    """Delete the chosen segments with their members and items (no undo; the dialog says so)."""
    pks = list(db.session.scalars(selected_pks(tenant, chosen)))
    if not pks:
        return Done("delete", 0)
    where = Segment.pk.in_(pks)
    _log(tenant, "segment.deleted", where, {"bulk": "delete"})
    # rules that name a deleted segment with inSegment lose its members
    for segment in db.session.scalars(select(Segment).where(where, Segment.member_count > 0)):
        membership_changed(db.session, segment)
    _delete(pks)
    return Done("delete", len(pks))


def export_csv(tenant: Tenant, chosen: Selection) -> Iterator[str]:
    """The chosen segments as CSV, in the list's order (ids left exact for a re-import)."""
    stmt = _ordered(tenant, chosen).limit(BULK_MAX)
    chosen.check()
    lang = tenant.default_language

    def chunks() -> Iterator[str]:
        out = SpreadsheetCsv((0, 2))
        out.header(EXPORT_COLUMNS)
        yield out.drain()
        result = db.session.scalars(stmt, execution_options={"yield_per": EXPORT_BATCH})
        for batch in result.partitions():
            out.rows(_export_row(s, lang) for s in batch)
            yield out.drain()

    return chunks()


def _export_row(segment: Segment, lang: str) -> Sequence[object]:
    return (
        segment.id,
        text_in(segment.name, lang),
        segment.site_code,
        segment.status,
        segment.member_count,
        segment.item_count,
        isoformat(segment.created_at),
        isoformat(segment.modified_at),
    )
