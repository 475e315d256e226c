"""Product-list import: read a supplier's XLSX or CSV file, check every row, create all or none.

A file goes through three steps. ``read_table`` turns the bytes into a header row and data
rows, refusing what is not a spreadsheet and reporting cells that cannot be trusted
(formulas, merged cells, numbers stored as text, codes Excel turned into dates).
``offers_import_check`` maps the headers onto offer fields, cleans every cell and runs the
same field validation as ``suppliers.services.offer_create``; it saves nothing and is what
a preview (dry run) shows. ``offers_import`` repeats the check (or takes the rows of the
user's preview of the very same file) and creates every offer as a draft of the user's
supplier in one transaction, or raises ``ImportFailed`` and creates none.

Errors are dicts ``{"row", "column", "field", "message"}``: ``row`` counts the header as
row 1 (``None`` for the file as a whole), ``column`` is the spreadsheet letter.
"""

import codecs
import csv
import datetime
import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from typing import NamedTuple
from xml.etree import ElementTree

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.worksheet.datavalidation import DataValidation

from roadmap_portal.db.copy import copy_insert
from roadmap_portal.exports import csv_line, xlsx_cell, xlsx_row
from roadmap_portal.input_limits import nul_message
from roadmap_portal.okpd2 import classes as okpd2_classes
from roadmap_portal.scope import require, scope_of
from roadmap_portal.selectors import roadmaps_visible_to

from . import import_limits
from .choices import OfferStatus
from .import_limits import UploadRefused
from .models import Offer, Supplier
from .services import offer_supplier, roadmap_takes_offers

logger = logging.getLogger(__name__)

TEXT, OKPD2, BOOLEAN, DECIMAL = "text", "okpd2", "boolean", "decimal"
CENT = Decimal("0.01")
# Past this many errors the rest are summarised: nobody reads ten thousand messages.
MAX_LISTED_ERRORS = 1000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Column:
    field: str
    label: str  # the Russian header of the template; a file may use it or ``field``
    kind: str
    required: bool
    help: str
    example: str
    aliases: tuple = ()


