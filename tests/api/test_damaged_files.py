"""Member files that cannot be read to their end (damaged or truncated gzip and zip files, files
that lie about their size, text in no encoding we read): refused with the reason at the upload
when the start of the file shows it, a failed import with the reason when only the background
run finds it; never a 500, never a crash of the run."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile

import pytest

from tests.imports_support import IMPORTS, api_upload, csv_bytes, finished, members

pytestmark = pytest.mark.usefixtures("directory")

#: a file larger than the sample the upload reads (64 KB), so that damage past it is found
#: only by the background run
LONG = csv_bytes("customerId", *(f"c{n}" for n in range(60_000)))


def _zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("members.csv", data)
    return buffer.getvalue()


def _spoiled(data: bytes, at: float, length: int = 64) -> bytes:
    """`data` with `length` bytes from fraction `at` of it overwritten."""
    spoiled = bytearray(data)
    start = int(len(data) * at)
    spoiled[start : start + length] = b"\xff" * length
    return bytes(spoiled)


def _lying_zip(data: bytes, declared: int) -> bytes:
    """A zip whose entry says it holds `declared` bytes (a zip bomb's trick)."""
    raw = bytearray(_zipped(data))
    struct.pack_into("<I", raw, 22, declared)  # the local header's uncompressed size
    struct.pack_into("<I", raw, raw.index(b"PK\x01\x02") + 24, declared)  # the directory's
    return bytes(raw)


GZIP = gzip.compress(LONG)

#: refused at the upload: (name, content, what the message says)
REFUSED_AT_UPLOAD = [
    ("gzip-magic-then-zeros.csv.gz", b"\x1f\x8b" + bytes(200), "gzip file is damaged"),
    (
        "gzip-header-then-zeros.csv.gz",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(200),
        "gzip file is damaged",
    ),
    ("gzip-cut-short.csv.gz", GZIP[: len(GZIP) // 2], "gzip file is truncated"),
    ("gzip-tiny.csv.gz", b"\x1f\x8b\x08\x00" + bytes(6), "gzip file is truncated"),
    ("zip-magic-then-zeros.zip", b"PK\x03\x04" + bytes(200), "zip file is damaged"),
    ("zip-cut-short.zip", _zipped(LONG)[:4000], "zip file is damaged"),
    (
        "undecodable.csv",
        b"\xff\xfe" + "customerId\nc1\n".encode("utf-16-le") + b"A",
        "not valid utf-16",
    ),
]

#: accepted at the upload (the start reads well), failed by the run: (name, content, reason)
FAILED_IN_THE_RUN = [
    ("gzip-spoiled-inside.csv.gz", _spoiled(GZIP, 0.6), "gzip file is damaged"),
    (
        "gzip-cut-short-with-a-trailer.csv.gz",
        GZIP[: len(GZIP) // 2] + struct.pack("<I", len(LONG)),
        "gzip file is truncated",
    ),
    ("zip-spoiled-inside.zip", _spoiled(_zipped(LONG), 0.6), "zip file is damaged"),
    ("zip-bomb.zip", _lying_zip(LONG, 70_000), "zip file is damaged"),
    (
        "utf16-broken-inside.csv",
        b"\xff\xfe" + LONG.decode().encode("utf-16-le") + b"\x00\xd8c\x00\n\x00",
        "not valid utf-16",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "message"), REFUSED_AT_UPLOAD, ids=[c[0] for c in REFUSED_AT_UPLOAD]
)
def test_a_damaged_file_is_refused_at_the_upload_with_the_reason(api, name, content, message):
    response = api_upload(api, content, name)
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert (body["code"], body["status"]) == (400, "Bad Request")
    assert message in body["message"]
    assert api.get(IMPORTS).get_json() == []


@pytest.mark.parametrize(
    ("name", "content", "reason"), FAILED_IN_THE_RUN, ids=[c[0] for c in FAILED_IN_THE_RUN]
)
def test_damage_found_by_the_run_fails_the_import_with_the_reason(api, name, content, reason):
    created = api_upload(api, content, name, dryRun="false")
    assert created.status_code == 202, created.get_json()
    doc = finished(api, created.headers["Location"])
    assert doc["status"] == "failed"
    assert reason in doc["error"] and "unexpected" not in doc["error"]
    assert members() == set()
    assert api_upload(api, csv_bytes("customerId", "c1")).status_code == 202


def test_a_bomb_past_the_size_limit_fails_naming_the_limit(api, app, monkeypatch):
    """A gzip file whose trailer claims a small content: the run stops at IMPORT_MAX_BYTES."""
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 200_000)
    bomb = bytearray(GZIP)
    struct.pack_into("<I", bomb, len(bomb) - 4, 70_000)
    created = api_upload(api, bytes(bomb), "bomb.csv.gz", dryRun="false")
    assert created.status_code == 202, created.get_json()
    doc = finished(api, created.headers["Location"])
    assert doc["status"] == "failed"
    assert "larger than the limit of 195.3 KB" in doc["error"]
