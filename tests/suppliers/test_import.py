"""Product-list import: files as suppliers make them, bad files, all-or-nothing, the API."""

import codecs
import io
import zipfile
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import override_settings
from django.utils import translation
from openpyxl import load_workbook

from roadmap_portal.accounts.models import Profile
from roadmap_portal.exceptions import RoleNotAllowed
from suppliers.importing import (
    COLUMNS,
    ImportFailed,
    offers_import,
    offers_import_check,
    parse_decimal,
    read_table,
)
from suppliers.models import Offer
from tests.factories import (
    OfferFactory,
    RoadmapFactory,
    SupplierFactory,
    admin_user,
    user_with_role,
)

from .import_files import FIELDS, RUSSIAN, csv_bytes, product_row, xlsx_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/offers/import/"
TEMPLATE_URL = "/api/v1/offers/import/template/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def supplier():
    return SupplierFactory()


@pytest.fixture
def roadmap(supplier):
    return RoadmapFactory(region=supplier.region)


@pytest.fixture
def member(supplier):
    return user_with_role("supplier", supplier=supplier)


@pytest.fixture
def client_of(api_as):
    def make(user):
        client = api_as(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def upload(client, content, roadmap_id, *, name="products.xlsx", dry_run=None):
    data = {"file": SimpleUploadedFile(name, content), "roadmap": roadmap_id}
    if dry_run is not None:
        data["dry_run"] = "true" if dry_run else "false"
    return client.post(URL, data, format="multipart")


def errors_at(response_or_errors, row=None, field=None):
    errors = (
        response_or_errors
        if isinstance(response_or_errors, list)
        else response_or_errors.json()["errors"]
    )
    return [
        e
        for e in errors
        if (row is None or e["row"] == row) and (field is None or e["field"] == field)
    ]


# --- good files ------------------------------------------------------------------


def test_good_xlsx_creates_every_row_as_a_draft(client_of, member, supplier, roadmap):
    rows = [product_row(n) for n in range(1, 4)]
    response = upload(client_of(member), xlsx_bytes(rows), roadmap.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 3
    offers = Offer.objects.filter(pk__in=body["ids"]).order_by("pk")
    assert [o.name for o in offers] == [r[0] for r in rows]
    first = offers[0]
    assert first.supplier == supplier and first.roadmap == roadmap
    assert first.status == "draft"
    assert first.okpd2 == "27.11.22.000"
    assert first.import_substitution is True
    assert first.gisp_number == "10120001"
    assert first.capacity_per_year == Decimal("1200.00")
    assert first.unit_price == Decimal("18500.50")


def test_cp1251_semicolon_csv_with_decimal_commas(client_of, member, roadmap):
    rows = [
        ["Лампа светодиодная ДКУ", "", "27.40.39", "нет", "", "", "1 500", "шт", "2 340,75"],
        ["Реагент для промывки", "", "20.59", "Да", "Henkel", "", "12\u00a0000,5", "кг", "99,9"],
    ]
    content = csv_bytes(rows, header=RUSSIAN, delimiter=";", encoding="cp1251")
    response = upload(client_of(member), content, roadmap.pk, name="список.csv")
    assert response.status_code == 201, response.content
    lamp, reagent = Offer.objects.filter(pk__in=response.json()["ids"]).order_by("pk")
    assert lamp.name == "Лампа светодиодная ДКУ"
    assert lamp.capacity_per_year == Decimal("1500")
    assert lamp.unit_price == Decimal("2340.75")
    assert lamp.import_substitution is False
    assert reagent.capacity_per_year == Decimal("12000.50")
    assert reagent.unit_price == Decimal("99.90")
    assert reagent.import_substitution is True


def test_utf8_bom_comma_csv(client_of, member, roadmap):
    rows = [["Датчик температуры", "", "26.51.51", "yes", "", "", "10", "pcs", "1,234.50"]]
    content = codecs.BOM_UTF8 + csv_bytes(rows, delimiter=",", encoding="utf-8")
    response = upload(client_of(member), content, roadmap.pk, name="list.csv")
    assert response.status_code == 201, response.content
    offer = Offer.objects.get(pk=response.json()["ids"][0])
    assert offer.name == "Датчик температуры"
    assert offer.unit_price == Decimal("1234.50")
    assert offer.import_substitution is True


def test_russian_headers_in_any_case_and_spacing(client_of, member, roadmap):
    header = ["  НАИМЕНОВАНИЕ ", "код  окпд2", "Цена за единицу, руб.", "Импортозамещение"]
    content = xlsx_bytes([["Изделие", "27.11", 10, "да"]], header=header)
    response = upload(client_of(member), content, roadmap.pk)
    assert response.status_code == 201, response.content
    offer = Offer.objects.get(pk=response.json()["ids"][0])
    assert (offer.name, offer.okpd2, offer.unit_price) == ("Изделие", "27.11", Decimal("10.00"))


def test_blank_rows_are_skipped_and_row_numbers_stay_the_sheets(member, roadmap):
    content = xlsx_bytes([product_row(1), [None] * 9, ["", "", "12.3", ""]])
    check = offers_import_check(user=member, roadmap_id=roadmap.pk, content=content)
    assert [row.row for row in check.rows] == [2, 4]
    assert errors_at(check.errors, row=4, field="okpd2")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 234,50", "1234.50"),
        ("1\u00a0234,5", "1234.5"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("0,5", "0.5"),
        ("42", "42"),
    ],
)
def test_decimal_as_people_type_it(text, value):
    assert parse_decimal(text) == Decimal(value)


# --- bad files ---------------------------------------------------------------------


def single_file_error(response):
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]