COLUMNS = (
    Column(
        "name",
        "Наименование",
        TEXT,
        True,
        gettext_lazy("Product name, up to 300 characters."),
        "Электродвигатель асинхронный АИР80",
        ("наименование продукции", "наименование товара", "название", "product name"),
    ),
    Column(
        "description",
        "Описание",
        TEXT,
        False,
        gettext_lazy("Description: purpose, main characteristics."),
        "Мощность 1,5 кВт, 3000 об/мин, IP55",
    ),
    Column(
        "okpd2",
        "Код ОКПД2",
        OKPD2,
        True,
        gettext_lazy(
            "OKPD2 code NN, NN.NN, NN.NN.N, NN.NN.NN or NN.NN.NN.NNN; keep the column as text."
        ),
        "27.11.22.000",
        ("окпд2", "окпд 2", "код окпд 2", "okpd2 code", "okpd 2"),
    ),
    Column(
        "import_substitution",
        "Импортозамещение",
        BOOLEAN,
        False,
        gettext_lazy("Import substitute: да/нет, yes/no, 1/0, true/false; empty means no."),
        "да",
        ("импортозамещающая продукция", "импортозамещение (да/нет)"),
    ),
    Column(
        "replaces",
        "Заменяемый импортный аналог",
        TEXT,
        False,
        gettext_lazy("The imported product it replaces, up to 300 characters."),
        "Siemens 1LE1",
        ("импортный аналог", "аналог", "replaces imported analog"),
    ),
    Column(
        "gisp_number",
        "Номер в реестре ГИСП",
        TEXT,
        False,
        gettext_lazy(
            "Number of the product's entry in the GISP register of Russian industrial products."
        ),
        "10123456",
        ("номер гисп", "реестровый номер гисп", "гисп", "gisp register number", "gisp"),
    ),
    Column(
        "capacity_per_year",
        "Мощность в год",
        DECIMAL,
        False,
        gettext_lazy("Production capacity per year, a number of units, 0 or more."),
        "1200",
        (
            "производственная мощность в год",
            "производственная мощность",
            "production capacity per year",
            "capacity",
        ),
    ),
    Column(
        "unit",
        "Единица измерения",
        TEXT,
        False,
        gettext_lazy("Unit of the capacity and the price, up to 30 characters."),
        "шт",
        ("ед. изм.", "ед.изм.", "ед изм", "единица"),
    ),
    Column(
        "unit_price",
        "Цена за единицу, руб.",
        DECIMAL,
        False,
        gettext_lazy(
            "Indicative unit price in rubles, 0 or more, at most two decimals (1 234,50)."
        ),
        "18500,00",
        (
            "цена за единицу",
            "цена, руб.",
            "цена",
            "ориентировочная цена за единицу, руб.",
            "indicative unit price, rub",
            "price",
        ),
    ),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
FIELDS = tuple(c.field for c in COLUMNS)

TRUE_WORDS = frozenset({"да", "д", "yes", "y", "true", "истина", "1", "+", "x", "х"})
FALSE_WORDS = frozenset({"нет", "н", "no", "n", "false", "ложь", "0", "-"})
SPACES = re.compile(r"[\s\u00a0\u2007\u202f\u2009']+")
NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ImportFailed(Exception):
    """The file cannot be imported as it is; ``errors`` says what and where.

    ``check`` is the file's ``ImportCheck`` when the errors came from checking it.
    """

    def __init__(self, errors, *, check=None):
        self.errors = errors
        self.check = check
        super().__init__(f"{len(errors)} import error(s)")


def _error(message, *, row=None, column=None, field=None):
    return {"row": row, "column": column, "field": field, "message": str(message)}


def _file_error(message):
    return _error(message, field="file")


# --- reading a file ---------------------------------------------------------


@dataclass
class Table:
    """What a spreadsheet holds: header texts by column index and data rows by row number."""

    kind: str  # "xlsx" or "csv"
    header: dict  # column index (1-based) -> header text
    rows: list  # [(row number, {column index: (value, kind)})]
    errors: list = field(default_factory=list)


def read_table(*, content, filename=""):
    """The header and rows of an XLSX or CSV file; raises ImportFailed for what is not one."""
    if not content:
        raise ImportFailed([_file_error(_("The file is empty."))])
    limit = settings.MAX_UPLOAD_BYTES
    if len(content) > limit:
        raise ImportFailed(
            [
                _file_error(
                    _("The file is larger than %(size)d MB: split it into smaller files.")
                    % {"size": limit // (1024 * 1024)}
                )
            ]
        )
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    try:
        if content.startswith(b"PK\x03\x04"):
            # Before anything opens the archive: its sizes, ratios and entry count.
            import_limits.check_xlsx_archive(content)
        kind = _sniff(content)
        if extension and extension not in ACCEPTED_EXTENSIONS:
            raise ImportFailed([_file_error(_wrong_file_type(kind, extension, filename))])
        if kind == "xlsx":
            table = _read_xlsx(content)
        elif kind == "text" and extension not in ("xlsx", "xlsm", "xls"):
            table = _read_csv(content)
        else:
            raise ImportFailed([_file_error(_not_a_spreadsheet(kind, extension))])
    except UploadRefused as exc:
        raise ImportFailed([_file_error(exc.message)]) from exc
    if not table.header:
        raise ImportFailed(
            [
                _error(
                    _("Row 1 must hold the column headers, but it is empty."),
                    row=1,
                    field="file",
                )
            ]
        )
    if not table.rows and not table.errors:
        raise ImportFailed([_file_error(_("The file has headers but no product rows under them."))])
    return table


def _sniff(content):
    """What the bytes are, from their content (a file name can lie)."""
    head = content[:8]
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return "zip"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names and "mimetype" in names:
            return "ods"
        if any(name.startswith("word/") for name in names):
            return "docx"
        return "zip"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return "image"
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "text"
    if b"\x00" in content[:65536]:
        return "binary"
    return "text"


# What a product list may be named: a workbook (.xlsm is the same format with macros, which
# are never run) or CSV. A name the list cannot have (.txt, .pdf, .xls, ...) is refused before
# its content is read, so a text file is never taken for a CSV with wrong headers.
ACCEPTED_EXTENSIONS = ("xlsx", "xlsm", "csv")


def _wrong_file_type(kind, extension, filename):
    """What was received (by its content, and its name) and what is accepted."""
    received = {
        "pdf": _("a PDF document"),
        "image": _("an image"),
        "xls": _("an Excel 97-2003 workbook or another old Office document"),
        "ods": _("an OpenDocument spreadsheet"),
        "docx": _("a Word document"),
        "zip": _("a ZIP archive"),
        "xlsx": _("an Excel workbook with a wrong name"),
        "text": _("a text file"),
    }.get(kind, _("a file of unknown type"))
    return _(
        "The file “%(name)s” is %(received)s (.%(extension)s). The product list is "
        "accepted as .xlsx or .csv: save it in one of these formats and upload it again."
    ) % {"name": filename.rsplit("/", 1)[-1], "received": received, "extension": extension}


def _not_a_spreadsheet(kind, extension):
    messages = {
        "pdf": _("The file is a PDF document, not a spreadsheet."),
        "image": _("The file is an image, not a spreadsheet."),
        "xls": _(
            "The file is an old Excel 97-2003 workbook (.xls) or another Office document: "
            "save it as .xlsx or CSV and upload it again."
        ),
        "ods": _(
            "OpenDocument spreadsheets (.ods) are not supported: save the file as .xlsx or CSV."
        ),
        "docx": _("The file is a Word document, not a spreadsheet."),
        "zip": _("The file is a ZIP archive, not an Excel workbook."),
    }
    if kind in messages:
        message = messages[kind]
    elif kind == "text":
        message = _("The file is named .%(extension)s but is text, not an Excel workbook.") % {
            "extension": extension
        }
    else:
        message = _("The file is not a spreadsheet.")
    return message + " " + _("Upload the product list as XLSX or CSV.")


def _row_limit_error():
    limit = settings.IMPORT_MAX_ROWS
    return _file_error(
        ngettext(
            "The file has more than %(limit)d product row; import at most %(limit)d at a time "
            "(split the file).",
            "The file has more than %(limit)d product rows; import at most %(limit)d at a time "
            "(split the file).",
            limit,
        )
        % {"limit": limit}
    )


def _is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _read_xlsx(content):
    """Read the first worksheet in one streaming pass over its XML.

    openpyxl (read-only) supplies what the sheet refers to: its path, the shared strings
    and which styles are dates. The cells themselves are read here, because openpyxl's
    cell objects cost several times more on ten thousand rows and its read-only sheet
    does not report merged ranges, which this pass collects on the way.
    """
    limit = settings.IMPORT_MAX_ROWS
    damaged = _file_error(_("The Excel workbook is damaged and cannot be read."))
    try:
        workbook = _open_workbook(content)
    except (ImportFailed, UploadRefused):
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ImportFailed([damaged]) from exc
    header, rows, errors, merged = {}, [], [], []
    try:
        with workbook.archive.open(workbook.sheet_path) as source:
            cells_by_row = _sheet_rows(
                source,
                shared_strings=workbook.shared_strings,
                date_styles=workbook.date_styles,
                epoch=workbook.epoch,
                merged=merged,
            )
            for number, values in cells_by_row:
                if number == 1:
                    header = {col: str(value) for col, (value, _t) in values.items()}
                    continue
                rows.append((number, values))
                if len(rows) > limit:
                    raise ImportFailed([_row_limit_error()])
    except (ImportFailed, UploadRefused):
        raise
    except Exception as exc:
        raise ImportFailed([damaged]) from exc
    finally:
        workbook.archive.close()
    for ref in merged:
        min_col, min_row, _max_col, _max_row = range_boundaries(ref)
        errors.append(
            _error(
                _(
                    "Cells %(range)s are merged: unmerge them and fill in every row "
                    "and column (Home → Merge & Center → Unmerge Cells)."
                )
                % {"range": ref},
                row=min_row,
                column=get_column_letter(min_col),
            )
        )
    return Table(kind="xlsx", header=header, rows=rows, errors=errors)


@dataclass
class _Workbook:
    archive: zipfile.ZipFile
    sheet_path: str
    shared_strings: list
    date_styles: set
    epoch: datetime.datetime


def _open_workbook(content):
    """What the first worksheet refers to, without reading any worksheet.

    ``load_workbook(read_only=True)`` would scan every sheet once just to size it when
    the file has no dimension record (as many generators write them).
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(content), read_only=True, keep_links=False)
    try:
        reader.read_manifest()
        reader.shared_strings = _shared_strings(reader)
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        paths = [
            rel.target
            for _sheet, rel in reader.parser.find_sheets()
            if "worksheet" in rel.Type and rel.target in reader.valid_files
        ]
    except Exception:
        reader.archive.close()
        raise
    if not paths:
        reader.archive.close()
        raise ImportFailed([_file_error(_("The workbook has no worksheet."))])
    wb = reader.wb
    return _Workbook(
        archive=reader.archive,
        sheet_path=paths[0],
        shared_strings=reader.shared_strings,
        date_styles=set(wb._date_formats) | set(wb._timedelta_formats),
        epoch=wb.epoch,
    )


def _shared_strings(reader):
    """The workbook's text table, streamed and counted (``openpyxl`` builds an object per
    text, about 15 µs each, and has no limit): the texts as openpyxl gives them."""
    from openpyxl.xml.constants import SHARED_STRINGS

    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    limit = import_limits.max_shared_strings()
    local = _LocalNames()
    strings = []
    with reader.archive.open(part.PartName[1:]) as source:
        for _event, element in ElementTree.iterparse(source, events=("end",)):  # noqa: S314
            if local[element.tag] != "si":
                continue
            pieces = []
            for child in element:
                name = local[child.tag]
                if name == "t":
                    pieces.append(child.text or "")
                elif name == "r":
                    pieces.extend(t.text or "" for t in child if local[t.tag] == "t")
            element.clear()
            strings.append("".join(pieces).replace("x005F_", ""))
            if len(strings) > limit:
                raise import_limits.too_many_shared_strings(limit)
    return strings


_COLUMN_LETTERS = re.compile(r"^([A-Z]+)")
# Elements one row may hold per column it may have (a cell, its value or formula, and a few
# runs of rich text): past that a row is refused before it is held whole.
ELEMENTS_PER_COLUMN = 64


class _LocalNames(dict):
    """Tag -> local name ("{namespace}row" -> "row"), worked out once per distinct tag.

    A sheet repeats a handful of tags hundreds of thousands of times; splitting each one
    again cost nearly as much as parsing the XML.
    """

    def __missing__(self, tag):
        name = self[tag] = tag.rsplit("}", 1)[-1]
        return name


def _sheet_rows(source, *, shared_strings, date_styles, epoch, merged):
    """(row number, {column: (value, type)}) for each non-blank row of a worksheet's XML.

    Types follow openpyxl: "s" text, "n" number, "b" boolean, "d" date, "e" error,
    "f" formula (the value is the formula). Merged ranges are appended to ``merged``.

    The sheet is held one row at a time: every element is dropped from the tree once read,
    and the sheet's declared ``<dimension>``, its rows (``IMPORT_MAX_SHEET_ROWS``), a row's
    cells (``IMPORT_MAX_COLUMNS``) and what a row holds are checked as they stream in, so a
    sheet of a billion cells is refused at the first one past a limit (``UploadRefused``).
    """
    local = _LocalNames()
    columns = {}
    number = 0
    max_rows = settings.IMPORT_MAX_SHEET_ROWS
    max_columns = settings.IMPORT_MAX_COLUMNS
    max_row_elements = max_columns * ELEMENTS_PER_COLUMN
    open_elements = []  # the chain of elements being read, root first
    rows_seen = cells = row_elements = 0
    in_row = False
    # The same stdlib parser openpyxl reads sheets with: expat expands no external
    # entities and (2.4.1+) refuses entity-expansion bombs.
    for event, element in ElementTree.iterparse(source, events=("start", "end")):  # noqa: S314
        if event == "start":
            if in_row:
                row_elements += 1
                if row_elements > max_row_elements:
                    raise import_limits.too_much_in_a_row(number)
                if local[element.tag] == "c":
                    cells += 1
                    if cells > max_columns:
                        raise import_limits.too_many_columns(cells, row=number)
            elif local[element.tag] == "row":
                rows_seen += 1
                number = int(element.get("r") or number + 1)
                if rows_seen > max_rows or number > max_rows:
                    raise import_limits.too_many_rows(max(rows_seen, number))
                in_row, cells, row_elements = True, 0, 0
            open_elements.append(element)
            continue
        open_elements.pop()
        tag = local[element.tag]
        if tag == "row":
            in_row = False
            values, column = {}, 0
            for cell in element:
                if local[cell.tag] != "c":
                    continue
                ref = cell.get("r")
                if ref:
                    letters = _COLUMN_LETTERS.match(ref).group(1)
                    column = columns.get(letters) or columns.setdefault(
                        letters, column_index_from_string(letters)
                    )
                else:
                    column += 1
                if column > max_columns:
                    raise import_limits.too_many_columns(column, row=number)
                value = _cell_value(cell, local, shared_strings, date_styles, epoch)
                if value is not None:
                    values[column] = value
            element.clear()
            if open_elements:
                open_elements[-1].remove(element)
            if values:
                yield number, values
            continue
        if in_row:
            continue  # a part of the row's cells: read with the row
        if tag == "dimension":
            _check_dimension(element.get("ref"))
        elif tag == "mergeCell" and len(merged) <= MAX_LISTED_ERRORS:
            merged.append(element.get("ref"))
        element.clear()
        if open_elements:
            open_elements[-1].remove(element)


def _check_dimension(ref):
    """The sheet's own record of its used range, refused past the limits before any row."""
    try:
        min_col, min_row, max_col, max_row = range_boundaries(str(ref or ""))
    except (TypeError, ValueError):
        return  # no usable record: the rows are counted as they come
    rows, cols = max_row or min_row or 0, max_col or min_col or 0
    if rows > settings.IMPORT_MAX_SHEET_ROWS or cols > settings.IMPORT_MAX_COLUMNS:
        raise import_limits.dimension_too_large(ref, rows=rows, columns=cols)


def _cell_value(cell, local, shared_strings, date_styles, epoch):
    kind = cell.get("t", "n")
    raw = formula = inline = None
    for child in cell:
        name = local[child.tag]
        if name == "v":
            raw = child.text
        elif name == "f":
            formula = child.text or ""
        elif name == "is":
            text_tag = child.tag[: -len(name)] + "t"  # in the cell's own namespace
            inline = "".join(t.text or "" for t in child.iter(text_tag))
    if formula is not None:
        return "=" + formula, "f"
    if kind == "inlineStr":
        return (inline, "s") if inline and inline.strip() else None
    if raw is None:
        return None
    if kind == "s":
        text = str(shared_strings[int(raw)])
        return (text, "s") if text.strip() else None
    if kind == "str":
        return (raw, "s") if raw.strip() else None
    if kind == "b":
        return raw.strip() in ("1", "true"), "b"
    if kind == "e":
        return raw, "e"
    if kind == "d":
        return from_ISO8601(raw), "d"
    number = float(raw) if "." in raw or "e" in raw or "E" in raw else int(raw)
    style = cell.get("s")
    if style is not None and int(style) in date_styles:
        return from_excel(number, epoch), "d"
    return number, "n"


def _decode(content):
    if content.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp1251")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed(
        [
            _file_error(
                _(
                    "The file is neither UTF-8 nor Windows-1251 text: save it from Excel as "
                    "“CSV UTF-8” or upload it as XLSX."
                )
            )
        ]
    )


