"""Member files on disk: storing an upload, telling CSV from gzip and zip, sizes, encodings.

Uploads are written to IMPORT_DIR in chunks and read back as streams, so a file of any size
costs the memory of one chunk. Nothing here knows about segments or the database.
"""

from __future__ import annotations

import codecs
import gzip
import io
import lzma
import os
import shutil
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from flask import current_app

from ...errors import AppError, BadRequest

CHUNK = 1 << 20
#: how much of the (decompressed) file is read to sniff its encoding, delimiter and header
SAMPLE = 1 << 16

#: deflate's largest possible ratio of content to compressed size
MAX_DEFLATE_RATIO = 1032
#: what reading a damaged compressed file raises, by the layer that notices: the gzip and zip
#: readers (BadGzipFile is an OSError), their decompressors, and the end of a truncated file
DAMAGED = (OSError, EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: formats people rename to .csv by mistake, by their first bytes
KNOWN_BINARIES = (
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls); save it as CSV first"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)
#: the encodings a user may choose, by the names people use for them
ENCODING_NAMES = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16-le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-16-be": "utf-16-be",
    "windows-1252": "windows-1252",
    "cp1252": "windows-1252",
    "iso-8859-1": "iso-8859-1",
    "latin-1": "iso-8859-1",
    "latin1": "iso-8859-1",
    "iso-8859-15": "iso-8859-15",
}


class FileRefused(AppError):
    """The file cannot be imported at all; the message says why."""

    status = 400


@dataclass(frozen=True)
class StoredFile:
    """An upload kept under IMPORT_DIR."""

    #: relative to IMPORT_DIR
    name: str
    size: int
    #: csv, gzip or zip
    format: str


