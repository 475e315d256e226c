"""The whole pipeline from ``forwarded`` to ``registered``, through the API and the pages,
for a corporation that requires certification and one that does not."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from certification.models import Certificate, ProductTest, RegisterEntry
from suppliers.models import OfferTransition
from tests.certification.conftest import READINESS, accept_data, make_offer, passed_test, pdf_file

pytestmark = pytest.mark.django_db


def transition(client, offer, action, data=None, comment=""):
    return client.post(
        f"/api/v1/offers/{offer.pk}/transition/",
        {"action": action, "comment": comment, "data": data or {}},
        format="json",
    )


def test_api_pipeline_with_certification(world, api_as):
    offer = make_offer(world)
    reviewer, officer = api_as(world.gaz_reviewer), api_as(world.officer)

    response = transition(reviewer, offer, "accept")
    assert response.status_code == 400 and "STO-1" in str(response.json())
    assert transition(reviewer, offer, "accept", accept_data(offer)).status_code == 200
    assert transition(reviewer, offer, "confirm_readiness", READINESS).status_code == 200
    response = reviewer.post(
        "/api/v1/tests/",
        {
            "offer": offer.pk,
            "kind": "factory",
            "started_on": "2026-01-10",
            "finished_on": "2026-01-12",
            "result": "passed",
            "protocol": pdf_file(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["protocol_url"].endswith(
        f"/api/v1/tests/{response.json()['id']}/protocol/"
    )
    assert transition(reviewer, offer, "pass_tests").status_code == 200
    # The reviewer cannot register before certification.
    assert transition(reviewer, offer, "register").status_code == 409

    today = timezone.localdate()
    response = officer.post(
        "/api/v1/certificates/",
        {
            "number": "IGC-001",
            "supplier": world.supplier.pk,
            "offers": [offer.pk],
            "issued_on": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=365)).isoformat(),
            "status": "valid",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    certificate_id = response.json()["id"]
    assert response.json()["body"] == world.body.pk
    response = transition(officer, offer, "certify", {"certificate": certificate_id})
    assert response.status_code == 200, response.content
    assert transition(reviewer, offer, "register").status_code == 200

    offer.refresh_from_db()
    assert offer.status == "registered"
    entry = RegisterEntry.objects.get(offer=offer)
    assert (entry.number, entry.certificate_id, entry.corporation_id) == (
        1,
        certificate_id,
        world.gaz.pk,
    )
    assert OfferTransition.objects.filter(offer=offer).count() == 7
    rows = api_as(world.member).get(f"/api/v1/register/?corporation={world.gaz.pk}").json()
    assert [r["offer"] for r in rows["results"]] == [offer.pk]
    checks = reviewer.get(f"/api/v1/requirement-checks/?offer={offer.pk}").json()["results"]
    assert {c["code"] for c in checks} == {"STO-1", "STO-2"}
    readiness = reviewer.get(f"/api/v1/readiness-evaluations/?offer={offer.pk}").json()
    assert readiness["results"][0]["findings"] == "Ready."
    tests = reviewer.get(f"/api/v1/tests/?offer={offer.pk}").json()["results"]
    assert len(tests) == 1 and tests[0]["result"] == "passed"


def test_api_pipeline_without_certification(world, api_as):
    offer = make_offer(world, roadmap=world.irao_roadmap)
    reviewer = api_as(world.irao_reviewer)
    assert transition(reviewer, offer, "accept", accept_data(offer)).status_code == 200
    assert transition(reviewer, offer, "confirm_readiness", READINESS).status_code == 200
    assert transition(reviewer, offer, "pass_tests", passed_test()).status_code == 200
    assert transition(api_as(world.officer), offer, "certify", {}).status_code == 404
    response = transition(reviewer, offer, "register")
    assert response.status_code == 200, response.content
    entry = RegisterEntry.objects.get(offer=offer)
    assert entry.certificate is None and entry.number == 1


def test_reject_paths_keep_the_records(world, api_as):
    offer = make_offer(world)
    reviewer = api_as(world.gaz_reviewer)
    data = accept_data(offer)
    data["requirements"][0]["outcome"] = "not_met"
    response = transition(reviewer, offer, "accept", data)
    assert response.status_code == 400 and "Reject the offer instead" in str(response.json())
    assert transition(reviewer, offer, "reject", data).status_code == 400  # comment required
    assert transition(reviewer, offer, "reject", data, comment="Not to spec").status_code == 200
    offer.refresh_from_db()
    assert offer.status == "rejected"
    assert offer.requirement_checks.filter(outcome="not_met").count() == 1


def test_ui_pipeline_with_certification(world, client):
    offer = make_offer(world)
    client.force_login(world.gaz_reviewer)
    review = reverse("certification:review", args=[offer.pk])
    page = client.get(review)
    assert page.status_code == 200 and b"STO-1" in page.content and b"STO-9" not in page.content

    form = {"decision": "accept", f"outcome_{world.req_gaz.pk}": "met"}
    response = client.post(reverse("certification:review-requirements", args=[offer.pk]), form)
    assert response.status_code == 400 and "STO-2" in response.content.decode()
    form[f"outcome_{world.req_gaz_all.pk}"] = "not_applicable"
    form[f"remarks_{world.req_gaz_all.pk}"] = "Not relevant"
    response = client.post(reverse("certification:review-requirements", args=[offer.pk]), form)
    assert response.status_code == 302
    response = client.post(
        reverse("certification:review-readiness", args=[offer.pk]),
        {"decision": "confirm_readiness", "findings": "Visited the plant."},
    )
    assert response.status_code == 400 and "capacity" in response.content.decode().lower()
    response = client.post(
        reverse("certification:review-readiness", args=[offer.pk]),
        {
            "decision": "confirm_readiness",
            "findings": "Visited the plant.",
            "capacity_confirmed": "on",
            "site_visit_on": "2026-02-01",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("certification:review-tests-decision", args=[offer.pk]), {"decision": "pass_tests"}
    )
    assert response.status_code == 400
    assert "“Decision”: no test is recorded yet." in response.content.decode()
    for kind, result in (("bench", "failed"), ("pilot", "passed"), ("bench", "passed")):
        response = client.post(
            reverse("certification:review-test-record", args=[offer.pk]),
            {
                "kind": kind,
                "started_on": "2026-02-10" if result == "passed" else "2026-02-05",
                "result": result,
                "protocol": pdf_file(),
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert ProductTest.objects.filter(offer=offer).count() == 3
    response = client.post(
        reverse("certification:review-tests-decision", args=[offer.pk]), {"decision": "pass_tests"}
    )
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == "tested"
    page = client.get(review).content.decode()
    assert "waits for certification by IGC" in page
    assert reverse("certification:test-protocol", args=[offer.tests.first().pk]) in page

    client.force_login(world.officer)
    assert offer.name in client.get(reverse("certification:officer-queue")).content.decode()
    today = timezone.localdate()
    response = client.post(
        reverse("certification:certificate-issue"),
        {
            "number": "IGC-77",
            "supplier": world.supplier.pk,
            "offers": [offer.pk],
            "issued_on": today.isoformat(),
            "valid_until": (today + datetime.timedelta(days=400)).isoformat(),
            "scan": pdf_file("scan.pdf"),
            "certify_now": "on",
        },
    )
    certificate = Certificate.objects.get(number="IGC-77")
    assert response.status_code == 302
    assert certificate.scan.name.startswith("certificates/") and "scan" not in certificate.scan.name
    offer.refresh_from_db()
    assert offer.status == "certified"
    download = client.get(reverse("certification:certificate-scan", args=[certificate.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")

    client.force_login(world.gaz_reviewer)
    response = client.post(reverse("certification:review-register", args=[offer.pk, "register"]))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == "registered"
    response = client.post(reverse("certification:review-register", args=[offer.pk, "exclude"]))
    assert response.status_code == 400 and "comment is required" in response.content.decode()
    response = client.post(
        reverse("certification:review-register", args=[offer.pk, "exclude"]),
        {"comment": "Supplier stopped production"},
    )
    offer.refresh_from_db()
    assert offer.status == "excluded"
    client.post(reverse("certification:review-register", args=[offer.pk, "reinstate"]))
    offer.refresh_from_db()
    assert offer.status == "registered"
    assert list(RegisterEntry.objects.filter(offer=offer).values_list("number", flat=True)) == [
        1,
        2,
    ]


def test_ui_pipeline_without_certification(world, client):
    offer = make_offer(world, roadmap=world.irao_roadmap)
    client.force_login(world.irao_reviewer)
    client.post(
        reverse("certification:review-requirements", args=[offer.pk]),
        {"decision": "accept", f"outcome_{world.req_irao.pk}": "met"},
    )
    client.post(
        reverse("certification:review-readiness", args=[offer.pk]),
        {"decision": "confirm_readiness", "findings": "Ok", "capacity_confirmed": "on"},
    )
    client.post(
        reverse("certification:review-test-record", args=[offer.pk]),
        {"kind": "factory", "started_on": "2026-03-01", "result": "passed"},
    )
    client.post(
        reverse("certification:review-tests-decision", args=[offer.pk]), {"decision": "pass_tests"}
    )
    page = client.get(reverse("certification:review", args=[offer.pk])).content.decode()
    assert "Include in the register" in page
    client.post(reverse("certification:review-register", args=[offer.pk, "register"]))
    offer.refresh_from_db()
    assert offer.status == "registered"
    assert offer.history.count() == 6


def test_stale_decision_is_the_form_again_not_an_error(world, client):
    """A decision on a stage the offer has left: the form again with the choices made (409)
    and the refusal above it, never a 500."""
    offer = make_offer(world, status="requirements_met")
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("certification:review-requirements", args=[offer.pk]),
        {
            "decision": "accept",
            f"outcome_{world.req_gaz.pk}": "met",
            f"outcome_{world.req_gaz_all.pk}": "met",
        },
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "is not allowed while the offer is" in page
    outcome = re.search(rf'<select name="outcome_{world.req_gaz.pk}".*?</select>', page, re.S)
    assert outcome and '<option value="met" selected>' in outcome.group(0)