def _delimiter(text):
    """The delimiter that splits the header line into the most cells (``;`` wins ties)."""
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    best, best_count = ";", 0
    for candidate in (";", ",", "\t"):
        count = len(next(csv.reader([first_line], delimiter=candidate), []))
        if count > best_count:
            best, best_count = candidate, count
    return best


def _read_csv(content):
    text = _decode(content)
    if CONTROL_CHARACTERS.search(text[:65536]):
        raise ImportFailed([_file_error(_not_a_spreadsheet("binary", ""))])
    if not text.strip():
        raise ImportFailed([_file_error(_("The file is empty."))])
    limit = settings.IMPORT_MAX_ROWS
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    max_lines, max_columns = settings.IMPORT_MAX_SHEET_ROWS, settings.IMPORT_MAX_COLUMNS
    header, rows = {}, []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if number > max_lines:
                raise import_limits.too_many_rows(number)
            if len(cells) > max_columns:
                raise import_limits.too_many_columns(len(cells), row=number)
            values = {
                col: (value, "s")
                for col, value in enumerate(cells, start=1)
                if not _is_blank(value)
            }
            if number == 1:
                header = {col: value for col, (value, _t) in values.items()}
                continue
            if not values:
                continue
            rows.append((number, values))
            if len(rows) > limit:
                raise ImportFailed([_row_limit_error()])
    except csv.Error as exc:
        raise ImportFailed(
            [
                _error(
                    _("Row %(row)d cannot be read as CSV (%(reason)s).")
                    % {"row": number + 1, "reason": exc},
                    row=number + 1,
                    field="file",
                )
            ]
        ) from exc
    return Table(kind="csv", header=header, rows=rows)


