"""A world of two regions and two corporation groups, each side's rows named after it, so
an export that leaks the other side's rows shows the other side's name."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from certification.models import RegisterEntry
from procurement.models import Bid
from roadmap_portal.models import Notification
from tests.factories import (
    CertificateFactory,
    CertificationBodyFactory,
    ContractFactory,
    CorporationFactory,
    DemandFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    TenderFactory,
    user_with_role,
)

TODAY = timezone.localdate()


def _side(o, side, group, body):
    region = RegionFactory(code=f"RU-{side}X", name=f"Region {side} Oblast")
    roadmap = RoadmapFactory(region=region, corporation=group, title=f"Roadmap {side} Heron")
    verified = SupplierFactory(region=region, name=f"Supplier {side} Heron")
    pending = SupplierFactory(
        region=region, name=f"Pending {side} Heron", verification_status="pending"
    )
    offers = {}
    for index, (status, name) in enumerate(
        (
            ("submitted", f"Boiler {side}"),
            ("forwarded", f"Valve {side}"),
            ("forwarded", f"Pump {side}"),
            ("requirements_met", f"Cable {side}"),
            ("tested", f"Motor {side}"),
            ("tested", f"Lamp {side}"),
            ("registered", f"Relay {side}"),
        )
    ):
        offers[name] = OfferFactory(
            supplier=verified,
            roadmap=roadmap,
            status=status,
            name=name,
            okpd2="27.11.22.000" if index % 2 else "28.14.11.000",
        )
    certificate = CertificateFactory(
        body=body,
        supplier=verified,
        number=f"CERT-{side}-1",
        offers=[offers[f"Relay {side}"]],
    )
    CertificateFactory(
        body=body, supplier=verified, number=f"CERT-{side}-2", status="suspended", offers=[]
    )
    RegisterEntry.objects.create(
        corporation=group,
        number=1,
        offer=offers[f"Relay {side}"],
        supplier=verified,
        okpd2="27.11.22.000",
        certificate=certificate,
        included_on=TODAY - datetime.timedelta(days=3),
    )
    RegisterEntry.objects.create(
        corporation=group,
        number=2,
        offer=offers[f"Lamp {side}"],
        supplier=verified,
        okpd2="28.14.11.000",
        certificate=None,
        included_on=TODAY - datetime.timedelta(days=9),
        excluded_on=TODAY - datetime.timedelta(days=1),
        exclusion_reason='=HYPERLINK("http://evil.example/","x")',
    )
    for number in (1, 2):
        DemandFactory(customer=group, title=f"Demand {side} {number} Heron", category="27.11")
    open_tender = TenderFactory(customer=group, number=f"T-{side}-1", title=f"Tender {side} open")
    closed_tender = TenderFactory(
        customer=group, number=f"T-{side}-2", title=f"Tender {side} closed", status="closed"
    )
    bid = Bid.objects.create(tender=open_tender, supplier=verified, price="100.00")
    bid.offers.add(offers[f"Relay {side}"])
    Bid.objects.create(tender=closed_tender, supplier=verified, price="90.00", status="lost")
    ContractFactory(
        supplier=verified, customer=group, number=f"C-{side}-1", signed_on=datetime.date(2024, 3, 1)
    )
    ContractFactory(
        supplier=verified, customer=group, number=f"C-{side}-2", signed_on=datetime.date(2025, 3, 1)
    )
    o.update(
        {
            f"region_{side}": region,
            f"supplier_{side}": verified,
            f"pending_{side}": pending,
            f"offers_{side}": offers,
        }
    )
    o[f"staff_{side}"] = user_with_role("region_staff", region=region)
    o[f"reviewer_{side}"] = user_with_role("reviewer", corporation=group)
    o[f"officer_{side}"] = user_with_role("officer", certification_body=body)
    o[f"member_{side}"] = user_with_role("supplier", supplier=verified)
    for index in range(3):
        Notification.objects.create(
            recipient=o[f"reviewer_{side}"],
            event="offer_status",
            key=f"n-{side}-{index}",
            message=f"Note {side} {index}",
            read=index == 0,
        )


@pytest.fixture
def world(db):
    o = {}
    for side in ("A", "B"):
        body = CertificationBodyFactory(short_name=f"Body {side}")
        group = CorporationFactory(short_name=f"Group {side}", required_body=body)
        o[f"group_{side}"], o[f"body_{side}"] = group, body
        _side(o, side, group, body)
    return SimpleNamespace(**o)
