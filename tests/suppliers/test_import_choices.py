"""The import page keeps what the user chose, the template keeps OKPD2 codes as text, and a
file of the wrong type is told what it is and what is accepted."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook

from roadmap_portal.choices import RoadmapStatus
from suppliers.importing import import_template, offers_import, offers_import_check
from suppliers.models import Offer
from tests.factories import RoadmapFactory, SupplierFactory, user_with_role

from .import_files import RUSSIAN, product_row, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = "/suppliers/offers/import/"
API_URL = "/api/v1/offers/import/"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def supplier():
    return SupplierFactory()


@pytest.fixture
def member(supplier):
    return user_with_role("supplier", supplier=supplier)


def page_client(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def stored(private_media):
    folder = Path(private_media) / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def selected_roadmap(html):
    """The value of the roadmap option marked selected, or None."""
    select = re.search(r'<select name="roadmap".*?</select>', html, re.S).group(0)
    match = re.search(r'<option value="(\d+)"[^>]*selected', select)
    return int(match.group(1)) if match else None


# --- the roadmap is preselected ------------------------------------------------------------


def test_the_only_open_roadmap_is_preselected(member, supplier):
    RoadmapFactory(region=supplier.region, status=RoadmapStatus.COMPLETED, title="Old")
    open_roadmap = RoadmapFactory(region=supplier.region, title="Current")

    html = page_client(member).get(IMPORT_URL).content.decode()

    assert selected_roadmap(html) == open_roadmap.pk


def test_nothing_is_preselected_when_two_roadmaps_are_open(member, supplier):
    RoadmapFactory(region=supplier.region)
    RoadmapFactory(region=supplier.region)

    html = page_client(member).get(IMPORT_URL).content.decode()

    assert selected_roadmap(html) is None


# --- the chosen file is kept ----------------------------------------------------------------


def test_a_file_sent_without_a_roadmap_is_kept_and_checked_once_the_roadmap_is_chosen(
    member, supplier, private_media
):
    RoadmapFactory(region=supplier.region)
    roadmap = RoadmapFactory(region=supplier.region)
    client = page_client(member)
    content = xlsx_bytes([product_row(1), product_row(2)])

    first = client.post(IMPORT_URL, {"file": SimpleUploadedFile("my list.xlsx", content)})

    assert first.status_code == 200
    html = first.content.decode()
    assert "Choose the roadmap the products are for." in html
    assert "File “my list.xlsx”" in html and 'id="import-kept"' in html
    token = re.search(r'name="kept_file" value="([0-9a-f-]+)"', html).group(1)
    assert stored(private_media) == [f"{token}.json", f"{token}.upload"]
    assert (Path(private_media) / "imports" / f"{token}.upload").read_bytes() == content
    assert not Offer.objects.exists()

    second = client.post(IMPORT_URL, {"roadmap": roadmap.pk, "kept_file": token})

    assert second.status_code == 302
    preview = client.get(second["Location"])
    assert "my list.xlsx" in preview.content.decode()
    assert token not in "".join(stored(private_media))  # the kept copy is gone
    assert client.post(second["Location"] + "confirm/").status_code == 302
    assert Offer.objects.filter(roadmap=roadmap).count() == 2


def test_a_kept_file_is_the_login_s_own(member, supplier, private_media):
    roadmap = RoadmapFactory(region=supplier.region)
    RoadmapFactory(region=supplier.region)
    owner = page_client(member)
    html = owner.post(
        IMPORT_URL, {"file": SimpleUploadedFile("a.xlsx", xlsx_bytes([product_row(1)]))}
    ).content.decode()
    token = re.search(r'name="kept_file" value="([0-9a-f-]+)"', html).group(1)
    colleague = page_client(user_with_role("supplier", supplier=supplier))

    answer = colleague.post(IMPORT_URL, {"roadmap": roadmap.pk, "kept_file": token})

    assert answer.status_code == 200
    assert "Choose the file to upload." in answer.content.decode()
    assert owner.get(f"{IMPORT_URL}{token}/").status_code == 404  # a kept file has no preview
    assert not Offer.objects.exists()


def test_the_roadmap_chosen_is_kept_when_the_file_is_missing(member, supplier):
    RoadmapFactory(region=supplier.region)
    roadmap = RoadmapFactory(region=supplier.region)

    answer = page_client(member).post(IMPORT_URL, {"roadmap": roadmap.pk})

    html = answer.content.decode()
    assert "Choose the file to upload." in html
    assert selected_roadmap(html) == roadmap.pk


def test_a_completed_roadmap_keeps_the_file_and_the_choice(member, supplier, private_media):
    completed = RoadmapFactory(region=supplier.region, status=RoadmapStatus.COMPLETED)
    RoadmapFactory(region=supplier.region)
    client = page_client(member)

    answer = client.post(
        IMPORT_URL,
        {
            "roadmap": completed.pk,
            "file": SimpleUploadedFile("l.xlsx", xlsx_bytes([product_row(1)])),
        },
    )

    html = answer.content.decode()
    assert "is completed: it takes no new offers" in html
    assert selected_roadmap(html) == completed.pk
    assert 'id="import-kept"' in html
    assert len(stored(private_media)) == 2
    assert not Offer.objects.exists()


# --- the template's OKPD2 column is text ----------------------------------------------------


def template_workbook():
    content, _type, _name = import_template(file_format="xlsx")
    return load_workbook(io.BytesIO(content))


def test_the_template_s_okpd2_column_is_text():
    workbook = template_workbook()
    products, guide, classes = workbook.worksheets
    okpd2 = chr(ord("A") + RUSSIAN.index("Код ОКПД2"))
    assert products[f"{okpd2}1"].value == "Код ОКПД2"
    assert products.column_dimensions[okpd2].number_format == "@"
    assert products[f"{okpd2}2"].number_format == "@"
    assert products[f"{okpd2}10001"].number_format == "@"  # as many rows as a file may have
    examples = [row[4] for row in guide.iter_rows(min_row=1) if row[1].value == "okpd2"]
    (example,) = examples
    assert (example.value, example.data_type, example.number_format) == ("27.11.22.000", "s", "@")
    code = classes["A2"]
    assert (code.data_type, code.number_format) == ("s", "@")


def test_the_template_is_built_once_per_language_and_row_limit(settings):
    with translation.override("en"):
        english = import_template(file_format="xlsx")[0]
        assert import_template(file_format="xlsx")[0] is english
    with translation.override("ru"):
        russian = import_template(file_format="xlsx")[0]
    settings.IMPORT_MAX_ROWS = 5
    with translation.override("en"):
        short = load_workbook(io.BytesIO(import_template(file_format="xlsx")[0])).worksheets[0]

    assert load_workbook(io.BytesIO(english)).sheetnames[0] == "Products"
    assert load_workbook(io.BytesIO(russian)).sheetnames[0] == "Продукция"
    assert short["C6"].number_format == "@"
    assert short["C7"].number_format == "General"  # past the row limit


def test_28_10_typed_into_the_template_is_imported_as_28_10(member, supplier):
    roadmap = RoadmapFactory(region=supplier.region)
    workbook = template_workbook()
    sheet = workbook.worksheets[0]
    # What Excel saves for 28.10 typed into a text cell: the text, in the cell's text format.
    for column, value in enumerate(["Насос центробежный", None, "28.10"], start=1):
        if value is not None:
            sheet.cell(row=2, column=column, value=value)
    assert sheet["C2"].number_format == "@"
    buffer = io.BytesIO()
    workbook.save(buffer)

    (offer,) = offers_import(user=member, roadmap_id=roadmap.pk, content=buffer.getvalue())

    assert Offer.objects.get(pk=offer).okpd2 == "28.10"


def test_a_number_28_1_from_an_old_file_is_an_error_at_its_cell(member, supplier):
    roadmap = RoadmapFactory(region=supplier.region)
    row = product_row(1)
    row[2] = 28.1  # an old file whose column was General: Excel kept the number 28.1

    check = offers_import_check(user=member, roadmap_id=roadmap.pk, content=xlsx_bytes([row]))

    (error,) = check.errors
    assert (error["row"], error["column"], error["field"]) == (2, "C", "okpd2")
    assert "stored as a number (28.1)" in error["message"]
    assert "Format the column as Text" in error["message"]


# --- a file of the wrong type ---------------------------------------------------------------

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.mark.parametrize(
    ("name", "content", "received"),
    [
        ("notes.txt", "name;okpd2\nНасос;28.10\n".encode(), "is a text file (.txt)"),
        ("datasheet.pdf", PDF, "is a PDF document (.pdf)"),
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            "is an Excel 97-2003 workbook or another old Office document (.xls)",
        ),
    ],
    ids=["txt", "pdf", "xls"],
)
def test_a_wrong_file_type_is_named_with_what_is_accepted(
    member, supplier, private_media, name, content, received
):
    roadmap = RoadmapFactory(region=supplier.region)

    answer = page_client(member).post(
        IMPORT_URL, {"roadmap": roadmap.pk, "file": SimpleUploadedFile(name, content)}
    )

    assert answer.status_code == 200
    html = answer.content.decode()
    message = re.search(r'<div class="alert alert-danger".*?</div>', html, re.S).group(0)
    assert "<strong>Product list (XLSX or CSV):</strong>" in message
    assert f"The file “{name}” {received}" in message
    assert "accepted as .xlsx or .csv" in message
    assert stored(private_media) == []
    assert not Offer.objects.exists()


def test_a_renamed_pdf_is_told_it_is_a_pdf(member, supplier, private_media):
    roadmap = RoadmapFactory(region=supplier.region)

    answer = page_client(member).post(
        IMPORT_URL, {"roadmap": roadmap.pk, "file": SimpleUploadedFile("list.xlsx", PDF)}
    )

    html = answer.content.decode()
    assert "The file is a PDF document, not a spreadsheet." in html
    assert "Upload the product list as XLSX or CSV." in html
    assert stored(private_media) == []
    assert not Offer.objects.exists()


def test_the_wrong_type_message_is_in_russian(supplier):
    roadmap = RoadmapFactory(region=supplier.region)
    member = user_with_role("supplier", supplier=supplier, language="ru")

    answer = page_client(member, language="ru").post(
        IMPORT_URL, {"roadmap": roadmap.pk, "file": SimpleUploadedFile("notes.txt", b"x;y\n")}
    )

    html = answer.content.decode()
    assert "Файл «notes.txt» — текстовый файл (.txt)." in html
    assert "Список продукции принимается в формате .xlsx или .csv" in html


def test_the_api_refuses_a_txt_file_on_its_file_field(api_as, member, supplier):
    roadmap = RoadmapFactory(region=supplier.region)
    client = api_as(member)

    answer = client.post(
        API_URL,
        {"roadmap": roadmap.pk, "file": SimpleUploadedFile("notes.txt", b"name;okpd2\nA;28.10\n")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert (error["field"], error["row"]) == ("file", None)
    assert error["message"].startswith("The file “notes.txt” is a text file (.txt).")
    assert not Offer.objects.exists()
