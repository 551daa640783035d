"""The API's (and the pages') view of an import."""

from __future__ import annotations

from typing import Any

from ...models import MemberImport
from ...models.types import isoformat


def import_document(imp: MemberImport) -> dict[str, Any]:
    """An import as the API shows it: what, whose, how far, and what it found."""
    doc: dict[str, Any] = {
        "id": imp.id,
        "segmentId": imp.segment.id,
        "mode": imp.mode,
        "dryRun": imp.dry_run,
        "status": imp.status,
        "file": _drop_none(
            {
                "name": imp.file_name,
                "size": imp.file_size,
                "format": imp.file_format,
                "encoding": imp.encoding_override or imp.encoding,
                "encodingDetected": imp.encoding,
                "encodingCertain": imp.encoding_certain,
                "encodingChosen": imp.encoding_override,
                "delimiter": imp.delimiter,
            }
        ),
        "progress": _drop_none(
            {
                "phase": imp.phase,
                "rowsDone": imp.rows_done,
                "rowsPerSecond": imp.rows_per_second,
                "estimatedRows": imp.rows_estimated,
                "estimatedSecondsLeft": imp.seconds_left,
            }
        ),
    }
    if imp.counts is not None:
        doc["counts"] = imp.counts
    if imp.columns is not None:
        doc["columns"] = imp.columns
    if imp.problems is not None:
        doc["problems"] = imp.problems
    if imp.error is not None:
        doc["error"] = imp.error
    doc.update(
        _drop_none(
            {
                "createdBy": imp.created_by,
                "createdAt": isoformat(imp.created_at),
                "startedAt": isoformat(imp.started_at),
                "finishedAt": isoformat(imp.finished_at),
                "appliedAt": isoformat(imp.applied_at),
                "revertedAt": isoformat(imp.reverted_at),
                "revertedBy": imp.reverted_by,
            }
        )
    )
    return doc


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