# --- headers ------------------------------------------------------------------


def _normalise(text):
    text = str(text).replace("ё", "е").replace("Ё", "Е").casefold()
    text = re.sub(r"[\s_*:]+", " ", text.replace("\u00a0", " "))
    return text.strip(" .")


def _header_lookup():
    lookup = {}
    for column in COLUMNS:
        for name in (column.field, column.label, *column.aliases):
            lookup[_normalise(name)] = column
    for column in COLUMNS:  # the field's label in the user's language, where not taken
        lookup.setdefault(_normalise(Offer._meta.get_field(column.field).verbose_name), column)
    return lookup


def _match_header(text, lookup):
    """The column a header names: the field, its Russian label, or both ("Label / field")."""
    candidates = [text, *re.split(r"[/|()\[\]\n]", text)]
    for candidate in candidates:
        column = lookup.get(_normalise(candidate))
        if column is not None:
            return column
    return None


def map_header(table):
    """{column index: Column} for the header row, and the header's errors (row 1)."""
    lookup = _header_lookup()
    mapping, errors, seen = {}, [], {}
    for index, text in sorted(table.header.items()):
        letter = get_column_letter(index)
        column = _match_header(text, lookup)
        if column is None:
            errors.append(
                _error(
                    _(
                        "Column %(column)s: the header “%(header)s” is not a column of the "
                        "product list. Use the template's headers: %(known)s."
                    )
                    % {
                        "column": letter,
                        "header": text.strip(),
                        "known": ", ".join(f"{c.label} ({c.field})" for c in COLUMNS),
                    },
                    row=1,
                    column=letter,
                )
            )
        elif column.field in seen:
            errors.append(
                _error(
                    _("Column %(column)s repeats the column “%(header)s” of column %(first)s.")
                    % {"column": letter, "header": text.strip(), "first": seen[column.field]},
                    row=1,
                    column=letter,
                    field=column.field,
                )
            )
        else:
            seen[column.field] = letter
            mapping[index] = column
    for column in COLUMNS:
        if column.required and column.field not in seen:
            errors.append(
                _error(
                    _("The column “%(label)s” (%(field)s) is missing from the header row.")
                    % {"label": column.label, "field": column.field},
                    row=1,
                    field=column.field,
                )
            )
    unnamed = {}
    for number, values in table.rows:
        for index in values:
            if index not in table.header and index not in unnamed:
                unnamed[index] = number
    for index, number in sorted(unnamed.items()):
        letter = get_column_letter(index)
        errors.append(
            _error(
                _(
                    "Column %(column)s has values (first in row %(row)d) but no header: "
                    "name the column or delete it."
                )
                % {"column": letter, "row": number},
                row=1,
                column=letter,
            )
        )
    return mapping, errors


