"""What a product-list upload may hold, checked before anything parses it.

An XLSX workbook is a ZIP archive of XML files, and deflate packs repeated XML about 1000:1:
a few hundred KiB upload can unpack to gigabytes that a parser would hold or walk for
minutes. So before openpyxl (or our own sheet reader) sees a workbook, ``check_xlsx_archive``
reads the archive's own bookkeeping and then inflates every file in bounded pieces,
counting what comes out; the directory's sizes are compared, never trusted. The limits are
settings (``roadmap_portal/settings.py``, README "Configuration"):

* ``IMPORT_XLSX_MAX_ENTRIES``: files inside the archive (from the end record, before the
  directory is read, and again after);
* ``IMPORT_XLSX_MAX_UNPACKED_BYTES``: all files unpacked, declared and actually inflated;
* ``IMPORT_XLSX_MAX_PART_BYTES``: any one part other than worksheets and shared strings
  (openpyxl reads those parts whole);
* ``IMPORT_XLSX_MAX_RATIO``: unpacked over packed size of one file, declared and while
  inflating, once a file passes ``RATIO_GRACE_BYTES``.

The sheet itself (``IMPORT_MAX_SHEET_ROWS``, ``IMPORT_MAX_COLUMNS``, the ``<dimension>``
record) is checked while it is streamed, in ``suppliers.importing``; the helpers for those
messages are here too. Every refusal is an ``UploadRefused`` whose message names the limit.
"""

import io
import re
import struct
import zipfile
import zlib

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MIB = 1024 * 1024
# Tiny parts (a few hundred bytes of XML) pack unevenly; their ratio says nothing.
RATIO_GRACE_BYTES = 100 * 1024
# Inflate in pieces of this many bytes: memory stays bounded whatever a file claims.
CHUNK = 64 * 1024
# Parts that may be as large as the whole archive allows; every other part is read whole
# by openpyxl and has ``IMPORT_XLSX_MAX_PART_BYTES``.
_LARGE_PART = re.compile(r"^xl/(worksheets/[^/]+\.xml|sharedStrings\.xml)$", re.IGNORECASE)
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
_LOCAL_HEADER = b"PK\x03\x04"
# A directory record is 46 bytes and a name; a workbook's names are short.
_DIRECTORY_BYTES_PER_ENTRY = 1024


class UploadRefused(Exception):
    """The upload is not read: ``message`` says which limit it passes."""

    def __init__(self, message):
        self.message = message
        super().__init__(message)


def megabytes(size):
    return f"{size / MIB:.0f}" if size >= MIB else f"{size / MIB:.2f}"


def _too_many_entries(count):
    limit = settings.IMPORT_XLSX_MAX_ENTRIES
    return UploadRefused(
        _(
            "The workbook holds %(count)d files inside; the limit is %(limit)d. "
            "An Excel product list holds about a dozen: save it again as a new .xlsx "
            "with only the product sheet."
        )
        % {"count": count, "limit": limit}
    )


def _too_big_unpacked():
    return UploadRefused(
        _(
            "The workbook unpacks to more than %(limit)s MB; the limit is %(limit)s MB "
            "unpacked. It is not an ordinary product list: split it or save it again from "
            "Excel with only the product sheet."
        )
        % {"limit": megabytes(settings.IMPORT_XLSX_MAX_UNPACKED_BYTES)}
    )


def _part_too_big(name):
    return UploadRefused(
        _(
            "The part %(name)s of the workbook unpacks to more than %(limit)s MB; the limit "
            "for it is %(limit)s MB. Save the product list again as a new .xlsx."
        )
        % {"name": name, "limit": megabytes(settings.IMPORT_XLSX_MAX_PART_BYTES)}
    )


def _ratio_too_high(name):
    return UploadRefused(
        _(
            "The part %(name)s of the workbook is packed more than %(limit)d times over "
            "(the limit is %(limit)d:1): it is an archive bomb, not a product list, and "
            "was not read."
        )
        % {"name": name, "limit": settings.IMPORT_XLSX_MAX_RATIO}
    )


def _damaged():
    return UploadRefused(_("The Excel workbook is damaged and cannot be read."))


def too_many_rows(count_or_row):
    limit = settings.IMPORT_MAX_SHEET_ROWS
    return UploadRefused(
        ngettext(
            "The sheet reaches row %(row)d; the limit is %(limit)d row, blank ones included. "
            "Delete the rows below your products (select them, right-click → Delete) and "
            "upload the file again.",
            "The sheet reaches row %(row)d; the limit is %(limit)d rows, blank ones included. "
            "Delete the rows below your products (select them, right-click → Delete) and "
            "upload the file again.",
            limit,
        )
        % {"row": count_or_row, "limit": limit}
    )


def too_many_columns(count, *, row):
    limit = settings.IMPORT_MAX_COLUMNS
    return UploadRefused(
        ngettext(
            "Row %(row)d reaches column %(count)d; the limit is %(limit)d column. Delete the "
            "columns to the right of the product list and upload the file again.",
            "Row %(row)d reaches column %(count)d; the limit is %(limit)d columns. Delete the "
            "columns to the right of the product list and upload the file again.",
            limit,
        )
        % {"row": row, "count": count, "limit": limit}
    )


def dimension_too_large(ref, *, rows, columns):
    return UploadRefused(
        _(
            "The sheet's used range is %(ref)s: %(rows)d rows and %(columns)d columns; the "
            "limits are %(max_rows)d rows and %(max_columns)d columns. Delete the rows and "
            "columns beyond your products and upload the file again."
        )
        % {
            "ref": ref,
            "rows": rows,
            "columns": columns,
            "max_rows": settings.IMPORT_MAX_SHEET_ROWS,
            "max_columns": settings.IMPORT_MAX_COLUMNS,
        }
    )