@pytest.mark.parametrize(
    ("content", "name", "says"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "products.xlsx", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "products.xlsx", "image"),
        (bytes(range(256)) * 8, "products.csv", "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "products.xls", ".xls"),
        (b"name;okpd2\nA;27.11\n", "products.xlsx", "not an Excel workbook"),
    ],
    ids=["pdf", "png", "junk", "old-xls", "text-named-xlsx"],
)
def test_not_a_spreadsheet(client_of, member, roadmap, content, name, says):
    error = single_file_error(upload(client_of(member), content, roadmap.pk, name=name))
    assert error["field"] == "file" and error["row"] is None
    assert says in error["message"]
    assert not Offer.objects.exists()


def test_zip_that_is_not_a_workbook(client_of, member, roadmap):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    error = single_file_error(upload(client_of(member), buffer.getvalue(), roadmap.pk))
    assert "ZIP" in error["message"]


def test_damaged_workbook(client_of, member, roadmap):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not-xml")
    error = single_file_error(upload(client_of(member), buffer.getvalue(), roadmap.pk))
    assert "damaged" in error["message"]


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "products.csv"), (codecs.BOM_UTF8 + b"\r\n", "products.csv")],
    ids=["zero-bytes", "bom-only"],
)
def test_empty_file(client_of, member, roadmap, content, name):
    error = single_file_error(upload(client_of(member), content, roadmap.pk, name=name))
    assert "empty" in error["message"]


def test_header_without_rows(client_of, member, roadmap):
    error = single_file_error(upload(client_of(member), xlsx_bytes([]), roadmap.pk))
    assert "no product rows" in error["message"]


def test_empty_header_row(client_of, member, roadmap):
    content = xlsx_bytes([product_row(1)], header=[None] * 9)
    error = single_file_error(upload(client_of(member), content, roadmap.pk))
    assert error["row"] == 1 and "headers" in error["message"]


def test_unknown_duplicate_and_missing_headers(client_of, member, roadmap):
    header = ["name", "Цена", "price", "Артикул"]
    content = xlsx_bytes([["Изделие", 1, 2, "A-1"]], header=header)
    response = upload(client_of(member), content, roadmap.pk)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert all(e["row"] == 1 for e in errors)
    by_column = {e["column"]: e["message"] for e in errors if e["column"]}
    assert "Артикул" in by_column["D"] and "not a column" in by_column["D"]
    assert "repeats" in by_column["C"]
    missing = errors_at(errors, field="okpd2")
    assert missing and "missing" in missing[0]["message"]