# --- cells --------------------------------------------------------------------


class CellName:
    """ "Row 5, column F (Цена)", put into words only when a message needs it."""

    __slots__ = ("row", "column", "header")

    def __init__(self, row, column, header):
        self.row, self.column, self.header = row, column, header

    def __str__(self):
        return _("Row %(row)d, column %(column)s (%(header)s)") % {
            "row": self.row,
            "column": self.column,
            "header": self.header,
        }


class CellError(Exception):
    def __init__(self, message):
        self.message = message


def parse_decimal(text):
    """A number as people type it: ``1 234,50``, ``1234.5``, ``1.234,50``, ``1,234.50``."""
    cleaned = SPACES.sub("", text.strip())
    if "," in cleaned and "." in cleaned:
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    if not NUMBER.match(cleaned):
        raise CellError(_("“%(value)s” is not a number.") % {"value": text.strip()})
    try:
        value = Decimal(cleaned.replace(",", "."))
    except InvalidOperation as exc:
        raise CellError(_("“%(value)s” is not a number.") % {"value": text.strip()}) from exc
    if not value.is_finite():
        raise CellError(_("“%(value)s” is not a number.") % {"value": text.strip()})
    return value


def parse_boolean(text):
    word = _normalise(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(
        _("“%(value)s” is not yes or no: write да or нет (yes/no, 1/0, true/false).")
        % {"value": text.strip()}
    )


def _number_text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_cell(column, value, cell_type, *, where, typed=False):
    """The Python value of one cell for ``column``; ``where`` names the cell in messages.

    ``typed`` is true for workbooks, whose cells know whether they hold a number: there a
    number stored as text is an error (it sorts and sums wrongly in the supplier's own
    sheet too); CSV has only text, so numbers are read from text.
    """
    if cell_type == "f":
        raise CellError(
            _("%(where)s contains a formula (%(formula)s); paste values instead of formulas.")
            % {"where": where, "formula": value}
        )
    if cell_type == "e":
        raise CellError(
            _("%(where)s holds the Excel error %(value)s.") % {"where": where, "value": value}
        )
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL stores no NUL in text: the cell is named here, not a server error later.
        raise CellError(nul_message(str(where)))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time | datetime.timedelta):
        if column.kind == OKPD2:
            raise CellError(
                _(
                    "%(where)s: Excel turned the OKPD2 code into a date. Format the column as "
                    "Text and type the code again."
                )
                % {"where": where}
            )
        raise CellError(
            _("%(where)s contains a date or time where a %(what)s is expected.")
            % {"where": where, "what": _kind_name(column.kind)}
        )
    if _is_blank(value):
        return _blank(column)
    if column.kind == DECIMAL:
        if isinstance(value, bool):
            raise CellError(
                _("%(where)s contains TRUE/FALSE where a number is expected.") % {"where": where}
            )
        if isinstance(value, int | float):
            return Decimal(_number_text(value))
        if typed and isinstance(value, str):
            raise CellError(
                _(
                    "%(where)s: the number “%(value)s” is stored as text. In Excel select the "
                    "column and convert it to numbers (the green triangle → Convert to "
                    "Number), then upload the file again."
                )
                % {"where": where, "value": value.strip()}
            )
        return parse_decimal(str(value))
    if column.kind == BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            if value in (0, 1):
                return bool(value)
            raise CellError(
                _("“%(value)s” is not yes or no: write да or нет (yes/no, 1/0, true/false).")
                % {"value": _number_text(value)}
            )
        return parse_boolean(str(value))
    if column.kind == OKPD2:
        if isinstance(value, float) and not value.is_integer():
            raise CellError(
                _(
                    "%(where)s: the OKPD2 code is stored as a number (%(value)s), so Excel may "
                    "have dropped its zeros. Format the column as Text and type the code again."
                )
                % {"where": where, "value": value}
            )
        return _number_text(value).strip() if not isinstance(value, bool) else str(value)
    if isinstance(value, bool):
        raise CellError(
            _("%(where)s contains TRUE/FALSE where text is expected.") % {"where": where}
        )
    return _number_text(value).strip()


def _blank(column):
    return {BOOLEAN: False, DECIMAL: None}.get(column.kind, "")


def _kind_name(kind):
    return {DECIMAL: _("number"), BOOLEAN: _("yes or no"), OKPD2: _("code")}.get(kind, _("text"))


