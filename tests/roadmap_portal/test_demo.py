import pytest
from django.core.management import call_command

from roadmap_portal.models import Region, ReportedVolume, Roadmap
from suppliers.models import Offer, OfferTransition

pytestmark = pytest.mark.django_db


def test_load_demo_is_idempotent_and_covers_every_stage():
    call_command("load_demo")
    counts = (Roadmap.objects.count(), Offer.objects.count(), OfferTransition.objects.count())
    call_command("load_demo")
    assert (
        Roadmap.objects.count(),
        Offer.objects.count(),
        OfferTransition.objects.count(),
    ) == counts
    assert set(Region.objects.values_list("code", flat=True)) == {"RU-TOM", "RU-KLU"}
    reported = dict(
        ReportedVolume.objects.filter(roadmap__region__code="RU-TOM").values_list("year", "amount")
    )
    assert reported[2014] == 150_000_000 and reported[2017] == 1_347_000_000
    stages = set(Offer.objects.values_list("status", flat=True))
    assert {
        "draft",
        "submitted",
        "forwarded",
        "requirements_met",
        "readiness_confirmed",
        "tested",
        "certified",
        "registered",
        "excluded",
    } <= stages