def test_values_in_a_column_without_header(member, roadmap):
    content = xlsx_bytes([[*product_row(1), "stray"]], header=FIELDS)
    check = offers_import_check(user=member, roadmap_id=roadmap.pk, content=content)
    assert [(e["row"], e["column"]) for e in check.errors] == [(1, "J")]
    assert "no header" in check.errors[0]["message"]


def test_formula_cell(client_of, member, roadmap):
    rows = [product_row(1), product_row(2, price="=B3*2")]
    response = upload(client_of(member), xlsx_bytes(rows), roadmap.pk)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"], error["field"]) == (3, "I", "unit_price")
    assert "Row 3, column I" in error["message"]
    assert "formula" in error["message"] and "paste values" in error["message"]
    assert not Offer.objects.exists()


def test_merged_cells(client_of, member, roadmap):
    rows = [product_row(1), product_row(2), product_row(3)]
    content = xlsx_bytes(rows, prepare=lambda sheet: sheet.merge_cells("H2:H3"))
    response = upload(client_of(member), content, roadmap.pk)
    assert response.status_code == 400
    merged = [e for e in response.json()["errors"] if "merged" in e["message"]]
    assert [(e["row"], e["column"]) for e in merged] == [(2, "H")]
    assert "H2:H3" in merged[0]["message"]


def test_number_stored_as_text_in_a_workbook(client_of, member, roadmap):
    rows = [product_row(1), product_row(2, price="1 500,00")]
    response = upload(client_of(member), xlsx_bytes(rows), roadmap.pk)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"], error["field"]) == (3, "I", "unit_price")
    assert "stored as text" in error["message"]


def test_okpd2_that_excel_turned_into_a_date(member, roadmap):
    import datetime

    row = product_row(1)
    row[2] = datetime.datetime(2026, 11, 27)
    check = offers_import_check(user=member, roadmap_id=roadmap.pk, content=xlsx_bytes([row]))
    (error,) = check.errors
    assert (error["row"], error["field"]) == (2, "okpd2")
    assert "into a date" in error["message"]


@override_settings(IMPORT_MAX_ROWS=5)
@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_row_limit(client_of, member, roadmap, kind):
    rows = [product_row(n) for n in range(6)]
    content = xlsx_bytes(rows) if kind == "xlsx" else csv_bytes(rows)
    error = single_file_error(upload(client_of(member), content, roadmap.pk, name=f"p.{kind}"))
    assert "more than 5" in error["message"]
    ok = upload(client_of(member), xlsx_bytes(rows[:5]), roadmap.pk)
    assert ok.status_code == 201 and ok.json()["created"] == 5


# --- rows ---------------------------------------------------------------------------


def test_one_bad_row_among_many_saves_nothing(client_of, member, roadmap):
    rows = [product_row(n) for n in range(1, 41)]
    rows[26][2] = "04.11.11"  # row 28 in the sheet: OKPD2 class 04 does not exist
    response = upload(client_of(member), xlsx_bytes(rows), roadmap.pk)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"], error["field"]) == (28, "C", "okpd2")
    assert "04" in error["message"]
    assert not Offer.objects.exists()


def test_field_rules_of_the_model_apply(member, roadmap):
    rows = [
        ["", "", "27.11", "", "", "", 1, "шт", 1],
        ["Изделие 2", "", "27.1", "", "", "", -5, "шт", 1],
        ["Изделие 3", "", "27.11", "может быть", "", "", 1, "шт", 1.555],
        ["x" * 301, "", "27.11", "", "", "", 1, "шт", 1],
    ]
    check = offers_import_check(user=member, roadmap_id=roadmap.pk, content=xlsx_bytes(rows))
    located = {(e["row"], e["field"]) for e in check.errors}
    assert located == {
        (2, "name"),
        (3, "okpd2"),
        (3, "capacity_per_year"),
        (4, "import_substitution"),
        (4, "unit_price"),
        (5, "name"),
    }
    assert all(e["column"] for e in check.errors)


@pytest.mark.parametrize(
    ("word", "value"),
    [("да", True), ("Нет", False), ("YES", True), ("no", False), ("1", True), ("0", False)]
    + [("true", True), ("False", False), ("ИСТИНА", True), ("", False)],
)
def test_booleans(member, roadmap, word, value):
    row = ["Изделие", "", "27.11", word, "", "", "", "", ""]
    check = offers_import_check(
        user=member, roadmap_id=roadmap.pk, content=csv_bytes([row]), filename="a.csv"
    )
    assert not check.errors, check.errors
    assert check.rows[0].values["import_substitution"] is value