# --- checking and importing ----------------------------------------------------


class RememberedRow(NamedTuple):
    """A row of a remembered check, as the import reads it (a ``CheckedRow`` without
    errors)."""

    row: int
    values: dict


@dataclass
class CheckedRow:
    row: int
    values: dict  # field -> cleaned value (what the offer gets) or raw text where it failed
    errors: dict = field(default_factory=dict)  # field -> [messages]

    def as_preview(self):
        """The row as the API shows it: JSON-ready values of every offer field."""
        out = {"row": self.row}
        for name in FIELDS:
            value = self.values.get(name)
            out[name] = str(value) if isinstance(value, Decimal) else value
        return out


@dataclass
class ImportCheck:
    """The outcome of checking a file against a roadmap: rows, errors, nothing saved."""

    supplier: Supplier | None
    roadmap: object
    kind: str = ""
    columns: list = field(default_factory=list)  # [(letter, Column)] in file order
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors and bool(self.rows)

    @property
    def count(self):
        return len(self.rows)

    def preview(self):
        return [row.as_preview() for row in self.rows]


def importing_supplier(user) -> Supplier:
    """The supplier a user imports for, decided as for one offer (``offer_supplier``); only a
    supplier's members import (else RoleNotAllowed)."""
    require(user, "offer.import", message=_("Only a supplier's members can import product lists."))
    return offer_supplier(user=user)


def import_roadmaps(user):
    """Roadmaps a supplier's member may import into: those of the supplier's region."""
    scope = scope_of(user)
    return (
        roadmaps_visible_to(user)
        .filter(region__suppliers__id=scope.supplier_id)
        .order_by("-start_year", "title", "id")
    )


def _roadmap_of(user, roadmap_id):
    try:
        pk = int(str(roadmap_id).strip())
    except (TypeError, ValueError):
        pk = None
    roadmap = import_roadmaps(user).filter(pk=pk).first() if pk else None
    if roadmap is None:
        message = (
            _("Choose the roadmap the products are offered under.")
            if roadmap_id in (None, "")
            else _("Roadmap %(id)s is not a roadmap of your region.") % {"id": roadmap_id}
        )
        raise ImportFailed([_error(message, field="roadmap")])
    try:
        roadmap_takes_offers(roadmap)
    except ValidationError as exc:
        raise ImportFailed(
            [_error(message, field="roadmap") for message in exc.message_dict["roadmap"]]
        ) from exc
    return roadmap


def _duplicate_key(name, okpd2):
    return (" ".join(str(name).split()).casefold(), str(okpd2).strip())


def _existing_keys(supplier, roadmap):
    names = Offer.objects.filter(supplier=supplier, roadmap=roadmap).values_list("name", "okpd2")
    return {_duplicate_key(name, okpd2) for name, okpd2 in names}


def offers_import_check(*, user, roadmap_id, content, filename=""):
    """Check a product-list file for ``user``'s supplier and a roadmap of its region.

    Every row is cleaned and validated like a form-created offer (the rules of
    ``Offer.full_clean``); rows repeating another row of the file, or an offer the
    supplier already has in the roadmap (same name, case-insensitive, and OKPD2 code), are
    errors. Nothing is saved; a file without errors is remembered for ``offers_import``.
    Raises RoleNotAllowed for users who are not a supplier's members.
    """
    supplier = importing_supplier(user)
    try:
        roadmap = _roadmap_of(user, roadmap_id)
    except ImportFailed as exc:
        return ImportCheck(supplier=supplier, roadmap=None, errors=exc.errors)
    check = _check_file(supplier=supplier, roadmap=roadmap, content=content, filename=filename)
    if check.ok:
        _remember_check(user, check, content=content, filename=filename)
    return check


def _check_file(*, supplier, roadmap, content, filename):
    try:
        table = read_table(content=content, filename=filename)
    except ImportFailed as exc:
        return ImportCheck(supplier=supplier, roadmap=None, errors=exc.errors)
    check = ImportCheck(supplier=supplier, roadmap=roadmap, kind=table.kind)
    mapping, header_errors = map_header(table)
    check.columns = [(get_column_letter(i), c) for i, c in sorted(mapping.items())]
    errors = [*header_errors, *table.errors]
    if header_errors:
        check.errors = _sorted_errors(errors)
        return check

    letters = {index: get_column_letter(index) for index in mapping}
    labels = {index: table.header[index].strip() for index in mapping}
    field_letters = {column.field: letters[index] for index, column in mapping.items()}
    seen_in_file = {}
    typed = table.kind == "xlsx"
    existing = _existing_keys(supplier, roadmap)
    offer_fields = _offer_fields()
    for number, values in table.rows:
        checked = CheckedRow(row=number, values={})
        for index, column in mapping.items():
            value, cell_type = values.get(index, (None, "n"))
            where = CellName(number, letters[index], labels[index])
            try:
                checked.values[column.field] = clean_cell(
                    column, value, cell_type, where=where, typed=typed
                )
            except CellError as exc:
                checked.values[column.field] = "" if value is None else str(value)
                checked.errors.setdefault(column.field, []).append(exc.message)
        for column in COLUMNS:
            checked.values.setdefault(column.field, _blank(column))
        _validate_offer(checked, offer_fields)
        if not checked.errors.get("name") and not checked.errors.get("okpd2"):
            key = _duplicate_key(checked.values["name"], checked.values["okpd2"])
            if key in seen_in_file:
                checked.errors.setdefault("name", []).append(
                    _("The same product (name and OKPD2 code) is already in row %(row)d.")
                    % {"row": seen_in_file[key]}
                )
            elif key in existing:
                checked.errors.setdefault("name", []).append(
                    _(
                        "You already offer “%(name)s” (OKPD2 %(okpd2)s) under this roadmap: "
                        "remove the row or change the existing offer."
                    )
                    % {"name": checked.values["name"], "okpd2": checked.values["okpd2"]}
                )
            seen_in_file.setdefault(key, number)
        for name, messages in checked.errors.items():
            for message in messages:
                errors.append(
                    _error(message, row=number, column=field_letters.get(name), field=name)
                )
        check.rows.append(checked)
    check.errors = _sorted_errors(errors)
    return check


