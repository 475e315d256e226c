"""A world for conversations: one offer seen by every side, and people outside it."""

from types import SimpleNamespace

import pytest

from tests.factories import (
    CertificationBodyFactory,
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    admin_user,
    user_with_role,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def stored_on_disk(root):
    """The files under ``root`` (none when it was never made)."""
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


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
    body = CertificationBodyFactory(short_name="INTERGAZCERT")
    other_body = CertificationBodyFactory(short_name="OTHERCERT")
    group = CorporationFactory(short_name="Gazprom", required_body=body)
    other_group = CorporationFactory(short_name="Inter RAO", required_body=other_body)
    roadmap = RoadmapFactory(region=tomsk, corporation=group, title="Tomsk x Gazprom")
    kaluga_roadmap = RoadmapFactory(region=kaluga, corporation=other_group, title="Kaluga x RAO")
    supplier = SupplierFactory(region=tomsk, name="Mikran")
    far = SupplierFactory(region=kaluga, name="Kaluga Turbine Works")
    w = SimpleNamespace(
        tomsk=tomsk,
        kaluga=kaluga,
        body=body,
        group=group,
        roadmap=roadmap,
        kaluga_roadmap=kaluga_roadmap,
        supplier=supplier,
        far=far,
        member=user_with_role("supplier", supplier=supplier, username="member"),
        member2=user_with_role("supplier", supplier=supplier, username="member2"),
        far_member=user_with_role("supplier", supplier=far, username="far_member"),
        staff=user_with_role("region_staff", region=tomsk, username="staff"),
        staff2=user_with_role("region_staff", region=tomsk, username="staff2"),
        kaluga_staff=user_with_role("region_staff", region=kaluga, username="kaluga_staff"),
        reviewer=user_with_role("reviewer", corporation=group, username="reviewer"),
        reviewer2=user_with_role("reviewer", corporation=group, username="reviewer2"),
        other_reviewer=user_with_role(
            "reviewer", corporation=other_group, username="other_reviewer"
        ),
        officer=user_with_role("officer", certification_body=body, username="officer"),
        other_officer=user_with_role(
            "officer", certification_body=other_body, username="other_officer"
        ),
        partner=user_with_role("partner", username="partner"),
        admin=admin_user(),
    )
    return w


def make_offer(world, *, status="tested", supplier=None, **fields):
    supplier = supplier or world.supplier
    roadmap = world.roadmap if supplier.region_id == world.tomsk.pk else world.kaluga_roadmap
    return OfferFactory(supplier=supplier, roadmap=roadmap, status=status, **fields)