def test_duplicates_inside_the_file(client_of, member, roadmap):
    rows = [product_row(1), product_row(2), product_row(1)]
    rows[2][0] = "  электродвигатель   аир1 "
    response = upload(client_of(member), xlsx_bytes(rows), roadmap.pk)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["row"], error["field"]) == (4, "name")
    assert "row 2" in error["message"]


def test_duplicates_of_existing_offers(client_of, member, supplier, roadmap):
    OfferFactory(
        supplier=supplier, roadmap=roadmap, name="ЭЛЕКТРОДВИГАТЕЛЬ АИР2", okpd2="27.11.22.000"
    )
    other_roadmap = RoadmapFactory(region=supplier.region)
    OfferFactory(supplier=supplier, roadmap=other_roadmap, name="Электродвигатель АИР1")
    rows = [product_row(1), product_row(2)]
    response = upload(client_of(member), xlsx_bytes(rows), roadmap.pk)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["row"], error["field"]) == (3, "name")
    assert "already offer" in error["message"]


def test_another_suppliers_offer_is_no_duplicate(client_of, member, roadmap):
    OfferFactory(roadmap=roadmap, name="Электродвигатель АИР1", okpd2="27.11.22.000")
    response = upload(client_of(member), xlsx_bytes([product_row(1)]), roadmap.pk)
    assert response.status_code == 201


def test_dry_run_previews_exactly_what_the_import_creates(client_of, member, roadmap):
    rows = [product_row(n, price=1000 + n / 4, flag="нет" if n % 2 else "да") for n in range(1, 6)]
    content = xlsx_bytes(rows)
    client = client_of(member)
    preview = upload(client, content, roadmap.pk, dry_run=True)
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["count"] == 5 and body["errors"] == [] and body["dry_run"] is True
    assert not Offer.objects.exists()
    created = upload(client, content, roadmap.pk, dry_run=False)
    assert created.status_code == 201
    listed = []
    for offer in Offer.objects.filter(pk__in=created.json()["ids"]).order_by("pk"):
        values = {name: getattr(offer, name) for name in FIELDS}
        for name in ("capacity_per_year", "unit_price"):
            values[name] = str(values[name])
        listed.append(values)
    assert [{k: v for k, v in row.items() if k != "row"} for row in body["rows"]] == listed
    assert [row["row"] for row in body["rows"]] == [2, 3, 4, 5, 6]


def test_dry_run_with_errors_is_400_and_saves_nothing(client_of, member, roadmap):
    rows = [product_row(1), product_row(2, capacity=-1)]
    response = upload(client_of(member), xlsx_bytes(rows), roadmap.pk, dry_run=True)
    assert response.status_code == 400
    assert errors_at(response, row=3, field="capacity_per_year")


def test_messages_follow_the_users_language(api_as, member, roadmap):
    client = api_as(member)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    rows = [["", "", "27.11", "", "", "", "", "", ""]]
    response = upload(client, xlsx_bytes(rows), roadmap.pk)
    (error,) = response.json()["errors"]
    assert error["message"] == "Это поле не может быть пустым."


def test_service_raises_and_saves_nothing(member, roadmap):
    rows = [product_row(1), product_row(2, price="=1+1")]
    with pytest.raises(ImportFailed) as failure:
        offers_import(user=member, roadmap_id=roadmap.pk, content=xlsx_bytes(rows))
    assert errors_at(failure.value.errors, row=3, field="unit_price")
    assert not Offer.objects.exists()