def _offer_fields():
    return [Offer._meta.get_field(name) for name in FIELDS]


def _validate_offer(checked, offer_fields):
    """The model's own field rules and messages, as ``Offer.full_clean`` applies them.

    Each field is cleaned as ``Model.clean_fields`` cleans it (required, lengths, the
    OKPD2 code, decimal digits, minimum values); building and full-cleaning an ``Offer``
    per row cost more than reading the file. ``Offer`` has no ``clean()`` and no
    constraints, so nothing else of ``full_clean`` applies (a test holds it to that).
    Cells that could not be read are left out, so each cell gets its own message.
    """
    for offer_field in offer_fields:
        name = offer_field.name
        if name in checked.errors:
            continue
        value = checked.values[name]
        if offer_field.blank and value in offer_field.empty_values:
            continue
        try:
            offer_field.clean(value, None)
        except ValidationError as exc:
            checked.errors.setdefault(name, []).extend(exc.messages)
    if checked.errors:
        return
    for name in ("capacity_per_year", "unit_price"):
        value = checked.values[name]
        if value is not None:
            checked.values[name] = value.quantize(CENT)


def _sorted_errors(errors):
    ordered = sorted(errors, key=lambda e: (e["row"] or 0, e["column"] or "", e["field"] or ""))
    if len(ordered) > MAX_LISTED_ERRORS:
        rest = len(ordered) - MAX_LISTED_ERRORS
        ordered = ordered[:MAX_LISTED_ERRORS]
        ordered.append(
            _file_error(
                ngettext(
                    "… and %(count)d more error not listed here.",
                    "… and %(count)d more errors not listed here.",
                    rest,
                )
                % {"count": rest}
            )
        )
    return ordered


def offers_import(*, user, roadmap_id, content, filename=""):
    """Create every row of the file as a draft offer of the user's supplier, or none, and
    return the new offers' ids in the file's order.

    The file is checked as by ``offers_import_check``; any error raises ImportFailed and
    nothing is saved. When the user's last check without errors was of these same bytes,
    file name, supplier and roadmap (a preview), its rows are imported without reading the
    file again; who may import, the roadmap and the duplicates against existing offers
    are checked again either way. The supplier row is locked while the offers are
    created, so two imports of the same list cannot both pass the duplicate check.
    """
    supplier = importing_supplier(user)
    roadmap = _roadmap_of(user, roadmap_id)
    check_file = partial(
        _check_file, supplier=supplier, roadmap=roadmap, content=content, filename=filename
    )
    rows = _recalled_rows(
        user, supplier=supplier, roadmap=roadmap, content=content, filename=filename
    )
    recalled = rows is not None
    if not recalled:
        rows = _checked_rows(check_file())
    with transaction.atomic():
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()
        existing = _existing_keys(supplier, roadmap)
        clashing = [
            row
            for row in rows
            if _duplicate_key(row.values["name"], row.values["okpd2"]) in existing
        ]
        if clashing and recalled:
            # Offers added since the preview: the file as checked now says where.
            _checked_rows(check_file())
        if clashing:
            raise ImportFailed(
                [
                    _error(
                        _("“%(name)s” (OKPD2 %(okpd2)s) was added under this roadmap meanwhile.")
                        % {"name": row.values["name"], "okpd2": row.values["okpd2"]},
                        row=row.row,
                        field="name",
                    )
                    for row in clashing
                ]
            )
        ids = _create_drafts(supplier, roadmap, rows)
    if recalled:
        _cache_call(cache.delete, _check_cache_key(user))
    return ids


def _create_drafts(supplier, roadmap, rows):
    """The rows as draft offers, in one COPY on PostgreSQL (``bulk_create`` on the SQLite
    demo): their ids, in the file's order."""
    given = {"supplier_id": supplier.pk, "roadmap_id": roadmap.pk, "status": OfferStatus.DRAFT}
    database = router.db_for_write(Offer)
    if connections[database].vendor == "postgresql":
        return copy_insert(Offer, ({**row.values, **given} for row in rows), using=database)
    offers = Offer.objects.bulk_create(
        [Offer(**row.values, **given) for row in rows], batch_size=2000
    )
    return [offer.pk for offer in offers]


def _checked_rows(check):
    if check.errors:
        raise ImportFailed(check.errors, check=check)
    if not check.rows:
        raise ImportFailed([_file_error(_("The file has no product rows."))], check=check)
    return check.rows


# A preview and its import are two uploads of the same file; reading and checking it once
# is enough. What is remembered lives on the server only: the client sends the file again
# and is matched by its digest, never by anything it claims.
CHECK_CACHE_SECONDS = 60 * 60
# Part of the fingerprint: rows remembered by a release that cleaned them differently are
# not reused by the next one.
CHECK_FORMAT = 2


def _cache_call(method, *args):
    """The remembered check is only a shortcut: with the cache down, check the file again."""
    try:
        return method(*args)
    except Exception:  # any cache backend error means "not remembered"
        logger.warning("import check cache unavailable", exc_info=True)
        return None


def _check_cache_key(user):
    return f"suppliers:offer-import-check:{user.pk}"


