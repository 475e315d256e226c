"""Spreadsheet bombs: refused before anything parses them, in bounded time and memory.

Each hostile file is built here. The figures of the 300 MB bomb (about 650 KiB uploaded)
before the limits: 40 s and 1.3 GB of peak memory to refuse it for its row count; a
variant of 10,000 rows of 2,000 cells was read whole (61 s, 2.5 GB) and went on to the
checks. The assertions pin the refusal and its message, and a generous bound on the
memory traced while refusing (deterministic, unlike time).
"""

import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from roadmap_portal.choices import Role
from suppliers.choices import VerificationStatus
from suppliers.importing import ImportFailed, read_table
from suppliers.models import Offer
from tests.factories import RoadmapFactory, SupplierFactory, user_with_role

from .bombs import (
    header_row,
    lie_about_size,
    repeated_rows,
    sheet,
    unpacked_size,
    workbook,
    zip_bomb,
)
from .import_files import csv_bytes, product_row, xlsx_bytes

URL = "/api/v1/offers/import/"
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def bomb():
    return zip_bomb()


def refusal(content, name="products.xlsx"):
    """The single file error reading ``content`` gives, and the peak memory it traced."""
    tracemalloc.start()
    try:
        with pytest.raises(ImportFailed) as failure:
            read_table(content=content, filename=name)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [error] = failure.value.errors
    assert error["field"] == "file" and error["row"] is None
    return error["message"], peak


def test_the_bomb_is_what_it_claims(bomb):
    assert len(bomb) < 1 * MIB
    assert unpacked_size(bomb) > 250 * MIB


def test_a_zip_bomb_is_refused_by_its_declared_size(bomb, settings):
    message, peak = refusal(bomb)
    assert "unpacks to more than 64 MB; the limit is 64 MB" in message
    assert peak < 16 * MIB


def test_a_bomb_that_lies_about_its_size_is_refused_while_inflating(bomb):
    liar = lie_about_size(bomb, declared=1_000)
    message, peak = refusal(liar)
    # At about 650 KiB packed, 100:1 comes before 64 MB.
    assert "packed more than 100 times over (the limit is 100:1)" in message
    assert peak < 16 * MIB


def test_the_limit_is_a_setting(bomb, settings):
    settings.IMPORT_XLSX_MAX_UNPACKED_BYTES = 2 * MIB
    message, _peak = refusal(lie_about_size(bomb, declared=1_000))
    assert "more than 2 MB; the limit is 2 MB" in message


def test_compression_ratio_declared_and_actual():
    dense = workbook(sheet(repeated_rows(1_300, 1_000)))  # about 20 MB, under the size limit
    assert unpacked_size(dense) > 15 * MIB
    message, _peak = refusal(dense)
    assert "packed more than 100 times over (the limit is 100:1)" in message
    assert "xl/worksheets/sheet1.xml" in message
    message, peak = refusal(lie_about_size(dense, declared=50_000))
    assert "packed more than 100 times over (the limit is 100:1)" in message
    assert peak < 16 * MIB


def test_too_many_files_in_the_archive():
    crowded = workbook(sheet([]), extra_entries=300)
    message, _peak = refusal(crowded)
    assert "holds 309 files inside; the limit is 200" in message


def test_a_large_styles_part_is_refused_before_openpyxl_reads_it():
    xfs = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>' * 60_000
    styles = (
        b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<cellXfs count="60000">' + xfs + b"</cellXfs></styleSheet>"
    )
    message, _peak = refusal(workbook(sheet([]), replace={"xl/styles.xml": styles}))
    assert "xl/styles.xml" in message and "the limit for it is 2 MB" in message


def test_a_sheet_declaring_a_huge_used_range_is_refused_before_its_rows():
    message, _peak = refusal(workbook(sheet(repeated_rows(3, 9), dimension="A1:XFD1048576")))
    assert "used range is A1:XFD1048576: 1048576 rows and 16384 columns" in message
    assert "the limits are 20000 rows and 50 columns" in message


