"""Sheet extents read from the file itself, before the spreadsheet engine builds a grid.

python-calamine builds every sheet as a dense grid spanning its used range (and
``to_python(skip_empty_area=False)`` pads it to ``A1``). One cell at ``XFD1048576``
in a 16 KB ``.xlsx`` therefore asks for a 1,048,576 x 16,384 grid and the Rust
allocator aborts the interpreter, which no ``try`` can catch. This module finds
the extent of each sheet from the raw file (the cell references of an ``.xlsx``
sheet's XML; the cell records of an ``.xls`` BIFF8 sheet stream) so that
:mod:`overdose_trends.io._workbook` can refuse a sheet over its cap first.

Every function returns ``None`` when it cannot tell (an unusual or damaged
container); the engine then reads the file and its own errors are caught.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

#: Largest sheet (rows x columns, counted from A1) the readers will build: 2**24 cells,
#: the size of a full legacy ``.xls`` sheet (65,536 rows x 256 columns), about 0.5 GB in
#: the engine's dense grid. Published ONS tables use well under 100,000 cells per sheet.
MAX_SHEET_CELLS = 2**24

_CELL_REF = re.compile(rb'\br="([A-Z]{1,4})(\d{1,9})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d{1,9})"')
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


_CHUNK = 1 << 22  # read sheet XML 4 MiB at a time
_OVERLAP = 512  # bytes carried into the next chunk so that no reference is cut in two
_LAST_ROW = re.compile(rb'<row r="(\d{1,9})"')
_TWO_LETTERS = re.compile(rb'\br="[A-Z]{2}\d')


def _chunks(open_part) -> Iterator[bytes]:
    with open_part() as fh:
        tail = b""
        while chunk := fh.read(_CHUNK):
            yield tail + chunk
            tail = chunk[-_OVERLAP:]


def _exact(open_part) -> tuple[int, int]:
    rows = cols = 0
    for text in _chunks(open_part):
        row_refs = set(_ROW_REF.findall(text))
        if row_refs:
            rows = max(rows, max(int(r) for r in row_refs))
        refs = set(_CELL_REF.findall(text))
        if refs:
            rows = max(rows, max(int(r) for _, r in refs))
            cols = max(cols, max(_col_number(c) for c in {c for c, _ in refs}))
    return rows, cols


def _xml_extent(open_part) -> tuple[int, int]:
    """Rows and columns of one sheet's XML (``open_part()`` opens it), read in chunks.

    A cheap upper bound first: rows below the next power of ten of the last row
    element's number, columns up to 26 or 702 by the longest column letters. A cell
    reference outside that bound (more row digits, three or more letters), or a bound
    over :data:`MAX_SHEET_CELLS`, sends the sheet to an exact count of every reference.
    """
    last_row, two_letters = 0, False
    for text in _chunks(open_part):
        at = text.rfind(b"<row ")
        found = _LAST_ROW.match(text, at) if at >= 0 else None
        if found:
            last_row = max(last_row, int(found.group(1)))
        digits = len(str(last_row))
        outside = re.compile(rb'\br="(?:[A-Z]{3,4}\d|[A-Z]{1,2}\d{%d,}")' % (digits + 1))
        if outside.search(text):
            return _exact(open_part)
        two_letters = two_letters or _TWO_LETTERS.search(text) is not None
    rows, cols = 10 ** len(str(last_row)) - 1, 702 if two_letters else 26
    if rows * cols > MAX_SHEET_CELLS:
        return _exact(open_part)
    return rows, cols


def xlsx_extents(data: bytes) -> dict[str, tuple[int, int]] | None:
    """``{sheet name: (rows, columns)}`` counted from A1, from each sheet's cell references.

    Counted from the cell references themselves (not the ``<dimension>`` element,
    which a damaged or hand-made file may omit or get wrong).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            targets = {r.get("Id"): r.get("Target", "") for r in rels}
            out: dict[str, tuple[int, int]] = {}
            for sheet in book.iter():
                if not sheet.tag.endswith("}sheet"):
                    continue
                target = targets.get(sheet.get(_NS_REL), "")
                part = target.lstrip("/") if target.startswith("/") else "xl/" + target
                if part not in zf.namelist():
                    continue
                rows, cols = _xml_extent(lambda part=part: zf.open(part))
                out[sheet.get("name", "")] = (rows, cols)
            return out
    except Exception:
        return None


# --- legacy .xls: OLE2 compound file, BIFF8 records ----------------------------------

