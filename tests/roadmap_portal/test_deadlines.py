"""The deadline view: each role's tenders closing, certificates expiring and demands due,
scoped in the query, as a page by week and as an iCalendar feed."""

import datetime
import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from roadmap_portal.insights.deadlines import deadlines_for
from tests.factories import (
    CertificateFactory,
    CertificationBodyFactory,
    CorporationFactory,
    DemandFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    TenderFactory,
    admin_user,
    user_with_role,
)
from tests.helpers import assert_constant_queries
from tests.procurement.conftest import make_world

pytestmark = pytest.mark.django_db

URL = "/deadlines/"
ICS_URL = "/deadlines/calendar.ics"


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def w():
    """The procurement world (a supplier eligible for one open tender of the group's
    subsidiary) with deadlines around it, in scope and out of it."""
    world = make_world(deadline_in_days=30)
    world.certificate.valid_until = days(60)
    world.certificate.save(update_fields=["valid_until"])
    other_body = CertificationBodyFactory()
    other_group = CorporationFactory(required_body=other_body)
    other_region = RegionFactory()
    RoadmapFactory(region=other_region, corporation=other_group)
    other_supplier = SupplierFactory(region=other_region)
    renewed = CertificateFactory(
        body=world.body, supplier=world.supplier, issued_on=days(-300), valid_until=days(25)
    )
    CertificateFactory(
        body=world.body,
        supplier=world.supplier,
        issued_on=days(-1),
        valid_until=days(700),
        renews=renewed,
    )
    items = SimpleNamespace(
        world=world,
        tender=world.tender,
        tender_outside=TenderFactory(customer=world.group, categories=["99.99"], deadline=days(10)),
        tender_overdue=TenderFactory(customer=world.group, categories=["28.14"], deadline=days(-3)),
        tender_closed=TenderFactory(customer=world.group, status="closed", deadline=days(5)),
        tender_far=TenderFactory(customer=world.group, categories=["28.14"], deadline=days(200)),
        tender_other=TenderFactory(customer=other_group, deadline=days(7)),
        demand=DemandFactory(customer=world.subsidiary, category="28.14", deadline=days(12)),
        demand_unmatched=DemandFactory(customer=world.group, category="10.11", deadline=days(14)),
        demand_overdue=DemandFactory(customer=world.group, category="28.14", deadline=days(-2)),
        demand_long_ago=DemandFactory(customer=world.group, category="28.14", deadline=days(-90)),
        demand_undated=DemandFactory(customer=world.group, category="28.14", deadline=None),
        demand_other=DemandFactory(customer=other_group, category="28.14", deadline=days(3)),
        certificate=world.certificate,
        certificate_lapsed=CertificateFactory(
            body=world.body, supplier=world.supplier, issued_on=days(-400), valid_until=days(-1)
        ),
        certificate_revoked=CertificateFactory(
            body=world.body, supplier=world.supplier, status="revoked", valid_until=days(9)
        ),
        certificate_other=CertificateFactory(
            body=other_body, supplier=other_supplier, valid_until=days(20)
        ),
        supplier=user_with_role("supplier", supplier=world.supplier),
        staff=user_with_role("region_staff", region=world.region),
        reviewer=user_with_role("reviewer", corporation=world.group),
        officer=user_with_role("officer", certification_body=world.body),
        other_staff=user_with_role("region_staff", region=other_region),
        other_reviewer=user_with_role("reviewer", corporation=other_group),
        other_officer=user_with_role("officer", certification_body=other_body),
    )
    return items


def seen(user, **kwargs):
    return {(item.kind, item.pk) for item in deadlines_for(user, **kwargs).items}


def test_a_supplier_sees_tenders_it_may_bid_in_its_certificates_and_matching_demands(w):
    assert seen(w.supplier) == {
        ("tender", w.tender.pk),
        ("certificate", w.certificate.pk),
        ("certificate", w.certificate_lapsed.pk),
        ("demand", w.demand.pk),
        ("demand", w.demand_overdue.pk),
    }


