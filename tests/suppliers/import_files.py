"""Spreadsheets for the import tests, built the way Excel and suppliers make them."""

import csv
import io

from openpyxl import Workbook

FIELDS = [
    "name",
    "description",
    "okpd2",
    "import_substitution",
    "replaces",
    "gisp_number",
    "capacity_per_year",
    "unit",
    "unit_price",
]
RUSSIAN = [
    "Наименование",
    "Описание",
    "Код ОКПД2",
    "Импортозамещение",
    "Заменяемый импортный аналог",
    "Номер в реестре ГИСП",
    "Мощность в год",
    "Единица измерения",
    "Цена за единицу, руб.",
]


def product_row(n, *, price=18500.5, capacity=1200, flag="да"):
    return [
        f"Электродвигатель АИР{n}",
        "Мощность 1,5 кВт",
        "27.11.22.000",
        flag,
        "Siemens 1LE1",
        f"1012{n:04d}",
        capacity,
        "шт",
        price,
    ]


def xlsx_bytes(rows, header=FIELDS, *, prepare=None):
    """A workbook whose first sheet has ``header`` in row 1 and ``rows`` below."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    if prepare:
        prepare(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, header=FIELDS, *, delimiter=";", encoding="cp1251"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode(encoding)