def test_rows_are_counted_while_streaming_whatever_the_dimension_says(settings):
    settings.IMPORT_MAX_SHEET_ROWS = 500
    blank_rows = (b'<row r="%d"/>' % number for number in range(2, 2_000))
    message, _peak = refusal(workbook(sheet(blank_rows, dimension="A1:I1")))
    assert "reaches row 501; the limit is 500 rows, blank ones included" in message


def test_a_row_number_past_the_limit(settings):
    far = [b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>']
    message, _peak = refusal(workbook(sheet(far, dimension="A1")))
    assert "reaches row 1048576; the limit is 20000 rows" in message


def test_columns_are_counted_while_streaming():
    wide = repeated_rows(1, 51)
    message, _peak = refusal(workbook(sheet(wide, dimension="A1")))
    assert "Row 2 reaches column 51; the limit is 50 columns" in message
    far_cell = [b'<row r="2"><c r="XFD2"><v>1</v></c></row>']
    message, _peak = refusal(workbook(sheet(far_cell, dimension="A1")))
    assert "Row 2 reaches column 16384; the limit is 50 columns" in message


def test_a_row_of_endless_rich_text_is_refused_before_it_is_held():
    runs = b"<r><t>a</t></r>" * 5_000
    row = [b'<row r="2"><c r="A2" t="inlineStr"><is>' + runs + b"</is></c></row>"]
    message, _peak = refusal(workbook(sheet(row, dimension="A1:A2")))
    assert "Row 2 holds more formatting and parts than 50 columns" in message


def test_shared_strings_are_counted(settings):
    settings.IMPORT_MAX_SHEET_ROWS = 10
    settings.IMPORT_MAX_COLUMNS = 10
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t>x</t></si>" * 101
        + b"</sst>"
    )
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    )
    content = workbook(
        sheet([], dimension="A1:I1"),
        replace={"[Content_Types].xml": content_types},
    )
    import io
    import zipfile

    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", strings)
    message, _peak = refusal(buffer.getvalue())
    assert "text table holds more than 100 texts" in message and "the limit is 100" in message


def test_a_csv_line_of_endless_cells(settings):
    line = ";".join(["x"] * 60)
    message, _peak = refusal(csv_bytes([line.split(";")], encoding="utf-8"), name="p.csv")
    assert "Row 2 reaches column 60; the limit is 50 columns" in message
    settings.IMPORT_MAX_SHEET_ROWS = 100
    lines = b"name;okpd2\r\n" + b"\r\n" * 200
    message, _peak = refusal(lines, name="p.csv")
    assert "reaches row 101; the limit is 100 rows" in message


def test_ordinary_workbooks_pass_the_limits():
    rows = [product_row(n) for n in range(2_000)]
    table = read_table(content=xlsx_bytes(rows), filename="products.xlsx")
    assert len(table.rows) == 2_000
    near_limits = workbook(sheet([header_row().replace(b'r="1"', b'r="2"')], dimension="A1:AX2"))
    assert read_table(content=near_limits, filename="products.xlsx").header


@pytest.mark.django_db
def test_a_self_registered_unverified_supplier_cannot_upload_a_bomb(api_as, bomb):
    supplier = SupplierFactory(verification_status=VerificationStatus.PENDING)
    roadmap = RoadmapFactory(region=supplier.region)
    member = user_with_role(Role.SUPPLIER, supplier=supplier)
    client = api_as(member)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for dry_run in ("true", "false"):
        response = client.post(
            URL,
            {
                "file": SimpleUploadedFile("products.xlsx", bomb),
                "roadmap": roadmap.pk,
                "dry_run": dry_run,
            },
            format="multipart",
        )
        assert response.status_code == 400, response.content[:300]
        [error] = response.json()["errors"]
        assert error["field"] == "file"
        assert "the limit is 64 MB unpacked" in error["message"]
    assert not Offer.objects.exists()