def import_dir() -> Path:
    """Where uploads are kept: IMPORT_DIR, or instance/imports by default."""
    configured = current_app.config.get("IMPORT_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_path(name: str) -> Path:
    return import_dir() / name


def human_bytes(size: int) -> str:
    """`524288000` -> `500 MB` (binary multiples, as file managers show them)."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "bytes" else f"{value:,.4g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def damaged(fmt: str, exc: BaseException) -> FileRefused:
    """400: a compressed file that cannot be read to its end, with what is wrong with it."""
    if isinstance(exc, EOFError):
        return FileRefused(
            f"The {fmt} file is truncated: it ends before its content does. Upload it again, "
            "or upload the CSV file itself."
        )
    return FileRefused(
        f"The {fmt} file is damaged and cannot be read ({exc or type(exc).__name__}). "
        "Compress it again, or upload the CSV file itself."
    )


def too_big(limit: int) -> FileRefused:
    """413: the file's CSV is over IMPORT_MAX_BYTES (the message names the limit)."""
    return FileRefused(
        f"The file is larger than the limit of {human_bytes(limit)} of CSV, uncompressed "
        "(IMPORT_MAX_BYTES); split it into smaller files.",
        status=413,
    )


def store_stream(stream: IO[bytes], stem: str, max_bytes: int) -> StoredFile:
    """Copy `stream` to IMPORT_DIR in chunks; refused (and removed) past `max_bytes`."""
    target = import_dir() / f"{stem}.upload"
    size = 0
    try:
        with open(target, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise too_big(max_bytes)
                out.write(chunk)
        return StoredFile(target.name, size, detect_format(target))
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def store_path(source: str | os.PathLike, stem: str, max_bytes: int) -> StoredFile:
    """Copy the file at `source` into IMPORT_DIR (the CLI's way in)."""
    with open(source, "rb") as stream:
        return store_stream(stream, stem, max_bytes)


def discard(name: str) -> None:
    (import_dir() / name).unlink(missing_ok=True)


def detect_format(path: Path) -> str:
    """csv, gzip or zip, by the first bytes (the file name may lie)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return "zip"
    return "csv"


def _zip_member(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    names = archive.namelist()
    if "[Content_Types].xml" in names:
        raise FileRefused("This is an Excel workbook (.xlsx), not a CSV file; save it as CSV.")
    # macOS adds resource forks under __MACOSX/ to every zip it makes
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir() and not info.filename.startswith("__MACOSX/")
    ]
    if len(members) != 1:
        listed = ", ".join(info.filename for info in members[:5])
        more = f" and {len(members) - 5} more" if len(members) > 5 else ""
        raise FileRefused(
            f"The zip file holds {len(members)} files ({listed}{more}); "
            "it must hold exactly one CSV file."
            if members
            else "The zip file is empty; it must hold exactly one CSV file."
        )
    return members[0]


def uncompressed_estimate(path: Path, fmt: str) -> int:
    """The size of the CSV inside: gzip's ISIZE trailer, the zip entry's size, or the file's."""
    size = path.stat().st_size
    if fmt == "gzip":
        if size < 18:
            raise damaged(fmt, EOFError())
        with open(path, "rb") as handle:
            handle.seek(-4, os.SEEK_END)
            (isize,) = struct.unpack("<I", handle.read(4))
        # ISIZE is the size modulo 4 GiB; a file bigger than that is over any sane limit
        # anyway, and a compressed file is rarely larger than its content. More than deflate
        # can expand to means the last bytes are not a trailer: the file was cut short.
        if isize > size * MAX_DEFLATE_RATIO:
            raise damaged(fmt, EOFError())
        return max(isize, size)
    if fmt == "zip":
        try:
            with zipfile.ZipFile(path) as archive:
                return _zip_member(archive).file_size
        except zipfile.BadZipFile:
            raise FileRefused("The zip file is damaged and cannot be opened.") from None
    return size


class _Counting(io.RawIOBase):
    """Counts the bytes read through it and refuses to read past a limit; a compressed
    file's damage, wherever the read finds it, is a FileRefused that says what it is."""

    def __init__(self, inner: IO[bytes], limit: int, fmt: str):
        self.inner = inner
        self.limit = limit
        self.fmt = fmt
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self.inner.read(len(buffer))
        except DAMAGED as exc:
            if self.fmt == "csv":
                raise  # the disk's own error, not the file's
            raise damaged(self.fmt, exc) from None
        n = len(data)
        self.count += n
        if self.count > self.limit:
            raise too_big(self.limit)
        buffer[:n] = data
        return n


@dataclass
class OpenedFile:
    """A stored upload opened for reading: the decompressed bytes and the progress through it."""

    stream: IO[bytes]
    raw: IO[bytes]
    size: int

    @property
    def position(self) -> int:
        """Bytes of the stored file (compressed, for gzip and zip) read so far."""
        try:
            return min(self.raw.tell(), self.size)
        except (OSError, ValueError):
            return 0


@contextmanager
def open_file(name: str, fmt: str, max_bytes: int) -> Iterator[OpenedFile]:
    """The decompressed content of a stored upload, at most `max_bytes` of it."""
    path = file_path(name)
    size = path.stat().st_size
    with open(path, "rb") as raw:
        try:
            if fmt == "gzip":
                # typeshed's GzipFile has every method of IO[bytes] but does not derive from it
                inner = cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
            elif fmt == "zip":
                archive = zipfile.ZipFile(raw)
                inner = archive.open(_zip_member(archive))
            else:
                inner = raw
        except DAMAGED as exc:
            raise damaged(fmt, exc) from None
        except (RuntimeError, NotImplementedError) as exc:
            # zipfile: an encrypted member, or a compression method it does not read
            raise FileRefused(
                f"The zip file cannot be read: {exc}. Zip it again without "
                "a password, or upload the CSV file itself."
            ) from None
        stream = io.BufferedReader(_Counting(inner, max_bytes, fmt), buffer_size=SAMPLE)
        yield OpenedFile(stream, raw, size)


def read_sample(opened: OpenedFile) -> tuple[bytes, bool]:
    """The first bytes of the content, and whether they are all of it."""
    sample = opened.stream.read(SAMPLE)
    return sample, len(sample) < SAMPLE


def check_text(sample: bytes) -> None:
    """Refuse what is plainly not a text file (unless it is UTF-16, which has NUL bytes)."""
    for magic, what in KNOWN_BINARIES:
        if sample.startswith(magic):
            raise FileRefused(f"This is {what}, not a CSV file.")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    controls = sum(sample.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > len(sample) // 100:
        raise FileRefused(
            "This is not a text file (it holds binary data); upload the member list as CSV "
            "(UTF-16 files need a byte-order mark)."
        )


def sniff_encoding(sample: bytes, complete: bool) -> tuple[str, bool]:
    """(encoding, certain): a byte-order mark is certain; valid UTF-8 is provisionally
    UTF-8 (the full read confirms it); anything else is read as Windows-1252, unsure."""
    for bom, name in BOMS:
        if sample.startswith(bom):
            return name, True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        return "windows-1252", False
    return "utf-8", False


def normalize_encoding(name: str | None) -> str | None:
    """A user's encoding choice as a codec name; refused when it is not one we read."""
    if name is None or not name.strip():
        return None
    key = name.strip().lower().replace("_", "-")
    if key not in ENCODING_NAMES:
        choices = ", ".join(sorted(set(ENCODING_NAMES.values())))
        raise BadRequest(f"encoding '{name}' is not supported; choose one of {choices}.")
    return ENCODING_NAMES[key]


def codec_for(encoding: str) -> tuple[str, str]:
    """(Python codec, error handling) to read `encoding` with.

    UTF-8 is read with the -sig codec so a byte-order mark is dropped rather than glued to the
    first column's name. Windows-1252 leaves five bytes undefined; they become U+FFFD instead
    of failing the import, as the guess was unsure anyway.
    """
    if encoding == "utf-8":
        return "utf-8-sig", "strict"
    if encoding == "windows-1252":
        return "cp1252", "replace"
    return encoding, "strict"


def text_stream(opened: OpenedFile, encoding: str) -> io.TextIOWrapper:
    """The content as text with its line ends kept as they are, for the csv module."""
    codec, errors = codec_for(encoding)
    return io.TextIOWrapper(opened.stream, encoding=codec, errors=errors, newline="")


def copy_out(name: str, target: Path) -> None:
    """Copy a stored upload to `target` (as it was uploaded, compressed or not)."""
    with open(file_path(name), "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, CHUNK)
