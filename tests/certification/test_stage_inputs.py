"""The offer pipeline's rows and what certification attaches to them: every awaited guard,
record and input is attached (else ``manage.py check`` fails), and a stage's ``data`` is
validated by the input its row declares, with each message naming the field it is about."""

from dataclasses import replace

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from certification.inputs import ReadinessInput, RequirementsCheckInput
from certification.models import ProductTest, ReadinessEvaluation
from suppliers import pipeline
from suppliers.choices import OfferStatus
from tests.certification.conftest import make_offer

pytestmark = pytest.mark.django_db


def transition(client, offer, action, data):
    return client.post(
        f"/api/v1/offers/{offer.pk}/transition/", {"action": action, "data": data}, format="json"
    )


def test_certification_attaches_what_the_pipeline_awaits():
    assert pipeline.OFFERS.unattached() == []
    assert pipeline.find("accept", OfferStatus.FORWARDED).input is RequirementsCheckInput
    assert pipeline.find("reject", OfferStatus.REQUIREMENTS_MET).input is None
    assert pipeline.input_fields("confirm_readiness") == set(ReadinessInput().fields)


def test_a_row_left_unattached_stops_the_system_check(monkeypatch):
    rows = tuple(
        replace(row, record=None) if row.action == "exclude" else row
        for row in pipeline.OFFERS.transitions
    )
    monkeypatch.setattr(pipeline.OFFERS, "transitions", rows)
    with pytest.raises(SystemCheckError, match="exclude from registered: record"):
        call_command("check")


def test_attaching_what_a_row_does_not_await_is_refused():
    with pytest.raises(LookupError):
        pipeline.attach("submit", record=lambda **kw: None)


def test_readiness_without_findings_or_capacity_names_both(world, api_as):
    offer = make_offer(world, status="requirements_met")
    response = transition(api_as(world.gaz_reviewer), offer, "confirm_readiness", {})
    assert response.status_code == 400
    assert response.json() == {
        "data": [
            "The readiness findings are missing (“findings”).",
            "Production capacity must be confirmed (“capacity_confirmed”: true).",
        ]
    }
    assert not ReadinessEvaluation.objects.filter(offer=offer).exists()


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_a_null_outcome_row_is_a_400_naming_the_row(world, api_as, action):
    offer = make_offer(world, status="forwarded")
    data = {"requirements": [None]}
    body = {"action": action, "data": data, "comment": "Not for our network."}
    response = api_as(world.gaz_reviewer).post(
        f"/api/v1/offers/{offer.pk}/transition/", body, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"data": ["Outcome 1 is not an object."]}
    offer.refresh_from_db()
    assert offer.status == OfferStatus.FORWARDED


def test_a_mistyped_test_date_names_its_field(world, api_as):
    offer = make_offer(world, status="readiness_confirmed")
    data = {"test": {"kind": "bench", "started_on": "10.01.2026"}}
    response = transition(api_as(world.gaz_reviewer), offer, "pass_tests", data)
    assert response.status_code == 400
    [message] = response.json()["data"]
    assert message.startswith("test.started_on: Date has wrong format.")
    assert not ProductTest.objects.filter(offer=offer).exists()


def test_the_page_posts_the_stage_input_by_its_field_names(world, client):
    offer = make_offer(world, status="requirements_met")
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("suppliers:offer-transition", args=[offer.pk]),
        {
            "action": "confirm_readiness",
            "findings": "Visited the plant.",
            "capacity_confirmed": "true",
            "site_visit_on": "2026-02-01",
        },
    )
    assert response.status_code == 302
    evaluation = ReadinessEvaluation.objects.get(offer=offer)
    assert (evaluation.findings, evaluation.site_visit_on.isoformat()) == (
        "Visited the plant.",
        "2026-02-01",
    )
