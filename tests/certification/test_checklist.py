"""The requirement checklist has no default: accepting needs an outcome chosen for each
applicable requirement, on the page and through the API; nothing is stored otherwise."""

import re

import pytest
from django.urls import reverse

from certification.models import RequirementCheck
from tests.certification.conftest import make_offer

pytestmark = pytest.mark.django_db


def outcome_selects(html: str) -> dict[str, str]:
    """Each outcome select's name and the value of its selected option ("" when none)."""
    found = {}
    for name, body in re.findall(r'<select name="(outcome_\d+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        found[name] = selected.group(1) if selected else None
    return found


def test_the_page_preselects_no_outcome(world, client):
    offer = make_offer(world)
    client.force_login(world.gaz_reviewer)
    html = client.get(reverse("certification:review", args=[offer.pk])).content.decode()
    assert outcome_selects(html) == {
        f"outcome_{world.req_gaz.pk}": "",
        f"outcome_{world.req_gaz_all.pk}": "",
    }
    decisions = re.findall(r'<input type="radio" name="decision"[^>]*>', html)
    assert len(decisions) == 2
    assert [d for d in decisions if " checked" in d] == []


def test_accepting_without_an_outcome_names_and_marks_the_requirement(world, client):
    offer = make_offer(world)
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("certification:review-requirements", args=[offer.pk]),
        {"decision": "accept", f"outcome_{world.req_gaz.pk}": "met"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose the outcome of STO-2: met, not met or not applicable." in html
    assert "Choose the outcome of STO-1" not in html
    assert f'<tr id="requirement-{world.req_gaz_all.pk}" class="table-danger">' in html
    assert re.search(rf'<select name="outcome_{world.req_gaz_all.pk}" class="[^"]*is-invalid', html)
    assert (
        re.search(rf'<select name="outcome_{world.req_gaz.pk}" class="[^"]*is-invalid', html)
        is None
    )
    offer.refresh_from_db()
    assert offer.status == "forwarded"
    assert not RequirementCheck.objects.filter(offer=offer).exists()
    assert not offer.history.filter(action="accept").exists()


def test_accepting_with_every_outcome_chosen_stores_what_was_chosen(world, client):
    offer = make_offer(world)
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("certification:review-requirements", args=[offer.pk]),
        {
            "decision": "accept",
            f"outcome_{world.req_gaz.pk}": "met",
            f"outcome_{world.req_gaz_all.pk}": "not_applicable",
            f"remarks_{world.req_gaz_all.pk}": "No pressure parts.",
        },
    )
    assert response.status_code == 302
    assert sorted(
        RequirementCheck.objects.filter(offer=offer).values_list(
            "requirement__code", "outcome", "remarks", "checked_by"
        )
    ) == [
        ("STO-1", "met", "", world.gaz_reviewer.pk),
        ("STO-2", "not_applicable", "No pressure parts.", world.gaz_reviewer.pk),
    ]


def test_a_rejection_stores_only_the_outcomes_chosen(world, client):
    offer = make_offer(world)
    client.force_login(world.gaz_reviewer)
    response = client.post(
        reverse("certification:review-requirements", args=[offer.pk]),
        {
            "decision": "reject",
            "comment": "The pressure test is missing.",
            f"outcome_{world.req_gaz.pk}": "not_met",
        },
    )
    assert response.status_code == 302
    assert list(
        RequirementCheck.objects.filter(offer=offer).values_list("requirement__code", "outcome")
    ) == [("STO-1", "not_met")]


def accept(api_as, world, offer, rows):
    return api_as(world.gaz_reviewer).post(
        f"/api/v1/offers/{offer.pk}/transition/",
        {"action": "accept", "data": {"requirements": rows}},
        format="json",
    )


def test_api_accept_without_an_outcome_is_400_naming_the_requirement(world, api_as):
    offer = make_offer(world)
    response = accept(api_as, world, offer, [{"requirement": world.req_gaz.pk, "outcome": "met"}])
    assert response.status_code == 400
    assert response.json() == {"data": ["Outcomes are missing for STO-2."]}
    assert not RequirementCheck.objects.filter(offer=offer).exists()
    offer.refresh_from_db()
    assert offer.status == "forwarded"


@pytest.mark.parametrize("outcome", ["", None, "ok"])
def test_api_an_empty_or_unknown_outcome_is_400_naming_the_requirement(world, api_as, outcome):
    offer = make_offer(world)
    response = accept(
        api_as,
        world,
        offer,
        [
            {"requirement": world.req_gaz.pk, "outcome": "met"},
            {"requirement": world.req_gaz_all.pk, "outcome": outcome},
        ],
    )
    assert response.status_code == 400
    assert response.json() == {
        "data": ["The outcome of STO-2 must be one of met, not_met, not_applicable."]
    }
    assert not RequirementCheck.objects.filter(offer=offer).exists()


def test_api_accept_with_every_outcome_is_stored(world, api_as):
    offer = make_offer(world)
    response = accept(
        api_as,
        world,
        offer,
        [
            {"requirement": world.req_gaz.pk, "outcome": "met"},
            {"requirement": world.req_gaz_all.pk, "outcome": "not_applicable"},
        ],
    )
    assert response.status_code == 200
    assert sorted(
        RequirementCheck.objects.filter(offer=offer).values_list("requirement__code", "outcome")
    ) == [("STO-1", "met"), ("STO-2", "not_applicable")]
