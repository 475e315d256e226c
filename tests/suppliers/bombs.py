"""Hostile workbooks, built in the test: archives that unpack to far more than they weigh."""

import io
import struct
import zipfile

from .import_files import FIELDS, xlsx_bytes

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def header_row():
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(FIELDS)
    )
    return f'<row r="1">{cells}</row>'.encode()


def workbook(sheet_chunks, *, extra_entries=0, replace=None):
    """A real workbook whose first sheet's XML is ``sheet_chunks`` (bytes, streamed into the
    archive), with ``extra_entries`` empty files beside it and parts in ``replace`` swapped."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes([], FIELDS)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in base.infolist():
            if info.filename == SHEET:
                with archive.open(SHEET, "w") as sheet:
                    for chunk in sheet_chunks:
                        sheet.write(chunk)
            elif replace and info.filename in replace:
                archive.writestr(info.filename, replace[info.filename])
            else:
                archive.writestr(info, base.read(info.filename))
        for number in range(extra_entries):
            archive.writestr(f"customXml/item{number}.xml", b"")
    return out.getvalue()


def sheet(rows_xml, *, dimension="A1:I1"):
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode()
    yield f'<dimension ref="{dimension}"/><sheetData>'.encode()
    yield header_row()
    yield from rows_xml
    yield b"</sheetData></worksheet>"


def repeated_rows(rows, cells_per_row, *, first=2):
    row = b"<c><v>1</v></c>" * cells_per_row
    for number in range(first, first + rows):
        yield b'<row r="%d">' % number + row + b"</row>"


def zip_bomb(*, rows=20_000, cells_per_row=1_000):
    """About 300 MB of sheet XML (20,000 rows of 1,000 cells) packed into about 650 KiB."""
    return workbook(sheet(repeated_rows(rows, cells_per_row)))


def unpacked_size(content, name=SHEET):
    return zipfile.ZipFile(io.BytesIO(content)).getinfo(name).file_size


def lie_about_size(content, name=SHEET, *, declared=1_000):
    """The same archive whose directory and local header say ``name`` unpacks to
    ``declared`` bytes: what a bomb does to pass a check that trusts the header."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(name)
    struct.pack_into("<L", data, info.header_offset + 22, declared)
    end = data.rfind(b"PK\x05\x06")
    (directory,) = struct.unpack_from("<L", data, end + 16)
    position = directory
    while data[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        if data[position + 46 : position + 46 + name_length].decode() == name:
            struct.pack_into("<L", data, position + 24, declared)
        position += 46 + name_length + extra_length + comment_length
    return bytes(data)
