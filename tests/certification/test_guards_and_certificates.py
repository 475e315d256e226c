"""Certification guards, expiry, suspension, revocation, renewal and the certificates API."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from certification import lifecycle, services, tasks
from certification.models import Certificate, CertificateEvent, RegisterEntry
from suppliers.models import OfferTransition
from tests.certification.conftest import make_offer
from tests.factories import CertificateFactory
from tests.helpers import assert_scope

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def certify(api_as, world, offer, data):
    return api_as(world.officer).post(
        f"/api/v1/offers/{offer.pk}/transition/",
        {"action": "certify", "data": data},
        format="json",
    )


def assert_refused(api_as, world, offer, data, reason):
    before = OfferTransition.objects.filter(offer=offer).count()
    response = certify(api_as, world, offer, data)
    assert response.status_code == 400, response.content
    assert reason in str(response.json()), response.json()
    offer.refresh_from_db()
    assert offer.status == "tested"
    assert OfferTransition.objects.filter(offer=offer).count() == before


def test_certify_guards(world, api_as):
    offer = make_offer(world, status="tested")
    other_offer = make_offer(world, supplier=world.other_supplier, status="tested")
    assert_refused(api_as, world, offer, {}, "The certificate is missing")
    expired = CertificateFactory(
        body=world.body,
        supplier=world.supplier,
        issued_on=TODAY() - datetime.timedelta(days=400),
        valid_until=TODAY() - datetime.timedelta(days=1),
        offers=[offer],
    )
    assert_refused(api_as, world, offer, {"certificate": expired.pk}, "expired on")
    foreign_body = CertificateFactory(
        body=world.other_body, supplier=world.supplier, offers=[offer]
    )
    # Another body's certificate is outside the officer's scope: it answers as a missing one
    # and its number is not told.
    assert_refused(
        api_as, world, offer, {"certificate": foreign_body.pk}, f"{foreign_body.pk} does not exist"
    )
    assert foreign_body.number not in str(
        certify(api_as, world, offer, {"certificate": foreign_body.pk}).json()
    )
    others = CertificateFactory(
        body=world.body, supplier=world.other_supplier, offers=[other_offer]
    )
    assert_refused(api_as, world, offer, {"certificate": others.pk}, "belongs to another supplier")
    not_covering = CertificateFactory(body=world.body, supplier=world.supplier)
    assert_refused(api_as, world, offer, {"certificate": not_covering.pk}, "does not cover")
    suspended = CertificateFactory(
        body=world.body, supplier=world.supplier, offers=[offer], status="suspended"
    )
    assert_refused(api_as, world, offer, {"certificate": suspended.pk}, "Suspended")
    assert_refused(api_as, world, offer, {"certificate": 999999}, "does not exist")
    # Wrong role and wrong state.
    good = CertificateFactory(body=world.body, supplier=world.supplier, offers=[offer])
    response = api_as(world.gaz_reviewer).post(
        f"/api/v1/offers/{offer.pk}/transition/",
        {"action": "certify", "data": {"certificate": good.pk}},
        format="json",
    )
    assert response.status_code == 403
    assert certify(api_as, world, offer, {"certificate": good.pk}).status_code == 200
    assert certify(api_as, world, offer, {"certificate": good.pk}).status_code == 409


def registered_with_certificate(world, count=2, **cert):
    offers = [make_offer(world, status="tested") for _ in range(count)]
    certificate = CertificateFactory(
        body=world.body, supplier=world.supplier, offers=offers, **cert
    )
    for offer in offers:
        services_certify_and_register(world, offer, certificate)
    return offers, certificate


def services_certify_and_register(world, offer, certificate):
    from suppliers.services import offer_transition

    offer_transition(
        offer_id=offer.pk,
        user=world.officer,
        action="certify",
        data={"certificate": certificate.pk},
    )
    offer_transition(offer_id=offer.pk, user=world.gaz_reviewer, action="register")
    offer.refresh_from_db()


def test_lapse_excludes_exactly_the_covered_registered_offers_once(world):
    offers, certificate = registered_with_certificate(
        world, valid_until=TODAY() + datetime.timedelta(days=10)
    )
    keep, _other = registered_with_certificate(world, count=1)
    certified_only = make_offer(world, status="tested")
    certificate.offers.add(certified_only)
    history = OfferTransition.objects.count()

    assert services.lapse_certificates(on=TODAY()) == {"lapsed": 0, "excluded": 0}
    result = tasks.lapse_certificates.delay(
        on=(TODAY() + datetime.timedelta(days=11)).isoformat()
    ).get()
    assert result == {"lapsed": 1, "excluded": 2}
    assert OfferTransition.objects.count() == history + 2
    certificate.refresh_from_db()
    assert certificate.status == "expired"
    for offer in offers:
        offer.refresh_from_db()
        assert offer.status == "excluded"
        entry = RegisterEntry.objects.get(offer=offer)
        assert entry.excluded_on == TODAY() and "Expired" in entry.exclusion_reason
    keep[0].refresh_from_db()
    certified_only.refresh_from_db()
    assert (keep[0].status, certified_only.status) == ("registered", "tested")

    again = services.lapse_certificates(on=TODAY() + datetime.timedelta(days=12))
    assert again == {"lapsed": 0, "excluded": 0}
    assert OfferTransition.objects.count() == history + 2


def test_every_certificate_step_names_the_event_it_writes():
    assert set(lifecycle.EVENTS) == set(lifecycle.CERTIFICATES.actions)


def test_lapse_writes_exactly_the_lifecycles_expire_event(world):
    certificate = CertificateFactory(
        body=world.body,
        supplier=world.supplier,
        issued_on=TODAY() - datetime.timedelta(days=400),
        valid_until=TODAY() - datetime.timedelta(days=1),
    )
    step = lifecycle.CERTIFICATES.find("expire", certificate.status)
    reason = f"Expired on {certificate.valid_until.isoformat()}."

    services.lapse_certificates(on=TODAY())
    services.lapse_certificates(on=TODAY())

    events = CertificateEvent.objects.filter(certificate=certificate)
    assert list(events.values_list("kind", "status", "reason", "actor")) == [
        (lifecycle.EVENTS[step.action], step.target, reason, None)
    ]
    certificate.refresh_from_db()
    assert (certificate.status, certificate.status_reason) == (step.target, reason)


def test_suspend_and_revoke_exclude_at_once_and_reinstate_needs_a_valid_certificate(
    world, api_as, client
):
    offers, certificate = registered_with_certificate(world)
    officer = api_as(world.officer)
    assert officer.post(f"/api/v1/certificates/{certificate.pk}/suspend/", {}).status_code == 400
    response = officer.post(
        f"/api/v1/certificates/{certificate.pk}/suspend/", {"reason": "Audit findings"}
    )
    assert response.status_code == 200 and response.json()["status"] == "suspended"
    for offer in offers:
        offer.refresh_from_db()
        assert offer.status == "excluded"

    reviewer = api_as(world.gaz_reviewer)
    url = f"/api/v1/offers/{offers[0].pk}/transition/"
    response = reviewer.post(url, {"action": "reinstate"}, format="json")
    assert response.status_code == 400 and "No valid certificate" in str(response.json())
    offers[0].refresh_from_db()
    assert offers[0].status == "excluded"

    assert officer.post(f"/api/v1/certificates/{certificate.pk}/reinstate/").status_code == 200
    assert reviewer.post(url, {"action": "reinstate"}, format="json").status_code == 200
    offers[0].refresh_from_db()
    assert offers[0].status == "registered"

    client.force_login(world.officer)
    response = client.post(
        reverse("certification:certificate-status", args=[certificate.pk, "revoke"]),
        {"reason": "Fraud"},
    )
    assert response.status_code == 302
    offers[0].refresh_from_db()
    certificate.refresh_from_db()
    assert (certificate.status, offers[0].status) == ("revoked", "excluded")
    response = officer.post(f"/api/v1/certificates/{certificate.pk}/reinstate/")
    assert response.status_code == 409


def test_renewal_keeps_offers_registered_and_the_old_certificate(world, api_as):
    offers, old = registered_with_certificate(
        world, valid_until=TODAY() + datetime.timedelta(days=20)
    )
    response = api_as(world.officer).post(
        f"/api/v1/certificates/{old.pk}/renew/",
        {
            "number": "RENEWED-1",
            "valid_until": (TODAY() + datetime.timedelta(days=900)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    new = Certificate.objects.get(pk=response.json()["id"])
    assert new.renews_id == old.pk
    assert set(new.offers.values_list("pk", flat=True)) == {o.pk for o in offers}
    old.refresh_from_db()
    assert old.status == "valid"
    assert (
        api_as(world.officer).get(f"/api/v1/certificates/{old.pk}/").json()["renewed_by"] == new.pk
    )
    again = api_as(world.officer).post(
        f"/api/v1/certificates/{old.pk}/renew/",
        {
            "number": "RENEWED-2",
            "valid_until": (TODAY() + datetime.timedelta(days=900)).isoformat(),
        },
        format="json",
    )
    assert again.status_code == 409
    services.lapse_certificates(on=TODAY() + datetime.timedelta(days=30))
    for offer in offers:
        offer.refresh_from_db()
        assert offer.status == "registered"
        assert RegisterEntry.objects.get(offer=offer, excluded_on=None).certificate_id == new.pk


def test_issue_validation(world, api_as):
    offer = make_offer(world, status="tested")
    other = make_offer(world, supplier=world.other_supplier, status="tested")
    irao_offer = make_offer(world, roadmap=world.irao_roadmap, status="tested")
    officer = api_as(world.officer)
    base = {
        "number": "N-1",
        "supplier": world.supplier.pk,
        "offers": [offer.pk],
        "issued_on": TODAY().isoformat(),
        "valid_until": (TODAY() + datetime.timedelta(days=30)).isoformat(),
    }
    assert officer.post("/api/v1/certificates/", base, format="json").status_code == 201
    response = officer.post("/api/v1/certificates/", base, format="json")
    assert response.status_code == 400 and "number" in response.json()
    response = officer.post(
        "/api/v1/certificates/", {**base, "number": "N-2", "offers": [offer.pk, other.pk]}
    )
    assert response.status_code == 400 and "one supplier" in str(response.json()["offers"])
    response = officer.post(
        "/api/v1/certificates/", {**base, "number": "N-3", "offers": [irao_offer.pk]}
    )
    assert response.status_code == 400 and "offers" in response.json()
    response = officer.post(
        "/api/v1/certificates/",
        {
            **base,
            "number": "N-4",
            "valid_until": (TODAY() - datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400 and "valid_until" in response.json()
    response = officer.post(
        "/api/v1/certificates/", {**base, "number": "N-5", "body": world.other_body.pk}
    )
    assert response.status_code == 400 and "body" in response.json()
    response = officer.post("/api/v1/certificates/", {**base, "number": "N-6", "status": "revoked"})
    assert response.status_code == 400 and "status" in response.json()
    assert_scope(
        url="/api/v1/certificates/",
        method="post",
        data={**base, "number": "N-7"},
        anonymous_client=APIClient(),
        wrong_role=api_as(world.gaz_reviewer),
        allowed=officer,
        allowed_status=201,
    )


def test_certificate_scope(world, api_as):
    mine = CertificateFactory(body=world.body, supplier=world.supplier)
    theirs = CertificateFactory(body=world.body, supplier=world.other_supplier)
    foreign = CertificateFactory(body=world.other_body, supplier=world.supplier)

    def ids(user):
        return {c["id"] for c in api_as(user).get("/api/v1/certificates/").json()["results"]}

    assert ids(world.member) == {mine.pk, foreign.pk}
    assert ids(world.other_member) == {theirs.pk}
    assert ids(world.officer) == {mine.pk, theirs.pk}
    assert ids(world.other_officer) == {foreign.pk}
    assert ids(world.gaz_reviewer) == {mine.pk, theirs.pk}
    assert api_as(world.other_member).get(f"/api/v1/certificates/{mine.pk}/").status_code == 404
    assert api_as(world.other_officer).get(f"/api/v1/certificates/{mine.pk}/").status_code == 404
    response = api_as(world.other_officer).post(
        f"/api/v1/certificates/{mine.pk}/suspend/", {"reason": "x"}
    )
    assert response.status_code == 404
    response = api_as(world.member).post(
        f"/api/v1/certificates/{mine.pk}/suspend/", {"reason": "x"}
    )
    assert response.status_code == 403
    from django.test import Client

    client = Client()
    client.force_login(world.other_member)
    assert (
        client.get(reverse("certification:certificate-detail", args=[mine.pk])).status_code == 404
    )
    assert client.get(reverse("certification:officer-queue")).status_code == 403
    client.force_login(world.other_officer)
    assert (
        client.get(reverse("certification:certificate-detail", args=[mine.pk])).status_code == 404
    )


def test_officers_see_only_their_bodys_work(world, client):
    gaz_offer = make_offer(world, status="tested", name="Gaz valve")
    irao_offer = make_offer(world, roadmap=world.irao_roadmap, status="tested", name="IRAO lamp")
    client.force_login(world.officer)
    page = client.get(reverse("certification:officer-queue")).content.decode()
    assert gaz_offer.name in page and irao_offer.name not in page
    client.force_login(world.other_officer)
    page = client.get(reverse("certification:officer-queue")).content.decode()
    assert gaz_offer.name not in page