def test_row_rules_are_the_models_full_clean(member, supplier, roadmap):
    """Each row gets exactly the messages ``Offer.full_clean`` gives the same values."""
    # The import cleans field by field; a model-wide rule would be skipped.
    assert Offer.clean is models.Model.clean and not Offer._meta.constraints
    rows = [
        ["", "", "27.11", "", "", "", 1, "шт", 1],
        ["x" * 301, "", "27.1", "", "y" * 301, "9" * 51, -5, "u" * 31, 1.555],
        ["Изделие 3", "", "04.11", "да", "", "", 10**13, "шт", 10**15],
        ["Изделие 4", "", "27.11.22.0000", "", "", "", 0, "", 0.001],
        ["Изделие 5", "", "27.11.22.000", "нет", "", "", 12345678901.25, "шт", 0],
    ]
    check = offers_import_check(user=member, roadmap_id=roadmap.pk, content=xlsx_bytes(rows))
    assert [row.row for row in check.rows] == [2, 3, 4, 5, 6]
    for row in check.rows:
        offer = Offer(supplier=supplier, roadmap=roadmap, **row.values)
        try:
            offer.full_clean(exclude=["supplier", "roadmap", "demand"], validate_unique=False)
            expected = {}
        except ValidationError as exc:
            expected = exc.message_dict
        assert row.errors == expected, row.row
    assert check.rows[-1].errors == {}


# --- a preview and then its import ----------------------------------------------------


@pytest.fixture
def reads(monkeypatch):
    """The files ``read_table`` is asked to read from now on."""
    from suppliers import importing

    read = []
    real = importing.read_table

    def counting(*, content, filename=""):
        read.append(content)
        return real(content=content, filename=filename)

    monkeypatch.setattr(importing, "read_table", counting)
    return read


def test_import_of_the_previewed_file_does_not_read_it_again(member, roadmap, monkeypatch):
    content = xlsx_bytes([product_row(n, price=1000 + n / 4) for n in range(1, 6)])
    preview = offers_import_check(user=member, roadmap_id=roadmap.pk, content=content)
    assert preview.ok

    def unexpected(**kwargs):
        raise AssertionError("the previewed file was read again")

    monkeypatch.setattr("suppliers.importing.read_table", unexpected)
    offers = offers_import(user=member, roadmap_id=roadmap.pk, content=content)
    created = Offer.objects.filter(pk__in=offers).order_by("pk")
    assert [{name: getattr(o, name) for name in FIELDS} for o in created] == [
        row.values for row in preview.rows
    ]


@pytest.mark.parametrize("differs", ["content", "filename", "roadmap", "user"])
def test_an_import_unlike_the_preview_reads_and_checks_the_file(
    member, supplier, roadmap, reads, differs
):
    content = xlsx_bytes([product_row(1), product_row(2)])
    offers_import_check(user=member, roadmap_id=roadmap.pk, content=content, filename="a.xlsx")
    arguments = {"user": member, "roadmap_id": roadmap.pk, "content": content}
    arguments["filename"] = "b.xlsx" if differs == "filename" else "a.xlsx"
    if differs == "content":
        arguments["content"] = xlsx_bytes([product_row(1), product_row(2, price="=1+1")])
    if differs == "roadmap":
        arguments["roadmap_id"] = RoadmapFactory(region=supplier.region).pk
    if differs == "user":
        arguments["user"] = user_with_role("supplier", supplier=supplier)
    reads.clear()
    if differs == "content":
        with pytest.raises(ImportFailed) as failure:
            offers_import(**arguments)
        assert errors_at(failure.value.errors, row=3, field="unit_price")
        assert not Offer.objects.exists()
    else:
        assert len(offers_import(**arguments)) == 2
    assert reads == [arguments["content"]]


def test_import_of_the_previewed_file_checks_offers_added_since(member, supplier, roadmap, reads):
    content = xlsx_bytes([product_row(n) for n in range(1, 4)])
    assert offers_import_check(user=member, roadmap_id=roadmap.pk, content=content).ok
    OfferFactory(supplier=supplier, roadmap=roadmap, name="электродвигатель аир2")
    with pytest.raises(ImportFailed) as failure:
        offers_import(user=member, roadmap_id=roadmap.pk, content=content)
    (error,) = failure.value.errors
    assert (error["row"], error["column"], error["field"]) == (3, "A", "name")
    assert "already offer" in error["message"]
    assert failure.value.check.errors == failure.value.errors
    assert Offer.objects.count() == 1


