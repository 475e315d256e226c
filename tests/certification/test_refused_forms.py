"""A stage or certificate form whose step the state refuses after the page was opened
(another reviewer or officer acted meanwhile): the same page again with what was typed in
the fields, the refusal above the form in the page's alert and 409, nothing recorded. A
step with nothing typed (a button) still goes back to its page with the message."""

import datetime
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from certification import services
from certification.models import Certificate, CertificateEvent, ProductTest, ReadinessEvaluation
from suppliers.models import OfferTransition
from suppliers.services import offer_transition
from tests.factories import CertificateFactory, user_with_role

from .conftest import READINESS, make_offer, passed_test

pytestmark = pytest.mark.django_db


def alert(page: str) -> str:
    """The text of the page's one form error alert (``includes/form_errors.html``)."""
    found = re.findall(
        r'<div class="alert alert-danger" role="alert">(.*?)</div>\s*</div>', page, re.S
    )
    assert len(found) == 1, found
    return html.unescape(re.sub(r"<[^>]+>", "", found[0])).strip()


def textarea(page: str, name: str) -> list[str]:
    """The text of each textarea ``name`` on the page."""
    return [
        html.unescape(text).strip()
        for text in re.findall(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    ]


def section(page: str, element_id: str) -> str:
    """The card ``element_id`` of the review page, up to the next card."""
    start = page.index(f'id="{element_id}"')
    end = page.find('<div class="card ', start)
    return page[start : end if end != -1 else None]


@pytest.fixture
def colleague(world):
    """A second reviewer of the same corporation, who acts while the first one types."""
    return user_with_role("reviewer", corporation=world.gaz)


def test_a_readiness_evaluation_refused_keeps_the_findings(world, client, colleague):
    offer = make_offer(world, status="requirements_met")
    offer_transition(offer_id=offer.pk, user=colleague, action="confirm_readiness", data=READINESS)
    rows = (OfferTransition.objects.count(), ReadinessEvaluation.objects.count())

    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("certification:review-readiness", args=[offer.pk]),
        {
            "capacity_confirmed": "on",
            "site_visit_on": "2026-02-03",
            "findings": "Line 3 runs <two> shifts",
            "decision": "confirm_readiness",
            "comment": "Visited with the plant's QA lead",
        },
    )

    assert response.status_code == 409
    page = response.content.decode()
    readiness = section(page, "stage-readiness")
    assert textarea(readiness, "findings") == ["Line 3 runs <two> shifts"]
    assert textarea(readiness, "comment") == ["Visited with the plant's QA lead"]
    assert 'name="site_visit_on" value="2026-02-03"' in page
    assert alert(page) == (
        "“Confirm readiness for mass production” is not allowed while the offer is Readiness confirmed."
    )
    # The page shows the offer as it is now.
    assert re.search(r'id="offer-status">Readiness confirmed<', page)
    assert (OfferTransition.objects.count(), ReadinessEvaluation.objects.count()) == rows


def test_a_test_record_refused_keeps_the_remarks(world, client, colleague):
    offer = make_offer(world, status="readiness_confirmed")
    offer_transition(offer_id=offer.pk, user=colleague, action="pass_tests", data=passed_test())
    tests = ProductTest.objects.count()

    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("certification:review-test-record", args=[offer.pk]),
        {
            "kind": "bench",
            "started_on": "2026-02-01",
            "finished_on": "2026-02-04",
            "result": "passed",
            "remarks": "Leak test at 1.5 PN, no drops",
        },
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert textarea(page, "remarks") == ["Leak test at 1.5 PN, no drops"]
    assert 'name="started_on" value="2026-02-01"' in page
    assert alert(page) == "Tests are recorded after readiness is confirmed; the offer is Tested."
    assert ProductTest.objects.count() == tests


def test_an_exclusion_refused_keeps_its_reason(world, client):
    offer = make_offer(world, roadmap=world.irao_roadmap, status="registered")
    colleague = user_with_role("reviewer", corporation=world.irao)
    offer_transition(offer_id=offer.pk, user=colleague, action="exclude", comment="Expired")
    rows = OfferTransition.objects.count()

    client.force_login(world.irao_reviewer)
    response = client.post(
        reverse("certification:review-register", args=[offer.pk, "exclude"]),
        {"comment": "The supplier lost its licence"},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "The supplier lost its licence" in textarea(page, "comment")
    assert alert(page) == (
        "“Exclude from the register” is not allowed while the offer is Excluded."
    )
    # The refused step's button stays: sending again gets the same refusal.
    assert reverse("certification:review-register", args=[offer.pk, "exclude"]) in page
    assert OfferTransition.objects.count() == rows


def test_a_register_button_refused_still_goes_back_with_its_message(world, client):
    offer = make_offer(world, roadmap=world.irao_roadmap, status="tested")
    colleague = user_with_role("reviewer", corporation=world.irao)
    offer_transition(offer_id=offer.pk, user=colleague, action="register")
    rows = OfferTransition.objects.count()

    client.force_login(world.irao_reviewer)
    response = client.post(
        reverse("certification:review-register", args=[offer.pk, "register"]), {"comment": ""}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("certification:review", args=[offer.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "“Include in the register” is not allowed while the offer is Registered."
    ]
    assert OfferTransition.objects.count() == rows


def test_a_renewal_refused_keeps_the_certificate_data(world, client):
    offer = make_offer(world, status="tested")
    old = CertificateFactory(
        body=world.body, supplier=world.supplier, number="IGC-1", offers=[offer]
    )
    other_officer = user_with_role("officer", certification_body=world.body)
    valid_until = timezone.localdate() + datetime.timedelta(days=900)
    services.certificate_renew(
        certificate_id=old.pk,
        user=other_officer,
        number="IGC-2",
        issued_on=timezone.localdate(),
        valid_until=valid_until,
    )
    certificates = Certificate.objects.count()

    client.force_login(world.officer)
    response = client.post(
        reverse("certification:certificate-renew", args=[old.pk]),
        {"number": "IGC-2-BIS", "issued_on": "2026-03-01", "valid_until": "2029-03-01"},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert 'name="number" value="IGC-2-BIS"' in page
    assert 'name="valid_until" value="2029-03-01"' in page
    assert alert(page) == "Certificate IGC-1 is renewed already."
    assert Certificate.objects.count() == certificates


def test_a_suspension_refused_keeps_its_reason(world, client):
    certificate = CertificateFactory(body=world.body, supplier=world.supplier, number="IGC-7")
    other_officer = user_with_role("officer", certification_body=world.body)
    services.certificate_set_status(
        certificate_id=certificate.pk, user=other_officer, status="revoked", reason="Fraud"
    )
    events = CertificateEvent.objects.count()

    client.force_login(world.officer)
    response = client.post(
        reverse("certification:certificate-status", args=[certificate.pk, "suspend"]),
        {"reason": "Audit findings of March"},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert textarea(page, "reason") == ["Audit findings of March"]
    assert alert(page) == "Certificate IGC-7 is Revoked and cannot change."
    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_reason) == ("revoked", "Fraud")
    assert CertificateEvent.objects.count() == events
