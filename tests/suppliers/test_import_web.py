"""The import pages: upload, preview of every row and error, confirm all or nothing."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from suppliers.models import Offer
from tests.factories import OfferFactory, RoadmapFactory, SupplierFactory, user_with_role

from .import_files import product_row, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = "/suppliers/offers/import/"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def supplier():
    return SupplierFactory()


@pytest.fixture
def roadmap(supplier):
    return RoadmapFactory(region=supplier.region)


def browser(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def member_client(supplier):
    return browser(user_with_role("supplier", supplier=supplier))


def post_file(client, roadmap, content, name="products.xlsx"):
    return client.post(
        IMPORT_URL, {"roadmap": roadmap.pk, "file": SimpleUploadedFile(name, content)}
    )


def test_upload_page_has_the_stable_controls(member_client, roadmap):
    page = member_client.get(IMPORT_URL).content.decode()
    assert 'id="import-form"' in page
    assert 'name="file"' in page
    assert re.search(r'<select name="roadmap"', page)
    assert f'value="{roadmap.pk}"' in page
    assert "template/?format=xlsx" in page and "template/?format=csv" in page


def test_roadmaps_of_other_regions_are_not_offered(member_client, roadmap):
    foreign = RoadmapFactory()
    page = member_client.get(IMPORT_URL).content.decode()
    assert foreign.title not in page and roadmap.title in page


def test_preview_then_confirm_imports_all_rows(member_client, roadmap, private_media):
    rows = [product_row(n) for n in range(1, 6)]
    response = post_file(member_client, roadmap, xlsx_bytes(rows))
    assert response.status_code == 302
    preview_url = response["Location"]
    assert not Offer.objects.exists()
    assert len(list((private_media / "imports").iterdir())) == 2

    page = member_client.get(preview_url).content.decode()
    assert 'id="preview"' in page and 'id="confirm-import"' in page
    for row in rows:
        assert row[0] in page
    assert 'id="preview-row-6"' in page

    confirm = member_client.post(preview_url + "confirm/")
    assert confirm.status_code == 302
    # The roadmap's drafts, ready to be submitted together.
    assert confirm["Location"] == f"/suppliers/offers/?status=draft&roadmap={roadmap.pk}"
    assert Offer.objects.count() == 5
    assert set(Offer.objects.values_list("status", flat=True)) == {"draft"}
    assert list((private_media / "imports").iterdir()) == []
    assert member_client.get(preview_url).status_code == 404


def test_preview_shows_every_error_and_offers_no_confirm(member_client, roadmap):
    rows = [product_row(n) for n in range(1, 8)]
    rows[3][2] = "27-11"
    rows[5][8] = "=I2*2"
    response = post_file(member_client, roadmap, xlsx_bytes(rows))
    assert response.status_code == 302
    page = member_client.get(response["Location"]).content.decode()
    assert 'id="confirm-import"' not in page
    assert 'id="import-errors"' in page
    assert page.count('class="import-error"') == 2
    assert "27-11" in page and "formula" in page
    row5 = page.split('id="preview-row-5"')[1].split("</tr>")[0]
    assert "import-cell-error" in row5 and 'data-field="okpd2"' in row5
    only_errors = member_client.get(response["Location"] + "?errors=1").content.decode()
    assert only_errors.count("import-row-error") == 2
    # Confirming anyway is refused and saves nothing.
    confirm = member_client.post(response["Location"] + "confirm/")
    assert confirm.status_code == 302 and confirm["Location"] == response["Location"]
    assert not Offer.objects.exists()


def test_confirm_checks_again_and_saves_nothing_when_the_file_became_a_duplicate(
    member_client, supplier, roadmap
):
    rows = [product_row(n) for n in range(1, 4)]
    response = post_file(member_client, roadmap, xlsx_bytes(rows))
    OfferFactory(supplier=supplier, roadmap=roadmap, name=rows[1][0], okpd2=rows[1][2])
    confirm = member_client.post(response["Location"] + "confirm/", follow=True)
    page = confirm.content.decode()
    assert "Nothing was imported" in page
    assert "already offer" in page
    assert Offer.objects.count() == 1


@pytest.fixture
def reads(monkeypatch):
    """The names of the files read from now on."""
    from suppliers import importing

    read = []
    real = importing.read_table

    def counting(*, content, filename=""):
        read.append(filename)
        return real(content=content, filename=filename)

    monkeypatch.setattr(importing, "read_table", counting)
    return read


def test_confirm_imports_the_previewed_rows_without_reading_the_file_again(
    member_client, roadmap, monkeypatch
):
    rows = [product_row(n) for n in range(1, 6)]
    response = post_file(member_client, roadmap, xlsx_bytes(rows))

    def unexpected(**kwargs):
        raise AssertionError("the previewed file was read again")

    monkeypatch.setattr("suppliers.importing.read_table", unexpected)
    confirm = member_client.post(response["Location"] + "confirm/")
    assert confirm["Location"] == f"/suppliers/offers/?status=draft&roadmap={roadmap.pk}"
    assert sorted(Offer.objects.values_list("name", flat=True)) == sorted(r[0] for r in rows)


def test_a_refused_confirm_reads_the_file_once_for_its_errors(
    member_client, supplier, roadmap, reads
):
    rows = [product_row(n) for n in range(1, 4)]
    response = post_file(member_client, roadmap, xlsx_bytes(rows))
    OfferFactory(supplier=supplier, roadmap=roadmap, name=rows[1][0], okpd2=rows[1][2])
    reads.clear()
    confirm = member_client.post(response["Location"] + "confirm/", follow=True)
    assert "already offer" in confirm.content.decode()
    assert reads == ["products.xlsx"]
    assert Offer.objects.count() == 1


def test_unreadable_file_is_reported_on_the_upload_page(member_client, roadmap, private_media):
    response = post_file(member_client, roadmap, b"%PDF-1.4 junk", name="products.xlsx")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="import-errors"' in page and "PDF" in page
    assert not (private_media / "imports").exists() or not any(
        (private_media / "imports").iterdir()
    )


def test_header_errors_are_reported_on_the_upload_page(member_client, roadmap):
    content = xlsx_bytes([["Изделие", "x"]], header=["name", "Артикул"])
    page = post_file(member_client, roadmap, content).content.decode()
    assert "Артикул" in page and "okpd2" in page


def test_foreign_roadmap_is_refused_by_the_form(member_client, roadmap):
    foreign = RoadmapFactory()
    response = post_file(member_client, foreign, xlsx_bytes([product_row(1)]))
    assert response.status_code == 200
    assert not Offer.objects.exists()
    assert "invalid-feedback" in response.content.decode()


def test_another_user_cannot_see_or_confirm_an_upload(member_client, supplier, roadmap):
    response = post_file(member_client, roadmap, xlsx_bytes([product_row(1)]))
    colleague = browser(user_with_role("supplier", supplier=supplier))
    assert colleague.get(response["Location"]).status_code == 404
    assert colleague.post(response["Location"] + "confirm/").status_code == 404
    assert not Offer.objects.exists()


def test_discard_forgets_the_upload(member_client, roadmap, private_media):
    response = post_file(member_client, roadmap, xlsx_bytes([product_row(1)]))
    discard = member_client.post(response["Location"] + "discard/")
    assert discard.status_code == 302
    assert list(Path(private_media / "imports").iterdir()) == []
    assert member_client.post(response["Location"] + "confirm/").status_code == 404
    assert not Offer.objects.exists()


def test_roles(client, supplier, roadmap):
    assert client.get(IMPORT_URL).status_code == 302  # to the login page
    staff = browser(user_with_role("region_staff", region=supplier.region))
    assert staff.get(IMPORT_URL).status_code == 403
    assert post_file(staff, roadmap, xlsx_bytes([product_row(1)])).status_code == 403
    assert not Offer.objects.exists()


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_template_downloads(member_client, file_format):
    response = member_client.get(IMPORT_URL + "template/", {"format": file_format})
    assert response.status_code == 200
    assert f"product-list.{file_format}" in response["Content-Disposition"]
