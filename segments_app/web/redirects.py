"""Where the dashboard may send a browser that a request names (a `back` or a `next`
parameter): only to a path of this site."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from werkzeug.urls import iri_to_uri


def local_url(target: str | None, default: str) -> str:
    """`target` when it is a path on this site, ready for a Location header; else `default`.

    Refused: another site (`https://x`, `//x`, and `/\\x`, which browsers read as `//x`), and
    any control character, since a CR or LF would end the header it is sent in.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(unicodedata.category(c) == "Cc" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    # a header carries Latin-1 at most: anything beyond ASCII travels percent-encoded
    return iri_to_uri(target)