def test_import_of_the_previewed_file_asks_who_may_import_again(member, supplier, roadmap):
    content = xlsx_bytes([product_row(1)])
    assert offers_import_check(user=member, roadmap_id=roadmap.pk, content=content).ok
    Profile.objects.filter(user=member).update(role="region_staff", region=supplier.region)
    now_staff = get_user_model().objects.get(pk=member.pk)
    with pytest.raises(RoleNotAllowed):
        offers_import(user=now_staff, roadmap_id=roadmap.pk, content=content)
    assert not Offer.objects.exists()


def test_the_previewed_file_is_imported_once(member, roadmap):
    content = xlsx_bytes([product_row(1), product_row(2)])
    assert offers_import_check(user=member, roadmap_id=roadmap.pk, content=content).ok
    assert len(offers_import(user=member, roadmap_id=roadmap.pk, content=content)) == 2
    with pytest.raises(ImportFailed) as failure:
        offers_import(user=member, roadmap_id=roadmap.pk, content=content)
    assert [e["row"] for e in failure.value.errors] == [2, 3]
    assert all("already offer" in e["message"] for e in failure.value.errors)
    assert Offer.objects.count() == 2


def test_with_the_cache_down_the_file_is_checked_again_and_imported(
    member, roadmap, reads, settings
):
    # A real Redis client against a port nothing listens on: every cache call fails.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    content = xlsx_bytes([product_row(1), product_row(2)])
    assert offers_import_check(user=member, roadmap_id=roadmap.pk, content=content).ok
    reads.clear()
    assert len(offers_import(user=member, roadmap_id=roadmap.pk, content=content)) == 2
    assert reads == [content]


def test_read_table_keeps_the_sheets_row_numbers():
    table = read_table(content=xlsx_bytes([product_row(1), [None] * 9, product_row(3)]))
    assert [number for number, _values in table.rows] == [2, 4]


# --- who may import -----------------------------------------------------------------


def test_roles(api, client_of, member, supplier, roadmap):
    content = xlsx_bytes([product_row(1)])
    assert upload(api, content, roadmap.pk).status_code == 401
    staff = user_with_role("region_staff", region=supplier.region)
    assert upload(client_of(staff), content, roadmap.pk).status_code == 403
    assert upload(client_of(admin_user()), content, roadmap.pk).status_code == 403
    assert upload(client_of(member), content, roadmap.pk).status_code == 201


def test_roadmap_of_another_region(client_of, member):
    foreign = RoadmapFactory()
    response = upload(client_of(member), xlsx_bytes([product_row(1)]), foreign.pk)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "roadmap"
    assert not Offer.objects.exists()


def test_missing_inputs(client_of, member):
    response = client_of(member).post(URL, {}, format="multipart")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"file", "roadmap"}


# --- template -----------------------------------------------------------------------


