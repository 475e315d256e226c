"""A small world for the review, certification and register tests: a corporation that
requires certification (body IGC) and one that does not, in one region."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from suppliers.services import offer_transition
from tests.factories import (
    CertificateFactory,
    CertificationBodyFactory,
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    RequirementFactory,
    RoadmapFactory,
    SupplierFactory,
    user_with_role,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf_file(name="protocol.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db):
    body = CertificationBodyFactory(short_name="IGC", name="IGC certification")
    other_body = CertificationBodyFactory(short_name="OTHER")
    gaz = CorporationFactory(short_name="Gaz", required_body=body)
    irao = CorporationFactory(short_name="IRAO")
    region = RegionFactory(code="RU-KLU", name="Kaluga")
    w = SimpleNamespace(
        body=body,
        other_body=other_body,
        gaz=gaz,
        irao=irao,
        region=region,
        gaz_roadmap=RoadmapFactory(region=region, corporation=gaz, title="Kaluga-Gaz"),
        irao_roadmap=RoadmapFactory(region=region, corporation=irao, title="Kaluga-IRAO"),
        supplier=SupplierFactory(region=region, name="Valve Works"),
        other_supplier=SupplierFactory(region=region, name="Pump Works"),
        req_gaz=RequirementFactory(corporation=gaz, code="STO-1", categories=["28"]),
        req_gaz_all=RequirementFactory(corporation=gaz, code="STO-2", categories=[]),
        req_gaz_other=RequirementFactory(corporation=gaz, code="STO-9", categories=["20"]),
        req_irao=RequirementFactory(corporation=irao, code="TT-1", categories=["28.14"]),
    )
    w.gaz_reviewer = user_with_role("reviewer", username="gaz.reviewer", corporation=gaz)
    w.irao_reviewer = user_with_role("reviewer", username="irao.reviewer", corporation=irao)
    w.officer = user_with_role("officer", username="igc.officer", certification_body=body)
    w.other_officer = user_with_role(
        "officer", username="other.officer", certification_body=other_body
    )
    w.member = user_with_role("supplier", username="valve.member", supplier=w.supplier)
    w.other_member = user_with_role("supplier", username="pump.member", supplier=w.other_supplier)
    w.staff = user_with_role("region_staff", username="kaluga.staff", region=region)
    w.reviewer_of = {gaz.pk: w.gaz_reviewer, irao.pk: w.irao_reviewer}
    return w


def make_offer(w, *, roadmap=None, supplier=None, okpd2="28.14.11.000", name=None, status=None):
    """An offer moved by the real service to ``status`` (default: forwarded)."""
    supplier = supplier or w.supplier
    roadmap = roadmap or w.gaz_roadmap
    extra = {"name": name} if name else {}
    offer = OfferFactory(supplier=supplier, roadmap=roadmap, okpd2=okpd2, **extra)
    advance(w, offer, status or "forwarded")
    offer.refresh_from_db()
    return offer


def accept_data(offer):
    from certification.services import applicable_requirements

    return {
        "requirements": [
            {"requirement": r.pk, "outcome": "met", "remarks": "ok"}
            for r in applicable_requirements(offer)
        ]
    }


READINESS = {"capacity_confirmed": True, "site_visit_on": "2026-01-15", "findings": "Ready."}


def passed_test():
    started = timezone.localdate() - datetime.timedelta(days=10)
    return {"test": {"kind": "bench", "started_on": started.isoformat(), "result": "passed"}}


PATH = ("submitted", "forwarded", "requirements_met", "readiness_confirmed", "tested")


def advance(w, offer, target):
    """Drive ``offer`` through the service up to ``target`` (tested, certified or registered
    included: certified uses a fresh valid certificate of the required body)."""
    offer.refresh_from_db()
    reviewer = w.reviewer_of[offer.roadmap.corporation_id]
    member = offer.supplier.members.first().user if offer.supplier.members.exists() else None
    steps = [
        ("submitted", "submit", member, {}),
        ("forwarded", "forward", w.staff, {}),
        ("requirements_met", "accept", reviewer, None),
        ("readiness_confirmed", "confirm_readiness", reviewer, READINESS),
        ("tested", "pass_tests", reviewer, passed_test()),
    ]
    for status, action, user, data in steps:
        if offer.status == target:
            return offer
        if offer.status in PATH and PATH.index(status) <= PATH.index(offer.status):
            continue
        if user is None:
            user = user_with_role("supplier", supplier=offer.supplier)
        offer_transition(
            offer_id=offer.pk,
            user=user,
            action=action,
            data=accept_data(offer) if data is None else data,
        )
        offer.refresh_from_db()
    if offer.status == target:
        return offer
    if target in ("certified", "registered") and offer.roadmap.corporation.required_body_id:
        certificate = CertificateFactory(
            body=offer.roadmap.corporation.required_body, supplier=offer.supplier, offers=[offer]
        )
        offer_transition(
            offer_id=offer.pk,
            user=w.officer,
            action="certify",
            data={"certificate": certificate.pk},
        )
        offer.refresh_from_db()
        if target == "certified":
            return offer
    if target == "registered":
        offer_transition(offer_id=offer.pk, user=reviewer, action="register")
        offer.refresh_from_db()
    return offer
