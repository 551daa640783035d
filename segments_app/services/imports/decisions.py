"""What an editor decides about an import that waits for them: put it aside (discard), or say
which column of its file is which (an upload whose header names no column we know)."""

from __future__ import annotations

from sqlalchemy import update

from ...errors import BadRequest, Conflict
from ...extensions import db, rowcount
from ...models import MemberImport
from ...models.types import utcnow
from .. import activity
from .columns import CUSTOMER_ID, EMAIL, LEGAL_ENTITY_ID
from .commands import AnyTenant, _enqueue, _hold_segment
from .files import discard
from .queries import get_import

#: what may be put aside: a preview, a failed run, an upload waiting for its columns
DISCARDABLE = ("previewed", "failed", "unmapped")
#: the fields a person may pick a column for
MAPPABLE = (CUSTOMER_ID, EMAIL, LEGAL_ENTITY_ID)


def discard_import(tenant: AnyTenant, segment_id: str, import_id: str) -> MemberImport:
    """Put a preview (or a failed run) aside for everyone: the import becomes `discarded`, its
    file is removed, and it stays in History. Refused (409) once applied, or while it runs."""
    imp = get_import(tenant, segment_id, import_id)
    if imp.status == "discarded":
        return imp  # a second click, or another editor's: the same outcome
    if imp.status not in ("previewed", "failed"):
        raise Conflict(
            f"Import {imp.id} is {imp.status}; only a preview or a failed import can be discarded.",
            resource_id=imp.id,
        )
    result = db.session.execute(
        update(MemberImport)
        .where(MemberImport.pk == imp.pk, MemberImport.status.in_(("previewed", "failed")))
        .values(status="discarded", phase=None, seconds_left=None)
    )
    if not rowcount(result):
        raise Conflict(f"Import {imp.id} changed meanwhile; read it again.", resource_id=imp.id)
    activity.record(
        imp.segment, "import.discarded", 1, {"importId": imp.id, "fileName": imp.file_name}
    )
    db.session.flush()
    db.session.refresh(imp)
    # the file goes now rather than after the commit: should the commit fail, the import
    # stays a preview whose Apply says the file is no longer kept, which is still safe
    discard(imp.file_path)
    return imp


def map_import_columns(
    tenant: AnyTenant, segment_id: str, import_id: str, mapping: dict[str, str]
) -> MemberImport:
    """Read an `unmapped` upload with the columns picked (field -> the header's name of it)
    and queue its preview. Refused (400) when no column holds a customer id or e-mail, one
    column is picked twice or is not the file's; 409 unless the import waits for columns."""
    imp = get_import(tenant, segment_id, import_id)
    if imp.status != "unmapped":
        raise Conflict(
            f"Import {imp.id} is {imp.status}; its columns are known already.", resource_id=imp.id
        )
    header = list((imp.columns or {}).get("header") or [])
    picked = {name: column for name, column in mapping.items() if name in MAPPABLE and column}
    unknown = sorted(set(picked.values()) - set(header))
    if unknown:
        raise BadRequest(f"The file has no column '{unknown[0]}'.")
    if CUSTOMER_ID not in picked and EMAIL not in picked:
        raise BadRequest("Pick the column that holds the customer id or the e-mail.")
    if len(set(picked.values())) < len(picked):
        raise BadRequest("Pick a different column for each field.")

    def claim() -> None:
        result = db.session.execute(
            update(MemberImport)
            .where(MemberImport.pk == imp.pk, MemberImport.status == "unmapped")
            .values(
                status="queued",
                dry_run=True,
                heartbeat_at=utcnow(),
                columns={"header": header, "mapping": picked},
            )
        )
        if not rowcount(result):
            raise Conflict(f"Import {imp.id} changed meanwhile; read it again.")

    _hold_segment(imp.segment, claim)
    db.session.refresh(imp)
    _enqueue(imp)
    return imp
