"""The rejected rows of an import as CSV: the file's own columns, then the row and the reason.

The original file is read again, side by side with the rejections in row order, so neither the
file nor the list of rejections is ever held in memory. The file is meant to be fixed and
uploaded again: its customer id and legal entity id columns are written exactly as uploaded
(the import matches them byte for byte); every other cell is neutralised for spreadsheets, and
the import reads a neutralised e-mail back as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import current_app
from sqlalchemy import Row, select

from ...errors import Conflict
from ...extensions import db
from ...models import MemberImport, MemberImportRejection
from ..spreadsheets import SpreadsheetCsv
from .columns import CUSTOMER_ID, LEGAL_ENTITY_ID, map_columns, read_header, reader
from .files import file_path, open_file, text_stream
from .parsing import record_batches

#: a UTF-8 byte-order mark, so that spreadsheets open the accents right
BOM = "\ufeff"
FINISHED = ("previewed", "applied", "reverted")


def rejected_rows_csv(imp: MemberImport) -> Iterator[str]:
    """The rejected-rows CSV, in chunks; 409 while the import has no finished run."""
    if imp.status not in FINISHED:
        detail = f": {imp.error}" if imp.status == "failed" and imp.error else ""
        raise Conflict(
            f"Import {imp.id} is {imp.status}{detail}; its rejected rows are known once a "
            "preview or an apply has finished.",
            resource_id=imp.id,
        )
    if not file_path(imp.file_path).exists():
        raise Conflict(f"The file of import {imp.id} is no longer kept.", resource_id=imp.id)
    encoding = imp.encoding_override or imp.encoding
    mapping = (imp.columns or {}).get("mapping")
    return _rows(imp.pk, imp.file_path, imp.file_format, encoding, imp.delimiter or ",", mapping)


def _rows(
    import_pk: int,
    name: str,
    fmt: str,
    encoding: str | None,
    delimiter: str,
    mapping: dict[str, str] | None,
) -> Iterator[str]:
    rejections = _rejections(import_pk)
    pending = next(rejections, None)
    with open_file(name, fmt, current_app.config["IMPORT_MAX_BYTES"]) as opened:
        records = reader(text_stream(opened, encoding or "utf-8"), delimiter)
        header, header_row = read_header(records)
        positions = map_columns(header, mapping).positions
        out = SpreadsheetCsv(
            (positions[key] for key in (CUSTOMER_ID, LEGAL_ENTITY_ID) if key in positions),
            prefix=BOM,
            delimiter=delimiter,
            lineterminator="\r\n",
        )
        out.header([*header, "row", "reason"])
        row = header_row + 1
        for batch, _errors in record_batches(records):
            if pending is None:
                break
            end = row + len(batch)
            while pending is not None and pending.row_no < end:
                out.row([*batch[pending.row_no - row], pending.row_no, pending.reason])
                pending = next(rejections, None)
            row = end
            if text := out.drain():
                yield text
    if text := out.drain():
        yield text


def _rejections(import_pk: int) -> Iterator[Row[int, str]]:
    stmt = (
        select(MemberImportRejection.row_no, MemberImportRejection.reason)
        .where(MemberImportRejection.import_pk == import_pk)
        .order_by(MemberImportRejection.row_no)
        .execution_options(stream_results=True, yield_per=2000)
    )
    yield from db.session.execute(stmt)


def rejected_rows_file_name(imp: MemberImport) -> str:
    """What the rejected-rows CSV is saved as: named after the uploaded file."""
    stem = imp.file_name.replace("\\", "/").rsplit("/", 1)[-1].split(".", 1)[0] or "members"
    return f"{stem}-rejected.csv"