_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_CELL_RECORDS = frozenset(
    {0x0201, 0x0203, 0x0204, 0x0205, 0x0006, 0x027E, 0x00FD, 0x00BD, 0x00BE, 0x00D6}
)


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """The bytes of the first stream called one of ``names`` in an OLE2 compound file."""
    if len(data) < 512:
        return None
    sector = 1 << struct.unpack_from("<H", data, 30)[0]
    mini_sector = 1 << struct.unpack_from("<H", data, 32)[0]
    n_fat, dir_start = struct.unpack_from("<II", data, 44)
    mini_cutoff, mini_fat_start, _, difat_start, n_difat = struct.unpack_from("<IIIII", data, 56)
    if sector not in (512, 4096) or n_fat > len(data) // sector + 1:
        return None

    def at(sid: int) -> int:
        return 512 + sid * sector if sector == 512 else sector * (sid + 1)

    fat_sids = list(struct.unpack_from("<109I", data, 76))
    sid, guard = difat_start, 0
    while sid not in (_FREE, _END) and guard < n_difat + 1 and at(sid) + sector <= len(data):
        block = struct.unpack_from(f"<{sector // 4}I", data, at(sid))
        fat_sids.extend(block[:-1])
        sid, guard = block[-1], guard + 1
    fat: list[int] = []
    for s in fat_sids[:n_fat]:
        if at(s) + sector > len(data):
            return None
        fat.extend(struct.unpack_from(f"<{sector // 4}I", data, at(s)))

    def chain(start: int, limit: int) -> bytes:
        parts, sid, seen = [], start, 0
        while sid < len(fat) and seen <= limit:
            parts.append(data[at(sid) : at(sid) + sector])
            sid, seen = fat[sid], seen + 1
        return b"".join(parts)

    directory = chain(dir_start, len(fat))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        name_len = struct.unpack_from("<H", directory, off + 64)[0]
        name = directory[off : off + max(name_len - 2, 0)].decode("utf-16-le", "replace")
        start, size = struct.unpack_from("<II", directory, off + 116)
        entries.append((name, directory[off + 66], start, size))
    root = next((e for e in entries if e[1] == 5), None)
    for name, kind, start, size in entries:
        if kind != 2 or name not in names:
            continue
        if size >= mini_cutoff or root is None:
            return chain(start, size // sector + 1)[:size]
        mini = chain(root[2], root[3] // sector + 1)
        mini_fat_bytes = chain(mini_fat_start, len(fat))
        mini_fat = struct.unpack_from(f"<{len(mini_fat_bytes) // 4}I", mini_fat_bytes)
        parts, sid, seen = [], start, 0
        while sid < len(mini_fat) and seen <= size // mini_sector + 1:
            parts.append(mini[sid * mini_sector : (sid + 1) * mini_sector])
            sid, seen = mini_fat[sid], seen + 1
        return b"".join(parts)[:size]
    return None


def xls_extents(data: bytes) -> dict[str, tuple[int, int]] | None:
    """``{sheet name: (rows, columns)}`` counted from A1, from the BIFF8 records.

    Every record of each sheet substream is visited (one ``struct`` call per record):
    the extent is the larger of the DIMENSIONS record and the furthest cell record,
    because a damaged stream can hold a "cell" far outside the declared range, for
    which the engine would allocate tens of gigabytes.
    """
    try:
        stream = _ole_stream(data, ("Workbook", "Book"))
        if stream is None:
            return None
        sheets: list[tuple[str, int]] = []
        pos, n = 0, len(stream)
        unpack = struct.unpack_from
        while pos + 4 <= n:  # globals substream: BOUNDSHEET records name the sheets
            rtype, size = unpack("<HH", stream, pos)
            if rtype == 0x0085 and size >= 8:
                offset = unpack("<I", stream, pos + 4)[0]
                length, flags = stream[pos + 10], stream[pos + 11]
                raw = stream[pos + 12 : pos + 12 + length * (2 if flags & 1 else 1)]
                name = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
                sheets.append((name, offset))
            if rtype == 0x000A:
                break
            pos += 4 + size
        return {name: _biff_sheet_extent(stream, start) for name, start in sheets}
    except Exception:
        return None


def _biff_sheet_extent(stream: bytes, start: int) -> tuple[int, int]:
    """Rows and columns of one sheet substream: DIMENSIONS and the furthest cell record."""
    header = struct.Struct("<HHHH").unpack_from
    last_col = struct.Struct("<H").unpack_from
    cells = _CELL_RECORDS
    rows = cols = 0
    pos, last, n = start, len(stream) - 8, len(stream)
    while 0 <= pos <= last:
        rtype, size, r, c = header(stream, pos)
        if rtype in cells:
            if (rtype == 0x00BD or rtype == 0x00BE) and pos + 2 + size <= n:
                c = max(c, last_col(stream, pos + 2 + size)[0])  # MULRK/MULBLANK: last column
            if r >= rows:
                rows = r + 1
            if c >= cols:
                cols = c + 1
        elif rtype == 0x0200 and size >= 14:  # DIMENSIONS: last row + 1 (u32), last col + 1
            rows = max(rows, struct.unpack_from("<I", stream, pos + 8)[0])
            cols = max(cols, last_col(stream, pos + 14)[0])
        elif rtype == 0x000A:  # EOF of the sheet substream
            break
        pos += 4 + size
    return rows, cols
