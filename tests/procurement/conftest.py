"""A small procurement world: a corporation group requiring certification, a region with an
active roadmap, a verified supplier with a registered, certified offer and an open tender."""

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from certification.models import RegisterEntry
from tests.factories import (
    CertificateFactory,
    CertificationBodyFactory,
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    TenderFactory,
    user_with_role,
)

_entry_numbers = itertools.count(1)
TODAY = timezone.localdate


@dataclass
class World:
    body: object
    group: object
    subsidiary: object
    region: object
    roadmap: object
    supplier: object
    offer: object
    certificate: object
    entry: object
    tender: object


def register(offer, *, certificate=None, corporation=None):
    """Put ``offer`` in its group's register (status and entry), as the pipeline leaves it."""
    offer.status = "registered"
    offer.save(update_fields=["status"])
    return RegisterEntry.objects.create(
        corporation=corporation or offer.roadmap.corporation,
        number=next(_entry_numbers),
        offer=offer,
        supplier=offer.supplier,
        okpd2=offer.okpd2,
        certificate=certificate,
        included_on=TODAY() - datetime.timedelta(days=10),
    )


def certified_supplier(
    roadmap,
    body,
    *,
    okpd2="28.14.13.131",
    valid_until=None,
    registered=True,
    verification_status="verified",
    region=None,
):
    """A supplier of the roadmap's region with an offer covered by a valid certificate of
    ``body`` and (when ``registered``) in the register."""
    supplier = SupplierFactory(
        region=region or roadmap.region, verification_status=verification_status
    )
    offer = OfferFactory(supplier=supplier, roadmap=roadmap, okpd2=okpd2, status="certified")
    certificate = None
    if body is not None:
        certificate = CertificateFactory(
            body=body,
            supplier=supplier,
            valid_until=valid_until or TODAY() + datetime.timedelta(days=365),
            offers=[offer],
        )
    entry = register(offer, certificate=certificate) if registered else None
    return supplier, offer, certificate, entry


def make_world(*, requires_certificate=True, tender_status="open", deadline_in_days=30):
    body = CertificationBodyFactory()
    group = CorporationFactory(required_body=body if requires_certificate else None)
    subsidiary = CorporationFactory(parent=group)
    region = RegionFactory()
    roadmap = RoadmapFactory(region=region, corporation=group, status="active")
    supplier, offer, certificate, entry = certified_supplier(
        roadmap, body if requires_certificate else None
    )
    tender = TenderFactory(
        customer=subsidiary,
        categories=["28.14"],
        status=tender_status,
        deadline=TODAY() + datetime.timedelta(days=deadline_in_days),
        estimated_value=Decimal("5000000.00"),
    )
    return World(
        body, group, subsidiary, region, roadmap, supplier, offer, certificate, entry, tender
    )


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return make_world()


@pytest.fixture
def people(world):
    """One user per role around the world, plus people of another group and region."""
    other_group = CorporationFactory()
    other_region = RegionFactory()
    other_supplier = SupplierFactory(region=other_region)
    return {
        "supplier": user_with_role("supplier", supplier=world.supplier),
        "reviewer": user_with_role("reviewer", corporation=world.group),
        "staff": user_with_role("region_staff", region=world.region),
        "officer": user_with_role("officer", certification_body=world.body),
        "partner": user_with_role("partner"),
        "other_reviewer": user_with_role("reviewer", corporation=other_group),
        "other_staff": user_with_role("region_staff", region=other_region),
        "other_supplier": user_with_role("supplier", supplier=other_supplier),
        "other_group": other_group,
    }
