import pytest

from tests.certification.conftest import make_offer

pytestmark = pytest.mark.django_db


def test_advance_reaches_every_stage(world):
    for target in ("forwarded", "requirements_met", "readiness_confirmed", "tested", "registered"):
        offer = make_offer(world, status=target)
        assert offer.status == target
    assert make_offer(world, roadmap=world.irao_roadmap, status="registered").status == "registered"
