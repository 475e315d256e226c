"""Protocol and scan uploads, expiry reminders and corporate requirements."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certification import services
from certification.models import ProductTest, Requirement
from roadmap_portal.models import Notification
from roadmap_portal.notifications import tasks
from roadmap_portal.notifications.services import expiry_reminders_send
from tests.certification.conftest import make_offer, pdf_file
from tests.factories import CertificateFactory
from tests.helpers import assert_scope

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def small_limit(settings):
    settings.MAX_UPLOAD_BYTES = 1024
    return settings


BAD_FILES = [
    ("notes.pdf", b"just text, not a PDF", "not a PDF"),
    ("empty.pdf", b"", "empty"),
    ("big.pdf", b"%PDF-1.4\n" + b"0" * 2048, "the limit is"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_bad_protocols_are_rejected(world, api_as, client, small_limit, name, content, message):
    offer = make_offer(world, status="readiness_confirmed")
    response = api_as(world.gaz_reviewer).post(
        "/api/v1/tests/",
        {
            "offer": offer.pk,
            "kind": "bench",
            "started_on": "2026-01-01",
            "result": "passed",
            "protocol": pdf_file(name, content),
        },
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["protocol"])
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("certification:review-test-record", args=[offer.pk]),
        {
            "kind": "bench",
            "started_on": "2026-01-01",
            "result": "passed",
            "protocol": pdf_file(name, content),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "is-invalid" in html and message in html
    assert ProductTest.objects.filter(offer=offer).count() == 0


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_bad_scans_are_rejected(world, api_as, small_limit, name, content, message):
    certificate = CertificateFactory(body=world.body, supplier=world.supplier)
    response = api_as(world.officer).post(
        f"/api/v1/certificates/{certificate.pk}/scan/",
        {"scan": pdf_file(name, content)},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["scan"])
    certificate.refresh_from_db()
    assert not certificate.scan


def test_scan_and_protocol_downloads_are_scoped(world, api_as, client):
    certificate = CertificateFactory(body=world.body, supplier=world.supplier)
    officer = api_as(world.officer)
    response = officer.post(
        f"/api/v1/certificates/{certificate.pk}/scan/", {"scan": pdf_file()}, format="multipart"
    )
    assert response.status_code == 200 and response.json()["scan_url"]
    url = f"/api/v1/certificates/{certificate.pk}/scan/"
    assert b"".join(api_as(world.member).get(url).streaming_content).startswith(b"%PDF-")
    assert api_as(world.other_member).get(url).status_code == 404
    assert (
        api_as(world.member).post(url, {"scan": pdf_file()}, format="multipart").status_code == 403
    )

    offer = make_offer(world, status="readiness_confirmed")
    test = services.product_test_record(
        offer_id=offer.pk,
        user=world.gaz_reviewer,
        kind="pilot",
        started_on=TODAY(),
        result="passed",
        protocol=pdf_file(),
    )
    assert_scope(
        url=f"/api/v1/tests/{test.pk}/protocol/",
        anonymous_client=api_as(None),
        out_of_scope=api_as(world.irao_reviewer),
        allowed=api_as(world.member),
    )
    client.force_login(world.irao_reviewer)
    assert client.get(reverse("certification:test-protocol", args=[test.pk])).status_code == 404
    client.force_login(world.member)
    assert client.get(reverse("certification:test-protocol", args=[test.pk])).status_code == 200
    response = api_as(world.member).post(
        "/api/v1/tests/",
        {"offer": offer.pk, "kind": "bench", "started_on": "2026-01-01", "result": "passed"},
    )
    assert response.status_code == 403
    response = api_as(world.irao_reviewer).post(
        "/api/v1/tests/",
        {"offer": offer.pk, "kind": "bench", "started_on": "2026-01-01", "result": "passed"},
    )
    # An offer outside the reviewer's scope answers as a missing one: 400 on ``offer``.
    assert response.status_code == 400
    assert response.json() == {"offer": [f'Invalid pk "{offer.pk}" - object does not exist.']}


def test_expiry_reminders_once_per_threshold_and_stopped_by_renewal(world):
    offer = make_offer(world, status="registered")
    certificate = offer.certificates.get()
    certificate.valid_until = TODAY() + datetime.timedelta(days=30)
    certificate.save()
    far = CertificateFactory(
        body=world.body, supplier=world.supplier, valid_until=TODAY() + datetime.timedelta(days=200)
    )
    assert tasks.send_expiry_reminders.delay().get() == {"sent": 2}
    assert expiry_reminders_send() == {"sent": 0}
    rows = Notification.objects.filter(event="certificate_expiry")
    assert {n.recipient for n in rows} == {world.member, world.gaz_reviewer}
    assert all("expires in 30 days" in n.message for n in rows)
    assert not rows.filter(object_id=far.pk).exists()
    # Later thresholds are new reminders; the day itself too.
    assert (
        expiry_reminders_send(on=certificate.valid_until - datetime.timedelta(days=7))["sent"] == 2
    )
    assert expiry_reminders_send(on=certificate.valid_until)["sent"] == 2
    assert expiry_reminders_send(on=certificate.valid_until)["sent"] == 0
    assert Notification.objects.filter(event="certificate_expiry").count() == 6

    renewed = CertificateFactory(
        body=world.body,
        supplier=world.supplier,
        offers=[offer],
        renews=certificate,
        valid_until=TODAY() + datetime.timedelta(days=800),
    )
    assert renewed.renews_id == certificate.pk
    Notification.objects.all().delete()
    assert expiry_reminders_send(on=certificate.valid_until)["sent"] == 0


def test_requirements_pages_and_api(world, client, api_as):
    client.force_login(world.gaz_reviewer)
    page = client.get(reverse("certification:requirement-list")).content.decode()
    assert "STO-1" in page and "TT-1" not in page
    response = client.post(
        reverse("certification:requirement-create"),
        {"code": "STO-1", "title": "Duplicate", "categories": "28", "active": "on"},
    )
    assert (
        response.status_code == 400
        and "already has a requirement STO-1" in response.content.decode()
    )
    response = client.post(
        reverse("certification:requirement-create"),
        {"code": "STO-3", "title": "Paint", "categories": "20.30, 28.14", "active": "on"},
    )
    assert response.status_code == 302
    created = Requirement.objects.get(corporation=world.gaz, code="STO-3")
    assert created.categories == ["20.30", "28.14"]
    response = client.post(
        reverse("certification:requirement-edit", args=[created.pk]),
        {"code": "STO-3", "title": "Paint", "categories": "00.99"},
    )
    assert response.status_code == 400 and "does not exist" in response.content.decode()
    client.post(reverse("certification:requirement-toggle", args=[created.pk]), {"active": "0"})
    created.refresh_from_db()
    assert created.active is False
    assert (
        client.get(reverse("certification:requirement-edit", args=[world.req_irao.pk])).status_code
        == 404
    )

    reviewer = api_as(world.gaz_reviewer)
    response = reviewer.post(
        "/api/v1/requirements/", {"code": "STO-4", "title": "Valves", "categories": ["28.14"]}
    )
    assert response.status_code == 201, response.content
    assert response.json()["corporation"] == world.gaz.pk
    new_id = response.json()["id"]
    response = reviewer.patch(f"/api/v1/requirements/{new_id}/", {"active": False}, format="json")
    assert response.status_code == 200 and response.json()["active"] is False
    response = reviewer.post("/api/v1/requirements/", {"code": "STO-4", "title": "Again"})
    assert response.status_code == 400 and "code" in response.json()
    assert_scope(
        url=f"/api/v1/requirements/{world.req_gaz.pk}/",
        method="patch",
        data={"title": "Changed"},
        anonymous_client=api_as(None),
        wrong_role=api_as(world.member),
        out_of_scope=api_as(world.irao_reviewer),
        allowed=reviewer,
    )
    # Inactive requirements no longer apply to new checks.
    assert world.req_gaz.pk in [r.pk for r in services.applicable_requirements(make_offer(world))]
    Requirement.objects.filter(pk=world.req_gaz.pk).update(active=False)
    assert world.req_gaz.pk not in [
        r.pk for r in services.applicable_requirements(make_offer(world))
    ]


def test_expiry_reminders_read_each_certificates_recipients_in_one_query(world):
    """The supplier's members and the corporations' reviewers come in one query."""
    offer = make_offer(world, status="registered")
    certificate = offer.certificates.get()
    certificate.valid_until = TODAY() + datetime.timedelta(days=30)
    certificate.save()
    with CaptureQueriesContext(connection) as queries:
        assert expiry_reminders_send() == {"sent": 2}
    user_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "auth_user"')]
    assert len(user_reads) == 1, user_reads