def test_xlsx_template(client_of, member):
    response = client_of(member).get(TEMPLATE_URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    products, guide, classes = workbook.worksheets
    assert [c.value for c in products[1]] == [c.label for c in COLUMNS]
    assert [c.comment.text.split("\n")[0] for c in products[1]] == FIELDS
    guide_text = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert all(name in guide_text for name in FIELDS)
    assert classes["A2"].value == "01" and classes.max_row > 80


def test_csv_template(client_of, member):
    response = client_of(member).get(TEMPLATE_URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(codecs.BOM_UTF8)
    assert response.content[3:].decode().strip() == ";".join(FIELDS)


def test_template_needs_a_login_and_a_known_format(api, client_of, member):
    assert api.get(TEMPLATE_URL, {"format": "xlsx"}).status_code == 401
    assert client_of(member).get(TEMPLATE_URL, {"format": "pdf"}).status_code == 400


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_filled_template_imports(client_of, member, roadmap, file_format):
    client = client_of(member)
    template = client.get(TEMPLATE_URL, {"format": file_format}).content
    if file_format == "xlsx":
        workbook = load_workbook(io.BytesIO(template))
        sheet = workbook.worksheets[0]
        sheet.append(product_row(1))
        sheet.append(product_row(2, price=99.99))
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
    else:
        lines = ["Изделие 1;;27.11;да;;;5;шт;1 000,50", "Изделие 2;;27.12;нет;;;;;"]
        content = template + "\r\n".join(lines).encode("utf-8")
    response = upload(client, content, roadmap.pk, name=f"filled.{file_format}")
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 2


def test_typed_workbook_cells(member, roadmap):
    rows = [
        ["Изделие 1", None, "27.11", True, None, 10123456, 5, "шт", 7],
        ["Изделие 2", None, 27, 0, None, None, 2.5, "кг", None],
    ]
    header = ["Наименование / name", "description", "ОКПД2 (okpd2)", *FIELDS[3:]]
    check = offers_import_check(
        user=member, roadmap_id=roadmap.pk, content=xlsx_bytes(rows, header)
    )
    assert not check.errors, check.errors
    first, second = check.preview()
    assert first["import_substitution"] is True and first["gisp_number"] == "10123456"
    assert (first["capacity_per_year"], first["unit_price"]) == ("5.00", "7.00")
    assert second["okpd2"] == "27" and second["import_substitution"] is False
    assert (second["capacity_per_year"], second["unit_price"]) == ("2.50", None)


def test_write_only_workbook_with_inline_strings(member, roadmap):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(RUSSIAN)
    sheet.append(product_row(1))
    buffer = io.BytesIO()
    workbook.save(buffer)
    check = offers_import_check(user=member, roadmap_id=roadmap.pk, content=buffer.getvalue())
    assert not check.errors and check.count == 1
    assert check.rows[0].values["name"] == "Электродвигатель АИР1"


def test_sheet_xml_as_excel_writes_it():
    """Shared strings, rich inline text, shared formulas, errors and merged ranges."""
    from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

    from suppliers.importing import _sheet_rows

    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>"
        b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        b'<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>1.5E3</v></c>'
        b'<c r="C3" t="inlineStr"><is><r><t>Rich </t></r><r><t>text</t></r></is></c>'
        b'<c r="D3"><f t="shared" si="0"/><v>4</v></c><c r="E3" t="e"><v>#N/A</v></c>'
        b'<c r="F3" t="b"><v>1</v></c><c r="G3" t="s"><v>3</v></c></row>'
        b"</sheetData>"
        b'<mergeCells count="1"><mergeCell ref="A3:A4"/></mergeCells>'
        b"</worksheet>"
    )
    merged = []
    rows = list(
        _sheet_rows(
            io.BytesIO(xml),
            shared_strings=["name", "okpd2", "Изделие", "   "],
            date_styles=set(),
            epoch=CALENDAR_WINDOWS_1900,
            merged=merged,
        )
    )
    assert rows == [
        (1, {1: ("name", "s"), 2: ("okpd2", "s")}),
        (
            3,
            {
                1: ("Изделие", "s"),
                2: (1500.0, "n"),
                3: ("Rich text", "s"),
                4: ("=", "f"),
                5: ("#N/A", "e"),
                6: (True, "b"),
            },
        ),
    ]
    assert merged == ["A3:A4"]


def test_a_nul_in_a_cell_deep_in_a_csv_is_named_and_nothing_is_saved(member, roadmap):
    """Past the first 64 KiB the file's sniffing does not see it; the cell's check does
    (PostgreSQL stores no NUL in text: the import failed with a server error)."""
    rows = [product_row(n) for n in range(1, 1500)]
    rows[1400][0] = "Pump\x00with a NUL"
    rows[1401][0] = "Tab\tand back\\slash"
    content = csv_bytes(rows, encoding="utf-8")
    assert b"\x00" not in content[:65536]
    check = offers_import_check(user=member, roadmap_id=roadmap.pk, content=content)
    assert [(e["row"], e["field"]) for e in check.errors] == [(1402, "name")]
    assert "NUL" in check.errors[0]["message"]
    with pytest.raises(ImportFailed):
        offers_import(user=member, roadmap_id=roadmap.pk, content=content)
    assert not Offer.objects.filter(roadmap=roadmap).exists()
    rows[1400][0] = "Pump without one"
    ids = offers_import(
        user=member, roadmap_id=roadmap.pk, content=csv_bytes(rows, encoding="utf-8")
    )
    assert len(ids) == 1499
    assert Offer.objects.filter(pk__in=ids, name="Tab\tand back\\slash").exists()