def test_region_staff_see_their_region_s_tenders_demands_and_certificates(w):
    assert seen(w.staff) == {
        ("tender", w.tender.pk),
        ("tender", w.tender_outside.pk),
        ("tender", w.tender_overdue.pk),
        ("certificate", w.certificate.pk),
        ("certificate", w.certificate_lapsed.pk),
        ("demand", w.demand.pk),
        ("demand", w.demand_unmatched.pk),
        ("demand", w.demand_overdue.pk),
    }
    assert seen(w.other_staff) == {
        ("tender", w.tender_other.pk),
        ("certificate", w.certificate_other.pk),
        ("demand", w.demand_other.pk),
    }


def test_a_reviewer_sees_the_group_s_and_its_required_body_s(w):
    assert seen(w.reviewer) == seen(w.staff)
    assert seen(w.other_reviewer) == seen(w.other_staff)


def test_an_officer_sees_the_body_s_certificates_only(w):
    assert seen(w.officer) == {
        ("certificate", w.certificate.pk),
        ("certificate", w.certificate_lapsed.pk),
    }
    assert seen(w.other_officer) == {("certificate", w.certificate_other.pk)}


def test_the_look_ahead_widens_the_window(w):
    assert ("tender", w.tender_far.pk) not in seen(w.staff)
    assert ("tender", w.tender_far.pk) in seen(w.staff, ahead=365)


def test_items_are_sorted_by_date_and_the_passed_ones_are_overdue(w):
    agenda = deadlines_for(w.staff)
    assert [item.day for item in agenda.items] == sorted(item.day for item in agenda.items)
    assert {(item.kind, item.pk) for item in agenda.overdue} == {
        ("tender", w.tender_overdue.pk),
        ("certificate", w.certificate_lapsed.pk),
        ("demand", w.demand_overdue.pk),
    }
    for _monday, _sunday, items in agenda.weeks():
        assert all(not item.overdue for item in items)


def test_each_kind_is_capped(w, monkeypatch):
    monkeypatch.setattr("roadmap_portal.insights.deadlines.MAX_PER_KIND", 2)

    agenda = deadlines_for(w.staff)

    assert agenda.truncated == ("tender", "demand")
    assert [item.pk for item in agenda.items if item.kind == "tender"] == [
        w.tender_overdue.pk,
        w.tender_outside.pk,
    ]


# --- the page ------------------------------------------------------------------------------


