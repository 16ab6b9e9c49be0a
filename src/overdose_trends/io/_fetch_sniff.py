"""Content checks on a finished download, before it may enter the cache.

:func:`problem` looks at the bytes of a downloaded file and says what is wrong
with it, or returns ``None``. It catches the two failures a checksum-less
download cannot otherwise see: an HTML page (a login, error or "moved" page
served with status 200) saved under a data file's name, and a workbook cut
short (a dropped connection on a server that sent no length).

Workbooks (``.xls``, ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.ods``) must be either
a ZIP container (Office Open XML / OpenDocument) whose central directory and
member checksums are intact, or an OLE2 compound file (BIFF ``.xls``) whose
allocation table points only at sectors inside the file. The format is taken
from the content, not the name, so an ``.xls`` that is really an ``.xlsx`` is
accepted.

References
----------
Microsoft, "[MS-CFB]: Compound File Binary File Format", sections 2.2 (header)
and 2.3 (FAT). PKWARE, "APPNOTE.TXT - .ZIP File Format Specification", 4.3.16
(end of central directory record).
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

#: File name extensions of spreadsheet workbooks.
WORKBOOK_EXTENSIONS = frozenset({".xls", ".xlsx", ".xlsm", ".xlsb", ".ods"})
#: Extensions whose content may legitimately be HTML.
HTML_EXTENSIONS = frozenset({".html", ".htm", ".xhtml"})

_CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ZIP_MAGIC = b"PK\x03\x04"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title", b"<meta")
_MAX_SECTOR = 0xFFFFFFFA  # sector numbers at or above this are special markers
_FREE = 0xFFFFFFFF


def kind(name: str) -> str:
    """``"workbook"``, ``"zip"``, ``"html"`` or ``"other"``, from a file name's extension."""
    ext = Path(name).suffix.lower()
    if ext in WORKBOOK_EXTENSIONS:
        return "workbook"
    if ext == ".zip":
        return "zip"
    if ext in HTML_EXTENSIONS:
        return "html"
    return "other"


def looks_like_html(head: bytes) -> bool:
    """True when the first bytes of a file are an HTML document."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(_HTML_STARTS):
        return True
    return text.startswith((b"<?xml", b"<!--")) and b"<html" in text[:2048]


def problem(path: Path, name: str, content_type: str | None) -> str | None:
    """What is wrong with downloaded file ``path`` (to be cached as ``name``), or None."""
    expected = kind(name)
    if expected == "html":
        return None
    with open(path, "rb") as fh:
        head = fh.read(4096)
    html_type = (content_type or "").split(";")[0].strip().lower() == "text/html"
    has_magic = head.startswith((_CFB_MAGIC, _ZIP_MAGIC))
    if looks_like_html(head) or (html_type and not (expected != "other" and has_magic)):
        return (
            "the server sent an HTML page (Content-Type "
            f"{content_type or 'not given'}), not the {Path(name).suffix or 'data'} file "
            "expected: probably an error, login or 'page moved' page"
        )
    if expected == "workbook":
        if head.startswith(_CFB_MAGIC):
            return _cfb_problem(path)
        if head.startswith(_ZIP_MAGIC):
            return _zip_problem(path, workbook=True)
        return (
            "not a spreadsheet workbook: it starts with neither the .xls (OLE2 "
            "D0 CF 11 E0) nor the .xlsx (ZIP 'PK') signature"
        )
    if expected == "zip":
        return (
            _zip_problem(path, workbook=False)
            if head.startswith(_ZIP_MAGIC)
            else ("not a ZIP archive (no 'PK' signature)")
        )
    return None


def can_verify(name: str) -> bool:
    """True when :func:`problem` can tell a complete file of this name from a cut one."""
    return kind(name) in ("workbook", "zip")


def _zip_problem(path: Path, *, workbook: bool) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
        return f"incomplete or damaged ZIP/.xlsx container ({err})"
    if bad is not None:
        return f"damaged ZIP/.xlsx container (member {bad!r} fails its CRC check)"
    if workbook and not ({"[Content_Types].xml", "mimetype"} & names):
        return "a ZIP archive but not a workbook (no [Content_Types].xml)"
    return None


def _cfb_problem(path: Path) -> str | None:
    """Check an OLE2 compound file's header and allocation table against its size."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        header = fh.read(512)
        if len(header) < 512:
            return "truncated .xls (OLE2) file: shorter than its 512-byte header"
        shift = struct.unpack_from("<H", header, 30)[0]
        if shift not in (9, 12):
            return f"damaged .xls (OLE2) header: sector shift {shift} (expected 9 or 12)"
        sector = 1 << shift
        n_sectors = max(0, (size - sector) // sector)  # whole sectors only (MS-CFB 2.2)
        (first_dir,) = struct.unpack_from("<I", header, 48)
        first_difat, n_difat = struct.unpack_from("<II", header, 68)
        fat_sectors = [s for s in struct.unpack_from("<109I", header, 76) if s < _MAX_SECTOR]
        seen = 0
        while first_difat < _MAX_SECTOR and seen < n_difat:
            entries = _sector(fh, first_difat, sector, n_sectors)
            if entries is None:
                return "truncated .xls (OLE2) file: its sector table lies past the end"
            fat_sectors += [s for s in entries[:-1] if s < _MAX_SECTOR]
            first_difat = entries[-1]
            seen += 1
        if first_dir >= n_sectors:
            return "truncated .xls (OLE2) file: its directory lies past the end"
        last_used = -1
        for index, fat in enumerate(fat_sectors):
            entries = _sector(fh, fat, sector, n_sectors)
            if entries is None:
                return "truncated .xls (OLE2) file: its allocation table lies past the end"
            used = [i for i, value in enumerate(entries) if value != _FREE]
            if used:
                last_used = max(last_used, index * (sector // 4) + used[-1])
    if last_used >= n_sectors:
        return (
            f"truncated .xls (OLE2) file: {size:,} bytes, but its allocation table "
            f"uses sector {last_used} (the file holds only {n_sectors} whole sectors)"
        )
    return None


def _sector(fh: BinaryIO, sector_id: int, sector: int, n_sectors: int) -> tuple[int, ...] | None:
    """The 32-bit entries of sector ``sector_id``, or None if it lies past the end."""
    if sector_id >= n_sectors:
        return None
    fh.seek((sector_id + 1) * sector)  # sector 0 follows the header (MS-CFB 2.2)
    block = fh.read(sector)
    if len(block) < sector:
        return None
    return struct.unpack(f"<{sector // 4}I", block)
