import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.utils import timezone

from roadmap_portal.insights.charts import volume_chart
from roadmap_portal.insights.dashboard import Subject, funnel, review_ageing, subject_overview
from roadmap_portal.insights.volume import VolumeYear
from suppliers.models import Offer
from suppliers.services import offer_transition
from tests.demo_data import load_demo
from tests.factories import (
    ContractFactory,
    CorporationFactory,
    DemandFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    user_with_role,
)
from tests.helpers import assert_constant_queries

pytestmark = pytest.mark.django_db

M = Decimal(1_000_000)


@pytest.fixture
def world():
    region = RegionFactory()
    group = CorporationFactory()
    subsidiary = CorporationFactory(parent=group)
    roadmap = RoadmapFactory(region=region, corporation=group, start_year=2018, end_year=2022)
    return {
        "region": region,
        "group": group,
        "subsidiary": subsidiary,
        "roadmap": roadmap,
        "staff": user_with_role("region_staff", region=region),
        "reviewer": user_with_role("reviewer", corporation=group),
    }


def test_each_role_gets_its_dashboard(world, client):
    ContractFactory(
        supplier=SupplierFactory(region=world["region"], name="Sibelektromotor"),
        customer=world["subsidiary"],
        amount=1347 * M,
        signed_on="2019-05-01",
    )
    client.force_login(world["staff"])
    page = client.get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sibelektromotor" in html and "<svg" in html and "volume-table" in html
    assert 'id="ageing"' not in html
    client.force_login(world["reviewer"])
    html = client.get("/dashboard/").content.decode()
    assert "Sibelektromotor" in html and 'id="ageing"' in html
    admin = user_with_role("administrator")
    client.force_login(admin)
    html = client.get(f"/dashboard/?corporation={world['group'].pk}").content.decode()
    assert "Sibelektromotor" in html and 'id="dashboard-subject"' in html
    assert client.get(f"/dashboard/?region={world['region'].code}").status_code == 200
    client.force_login(user_with_role("supplier", supplier=SupplierFactory()))
    assert client.get("/dashboard/").status_code == 403
    client.logout()
    assert client.get("/dashboard/").status_code == 302


def test_dashboard_queries_do_not_grow_with_contracts(world, client):
    supplier = SupplierFactory(region=world["region"])

    def make(n):
        for i in range(n):
            ContractFactory(
                supplier=supplier,
                customer=world["subsidiary"] if i % 2 else world["group"],
                amount=M,
                signed_on=datetime.date(2018 + i % 4, 2, 1),
            )

    client.force_login(world["staff"])
    assert_constant_queries(make, lambda: client.get("/dashboard/"))
    client.force_login(world["reviewer"])
    assert_constant_queries(make, lambda: client.get("/dashboard/"))


def test_dashboard_queries_do_not_grow_with_suppliers_and_offers(world, client):
    def make(n):
        for i in range(n):
            supplier = SupplierFactory(region=world["region"])
            ContractFactory(
                supplier=supplier, customer=world["group"], amount=M, signed_on="2020-03-01"
            )
            OfferFactory(
                supplier=supplier,
                roadmap=world["roadmap"],
                status="draft",
                import_substitution=bool(i % 2),
            )
            DemandFactory(customer=world["subsidiary"])

    client.force_login(world["staff"])
    assert_constant_queries(make, lambda: client.get("/dashboard/"))


def test_funnel_counts_offers_by_the_furthest_stage_in_their_history(world):
    supplier = SupplierFactory(region=world["region"])
    member = user_with_role("supplier", supplier=supplier)
    offers = [OfferFactory(supplier=supplier, roadmap=world["roadmap"]) for _ in range(3)]
    for offer in offers:
        offer_transition(offer_id=offer.pk, user=member, action="submit")
    offer_transition(offer_id=offers[0].pk, user=world["staff"], action="forward")
    offer_transition(offer_id=offers[1].pk, user=world["staff"], action="forward")
    # Returned to draft: it reached "submitted" once and still counts there.
    offer_transition(offer_id=offers[2].pk, user=world["staff"], action="return", comment="Fix")
    OfferFactory(supplier=supplier, roadmap=world["roadmap"])  # never submitted
    stages = {s["status"]: s for s in funnel([world["roadmap"].pk])}
    assert stages["submitted"]["count"] == 3
    assert stages["forwarded"]["count"] == 2
    assert stages["forwarded"]["conversion"] == Decimal("66.7")
    assert stages["requirements_met"]["count"] == 0
    assert stages["submitted"]["conversion"] is None


def test_funnel_until_a_day_counts_that_whole_day_in_portal_time(world):
    supplier = SupplierFactory(region=world["region"])
    member = user_with_role("supplier", supplier=supplier)
    offers = [OfferFactory(supplier=supplier, roadmap=world["roadmap"]) for _ in range(2)]
    day = datetime.date(2024, 12, 31)
    last_minute = timezone.make_aware(datetime.datetime(2024, 12, 31, 23, 59))
    # The history is append-only (never backdated): the submissions happen at those moments.
    for offer, moment in zip(offers, (last_minute, last_minute + datetime.timedelta(minutes=2))):
        with mock.patch("django.utils.timezone.now", return_value=moment):
            offer_transition(offer_id=offer.pk, user=member, action="submit")
    stages = {s["status"]: s["count"] for s in funnel([world["roadmap"].pk], until=day)}
    assert stages["submitted"] == 1
    later = {
        s["status"]: s["count"]
        for s in funnel([world["roadmap"].pk], until=day.replace(year=2025, month=1, day=1))
    }
    assert later["submitted"] == 2


def test_review_queue_ageing_buckets(world):
    supplier = SupplierFactory(region=world["region"])
    now = timezone.now()
    for days in (1, 10, 45, 200, 200):
        offer = OfferFactory(supplier=supplier, roadmap=world["roadmap"], status="forwarded")
        Offer.objects.filter(pk=offer.pk).update(status_changed=now - datetime.timedelta(days=days))
    OfferFactory(supplier=supplier, roadmap=world["roadmap"], status="submitted")
    counts = [b["count"] for b in review_ageing(world["group"].pk)]
    assert counts == [1, 1, 1, 2]


def test_tomsk_overview_figures():
    load_demo()
    from roadmap_portal.models import Region

    tomsk = Region.objects.get(code="RU-TOM")
    overview = subject_overview(Subject("region", region=tomsk))
    (series,) = overview["volumes"]
    assert series.year(2014).amount == 150 * M and series.year(2017).amount == 1347 * M
    names = [row["name"] for row in overview["suppliers"]]
    assert names[0] == "АО «НПФ «Микран»"  # 1 510 + 1 655 mln
    assert overview["import_substitution"]["substitutes"] >= 1
    assert any(d.title.startswith("Реагенты") for d in overview["demands"])


def test_charts_escape_text_and_show_missing_years_apart_from_zero():
    years = [
        VolumeYear(year=2014, amount=150 * M, target=None, source="reported"),
        VolumeYear(year=2015, amount=None, target=None, source=None),
        VolumeYear(year=2016, amount=Decimal(0), target=M, source="contracts"),
    ]
    svg = str(
        volume_chart(
            years,
            title='<script>alert("x")</script>',
            format_value=str,
            labels={"volume": "v", "reported": "r", "target": "t", "missing": "no data"},
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.count("no data") >= 2  # the missing year's mark and the legend
    assert svg.startswith("<svg") and svg.endswith("</svg>")