def page_client(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_the_page_lists_overdue_first_then_week_by_week(w):
    response = page_client(w.staff).get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    overdue = re.search(r'id="deadline-overdue".*?</section>', html, re.S).group(0)
    assert f'data-deadline="tender-{w.tender_overdue.pk}"' in overdue
    assert f'data-deadline="demand-{w.demand_overdue.pk}"' in overdue
    assert f'data-deadline="certificate-{w.certificate_lapsed.pk}"' in overdue
    assert overdue.count("deadline-item") == 3
    order = re.findall(r'data-deadline="([a-z]+-\d+)"', html.split('id="deadline-overdue"')[1])
    upcoming = order[3:]
    assert upcoming[0] == f"tender-{w.tender_outside.pk}"  # day 10, before day 12 and 14
    assert upcoming.index(f"demand-{w.demand.pk}") < upcoming.index(f"tender-{w.tender.pk}")
    assert f'href="/procurement/tenders/{w.tender.pk}/"' in html
    assert f'href="/certification/certificates/{w.certificate.pk}/"' in html
    assert "Week of" in html
    assert f"tender-{w.tender_other.pk}" not in html


def test_the_page_offers_the_look_ahead_and_ignores_a_bad_value(w):
    wide = page_client(w.staff).get(URL, {"ahead": "365"}).content.decode()
    assert f'data-deadline="tender-{w.tender_far.pk}"' in wide
    assert '<option value="365" selected>' in wide
    odd = page_client(w.staff).get(URL, {"ahead": "99999"}).content.decode()
    assert f'data-deadline="tender-{w.tender_far.pk}"' not in odd
    assert '<option value="90" selected>' in odd


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_empty_agenda_says_so(db):
    html = page_client(user_with_role("officer", certification_body=CertificationBodyFactory()))
    text = html.get(URL).content.decode()
    assert 'id="deadline-empty"' in text


def test_the_navigation_and_home_link_to_the_page(w):
    home = page_client(w.supplier).get("/").content.decode()
    assert 'id="home-deadlines"' in home
    assert home.count('href="/deadlines/"') == 2  # the procurement menu and the home page
    officer_home = page_client(w.officer).get("/").content.decode()
    assert officer_home.count('href="/deadlines/"') == 2  # the certificates menu and home


@pytest.mark.parametrize("role", ["staff", "supplier"])
def test_the_page_issues_the_same_queries_for_one_item_and_for_fifty(w, role):
    user = getattr(w, role)
    client = page_client(user)
    world = w.world

    def make(n):
        for i in range(n):
            TenderFactory(customer=world.group, categories=["28.14"], deadline=days(1 + i % 60))
            DemandFactory(customer=world.group, category="28.14", deadline=days(2 + i % 60))
            CertificateFactory(body=world.body, supplier=world.supplier, valid_until=days(3 + i))

    def call():
        response = client.get(URL)
        assert response.status_code == 200
        return response

    client.get(URL)
    queries = assert_constant_queries(make, call)
    # Measured: 7 for region staff, 16 for a supplier (its eligibility checks).
    assert queries <= (18 if role == "supplier" else 10), queries


# --- the calendar feed ---------------------------------------------------------------------


def test_the_calendar_feed_has_the_page_s_items_as_all_day_events(w):
    response = page_client(w.staff).get(ICS_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")  # every line ends in CRLF
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "").replace("\r\n", "\n")
    uids = re.findall(r"^UID:(.+)$", unfolded, re.M)
    assert sorted(uids) == sorted(f"{kind}-{pk}@roadmap-portal" for kind, pk in seen(w.staff))
    event = unfolded.split(f"UID:tender-{w.tender.pk}@roadmap-portal")[1].split("END:VEVENT")[0]
    assert f"DTSTART;VALUE=DATE:{w.tender.deadline:%Y%m%d}" in event
    end = w.tender.deadline + datetime.timedelta(days=1)
    assert f"DTEND;VALUE=DATE:{end:%Y%m%d}" in event
    assert f"SUMMARY:Tender closes: {w.tender.number} {w.tender.title}" in event
    assert f"URL:http://testserver/procurement/tenders/{w.tender.pk}/" in event
    overdue = unfolded.split(f"UID:demand-{w.demand_overdue.pk}@roadmap-portal")[1]
    assert "SUMMARY:Overdue · Demand due:" in overdue.split("END:VEVENT")[0]


def test_the_calendar_escapes_text_values(w):
    w.demand.title = "Valves, gates; and\nfittings \\ spares"
    w.demand.save(update_fields=["title"])

    body = page_client(w.staff).get(ICS_URL).content.decode().replace("\r\n ", "")

    assert "Demand due: Valves\\, gates\\; and\\nfittings \\\\ spares" in body


def test_the_calendar_is_scoped_and_needs_a_login(w, client):
    assert client.get(ICS_URL).status_code == 302
    body = page_client(w.officer).get(ICS_URL).content.decode()
    assert body.count("BEGIN:VEVENT") == 2
    assert "tender-" not in body


def test_an_administrator_sees_every_kind(w):
    agenda_kinds = {kind for kind, _pk in seen(admin_user())}
    assert agenda_kinds == {"tender", "certificate", "demand"}
    assert ("tender", w.tender_other.pk) in seen(admin_user())
