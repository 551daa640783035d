"""Sending a file to download: every CSV the dashboard and the API offer goes out this way."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from flask import Response, stream_with_context


def attachment(file_name: str) -> str:
    """A Content-Disposition header value that saves the download as `file_name` (RFC 6266):
    an ASCII `filename` for old clients and the exact name as UTF-8 in `filename*` (RFC 5987).
    Control characters and path separators become `_` in both."""
    name = "".join(
        "_" if unicodedata.category(c).startswith("C") or c in '/\\"' else c for c in file_name
    )
    # accents drop off their letters (é -> e); anything else outside ASCII becomes _
    fallback = "".join(
        c if c.isascii() and (c.isalnum() or c in "-_.") else "_"
        for c in unicodedata.normalize("NFKD", name)
        if unicodedata.category(c) != "Mn"
    )
    exact = quote(name, safe="!#$&+^`|~")
    return f"attachment; filename=\"{fallback or 'download'}\"; filename*=UTF-8''{exact}"


def csv_response(chunks: Iterator[str], file_name: str) -> Response:
    """CSV text (services.spreadsheets writes it), streamed as an attachment named
    `file_name`."""
    response = Response(stream_with_context(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = attachment(file_name)
    return response