def _fingerprint(*, supplier, roadmap, content, filename):
    return (
        CHECK_FORMAT,
        hashlib.sha256(content).hexdigest(),
        filename,
        supplier.pk,
        roadmap.pk,
        settings.IMPORT_MAX_ROWS,
        settings.MAX_UPLOAD_BYTES,
    )


def _remember_check(user, check, *, content, filename):
    """Keep the cleaned rows of a check without errors, one check per user."""
    fingerprint = _fingerprint(
        supplier=check.supplier, roadmap=check.roadmap, content=content, filename=filename
    )
    # Each row's values in FIELDS' order (a checked row holds every field): a list of
    # tuples pickles in about half the time and space of a list of dicts.
    rows = [(row.row, tuple(row.values[name] for name in FIELDS)) for row in check.rows]
    _cache_call(cache.set, _check_cache_key(user), (fingerprint, rows), CHECK_CACHE_SECONDS)


def _recalled_rows(user, *, supplier, roadmap, content, filename):
    """The rows of the user's remembered check of exactly this file, or None."""
    remembered = _cache_call(cache.get, _check_cache_key(user))
    if remembered is None:
        return None
    fingerprint, rows = remembered
    wanted = _fingerprint(supplier=supplier, roadmap=roadmap, content=content, filename=filename)
    if fingerprint != wanted:
        return None
    return [
        RememberedRow(number, dict(zip(FIELDS, values, strict=True))) for number, values in rows
    ]


# --- template -----------------------------------------------------------------


def import_template(*, file_format):
    """The empty product list to fill in: (bytes, content type, file name).

    XLSX: the Russian headers (the field name in each header's note), an instructions
    sheet and the OKPD2 classes; CSV: UTF-8 with BOM and ``;``, as Russian Excel opens it.
    """
    if file_format == "csv":
        return (
            codecs.BOM_UTF8 + csv_line(FIELDS, delimiter=";").encode("utf-8"),
            CSV_CONTENT_TYPE,
            "product-list.csv",
        )
    if file_format != "xlsx":
        raise ValidationError({"format": _("Choose the format xlsx or csv.")})
    return (
        _xlsx_template(get_language(), settings.IMPORT_MAX_ROWS),
        XLSX_CONTENT_TYPE,
        "product-list.xlsx",
    )


# Built once per language and row limit: the text-formatted OKPD2 cells of every row a file
# may have are ten thousand cells to write, and the template never changes otherwise.
@lru_cache(maxsize=8)
def _xlsx_template(language, max_rows):
    """The XLSX template's bytes; ``language`` (active while it is built) keys the cache."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Products")[:31]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DCE6F5")
    for index, column in enumerate(COLUMNS, start=1):
        cell = xlsx_cell(sheet, row=1, column=index, value=column.label)
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        required = _("Required.") if column.required else _("Optional.")
        cell.comment = Comment(f"{column.field}\n{required} {column.help}", "Roadmap Portal")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(16, min(48, len(column.label) + 8))
        if column.kind in (OKPD2, TEXT):
            # Text format keeps Excel from turning 27.11 into a date or dropping zeros.
            sheet.column_dimensions[letter].number_format = "@"
    # The OKPD2 cells themselves are text too, for every row a file may have: a spreadsheet
    # application that ignores a column's format (several do) still keeps 28.10 as typed.
    okpd2_column = FIELDS.index("okpd2") + 1
    for row in range(2, max_rows + 2):
        sheet.cell(row=row, column=okpd2_column).number_format = "@"
    flags = DataValidation(type="list", formula1='"да,нет"', allow_blank=True)
    flags.error = _("Write да or нет.")
    sheet.add_data_validation(flags)
    flag_letter = get_column_letter(FIELDS.index("import_substitution") + 1)
    flags.add(f"{flag_letter}2:{flag_letter}{max_rows + 1}")
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet(_("Instructions")[:31])
    guide.append(xlsx_row(guide, [_("How to fill in the product list")]))
    guide["A1"].font = Font(bold=True, size=13)
    for line in (
        _("One product per row on the first sheet, from row 2; keep the header row as it is."),
        _("A header may be the Russian label or the field name (e.g. “Код ОКПД2” or “okpd2”)."),
        _("Type values, not formulas; do not merge cells; keep numbers as numbers."),
        _("Decimals may use a comma (1 234,50); spaces between thousands are allowed in CSV."),
        _("At most %(limit)d rows per file. All rows are imported, or none if any has an error.")
        % {"limit": max_rows},
        _("A CSV file may be UTF-8 or Windows-1251, separated by ; or ,."),
    ):
        guide.append(xlsx_row(guide, [line]))
    guide.append([])
    guide.append(
        xlsx_row(
            guide, [_("Header"), _("Field name"), _("Required"), _("What to enter"), _("Example")]
        )
    )
    for cell in guide[guide.max_row]:
        cell.font = bold
        cell.fill = fill
    for column in COLUMNS:
        guide.append(
            xlsx_row(
                guide,
                [
                    column.label,
                    column.field,
                    _("yes") if column.required else _("no"),
                    str(column.help),
                    column.example,
                ],
            )
        )
        guide.cell(row=guide.max_row, column=5).number_format = "@"  # the example, as text
    for letter, width in zip("ABCDE", (34, 22, 12, 70, 36), strict=True):
        guide.column_dimensions[letter].width = width

    classes = workbook.create_sheet(_("OKPD2 classes")[:31])
    classes.append(xlsx_row(classes, [_("OKPD2 class"), _("Name")]))
    for cell in classes[1]:
        cell.font = bold
        cell.fill = fill
    for code, name in okpd2_classes().items():
        classes.append(xlsx_row(classes, [code, name]))
        classes.cell(row=classes.max_row, column=1).number_format = "@"
    classes.column_dimensions["A"].width = 12
    classes.column_dimensions["B"].width = 110
    classes.column_dimensions["A"].number_format = "@"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