def too_much_in_a_row(row):
    return UploadRefused(
        _(
            "Row %(row)d holds more formatting and parts than %(limit)d columns of a product "
            "list can: paste the values without formatting and upload the file again."
        )
        % {"row": row, "limit": settings.IMPORT_MAX_COLUMNS}
    )


def too_many_shared_strings(limit):
    return UploadRefused(
        _(
            "The workbook's text table holds more than %(limit)d texts, more than %(rows)d "
            "rows of %(columns)d columns can use; the limit is %(limit)d."
        )
        % {
            "limit": limit,
            "rows": settings.IMPORT_MAX_SHEET_ROWS,
            "columns": settings.IMPORT_MAX_COLUMNS,
        }
    )


def max_shared_strings():
    """Distinct texts a workbook may list: one per cell the sheet may have."""
    return settings.IMPORT_MAX_SHEET_ROWS * settings.IMPORT_MAX_COLUMNS


# --- the archive ------------------------------------------------------------------------


def _declared_entries(content):
    """(entries, directory size) from the end-of-directory record, or None without one."""
    start = content.rfind(_END_OF_DIRECTORY, max(0, len(content) - 22 - 65535))
    if start < 0 or len(content) < start + 22:
        return None
    _disk, _cd_disk, _here, entries, directory, _offset, _comment = struct.unpack(
        "<HHHHLLH", content[start + 4 : start + 22]
    )
    locator = start - 20
    if locator >= 0 and content[locator : locator + 4] == _ZIP64_LOCATOR:
        (end64,) = struct.unpack("<Q", content[locator + 8 : locator + 16])
        if content[end64 : end64 + 4] == _ZIP64_END and len(content) >= end64 + 56:
            entries, directory = struct.unpack("<QQ", content[end64 + 32 : end64 + 48])
    return entries, directory


def check_xlsx_archive(content):
    """Refuse (``UploadRefused``) a workbook archive past any limit; read nothing else.

    Bounded work: the end record is read first, the directory only when it is small
    enough, and each file is inflated in ``CHUNK`` pieces that are counted and dropped, so
    a bomb stops at the first piece past a limit.
    """
    max_entries = settings.IMPORT_XLSX_MAX_ENTRIES
    declared = _declared_entries(content)
    if declared is not None:
        entries, directory = declared
        if entries > max_entries or directory > max_entries * _DIRECTORY_BYTES_PER_ENTRY:
            raise _too_many_entries(max(entries, directory // _DIRECTORY_BYTES_PER_ENTRY))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return  # not a readable archive: the caller says what the file is instead
    if len(infos) > max_entries:
        raise _too_many_entries(len(infos))

    max_total = settings.IMPORT_XLSX_MAX_UNPACKED_BYTES
    if sum(info.file_size for info in infos) > max_total:
        raise _too_big_unpacked()
    for info in infos:
        _check_declared(info)
    total = 0
    for info in infos:
        total += _inflated_size(content, info, budget=max_total - total)


def _part_limit(info):
    if _LARGE_PART.match(info.filename):
        return settings.IMPORT_XLSX_MAX_UNPACKED_BYTES
    return settings.IMPORT_XLSX_MAX_PART_BYTES


def _over_ratio(size, packed):
    return size > RATIO_GRACE_BYTES and size > settings.IMPORT_XLSX_MAX_RATIO * max(packed, 1)


def _check_declared(info):
    if info.flag_bits & 0x1:
        raise UploadRefused(
            _("The workbook is password-protected: remove the password and upload it again.")
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise UploadRefused(
            _(
                "The part %(name)s of the workbook is packed in a way Excel does not use: "
                "save the product list again from Excel."
            )
            % {"name": info.filename}
        )
    if info.file_size > _part_limit(info):
        raise _part_too_big(info.filename)
    if _over_ratio(info.file_size, info.compress_size):
        raise _ratio_too_high(info.filename)


def _inflated_size(content, info, *, budget):
    """What ``info``'s data really inflates to, counted piece by piece against the limits."""
    header = info.header_offset
    if content[header : header + 4] != _LOCAL_HEADER or len(content) < header + 30:
        raise _damaged()
    name_length, extra_length = struct.unpack("<HH", content[header + 26 : header + 30])
    start = header + 30 + name_length + extra_length
    packed = memoryview(content)[start : start + info.compress_size]
    limit = min(_part_limit(info), budget)
    if info.compress_type == zipfile.ZIP_STORED:
        size = len(packed)
        if size > limit:
            raise _too_big_unpacked() if limit == budget else _part_too_big(info.filename)
        return size
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    try:
        for offset in range(0, len(packed), CHUNK):
            pending = packed[offset : offset + CHUNK]
            while pending:
                size += len(inflater.decompress(pending, CHUNK))
                pending = inflater.unconsumed_tail
                if size > limit:
                    raise _too_big_unpacked() if limit == budget else _part_too_big(info.filename)
                if _over_ratio(size, len(packed)):
                    raise _ratio_too_high(info.filename)
            if inflater.eof:
                break
        size += len(inflater.flush(CHUNK))
    except zlib.error as exc:
        raise _damaged() from exc
    if size > limit:
        raise _too_big_unpacked() if limit == budget else _part_too_big(info.filename)
    if size != info.file_size:
        raise UploadRefused(
            _(
                "The part %(name)s of the workbook unpacks to %(actual)d bytes but its archive "
                "says %(declared)d: the workbook is damaged or crafted and was not read."
            )
            % {"name": info.filename, "actual": size, "declared": info.file_size}
        )
    return size
