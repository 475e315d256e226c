"""A small world for the supplier tests: two regions, their staff, suppliers and members."""

from types import SimpleNamespace

import pytest

from tests.factories import (
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    admin_user,
    user_with_role,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db):
    return build_world()


def build_world():
    tomsk = RegionFactory(code="RU-TOM", name="Tomsk Oblast")
    kaluga = RegionFactory(code="RU-KLU", name="Kaluga Region")
    group = CorporationFactory(short_name="Inter RAO")
    other_group = CorporationFactory(short_name="Gazprom")
    roadmap = RoadmapFactory(region=tomsk, corporation=group, title="Tomsk x Inter RAO")
    kaluga_roadmap = RoadmapFactory(
        region=kaluga, corporation=other_group, title="Kaluga x Gazprom"
    )
    supplier = SupplierFactory(region=tomsk, name="Mikran")
    neighbour = SupplierFactory(region=tomsk, name="NII PP")
    far = SupplierFactory(region=kaluga, name="Kaluga Turbine Works")
    return SimpleNamespace(
        tomsk=tomsk,
        kaluga=kaluga,
        group=group,
        other_group=other_group,
        roadmap=roadmap,
        kaluga_roadmap=kaluga_roadmap,
        supplier=supplier,
        neighbour=neighbour,
        far=far,
        member=user_with_role("supplier", supplier=supplier),
        neighbour_member=user_with_role("supplier", supplier=neighbour),
        far_member=user_with_role("supplier", supplier=far),
        staff=user_with_role("region_staff", region=tomsk),
        kaluga_staff=user_with_role("region_staff", region=kaluga),
        reviewer=user_with_role("reviewer", corporation=group),
        other_reviewer=user_with_role("reviewer", corporation=other_group),
        partner=user_with_role("partner"),
        admin=admin_user(),
    )


def make_offer(world, *, status="draft", supplier=None, **fields):
    supplier = supplier or world.supplier
    roadmap = world.roadmap if supplier.region_id == world.tomsk.pk else world.kaluga_roadmap
    return OfferFactory(supplier=supplier, roadmap=roadmap, status=status, **fields)
