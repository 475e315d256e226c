"""Excluding and reinstating many register entries at once: each entry's offer takes the
pipeline's exclude or reinstate through the one service; each entry gets its own result."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification.models import RegisterEntry, RegisterEntryEvent
from suppliers.models import Offer, OfferTransition

from .conftest import make_offer

pytestmark = pytest.mark.django_db

URL = "/api/v1/register/bulk-transition/"


def registered(world, name, roadmap=None):
    offer = make_offer(world, roadmap=roadmap or world.irao_roadmap, name=name, status="registered")
    return RegisterEntry.objects.get(offer=offer, excluded_on__isnull=True)


def post(client, action, ids, comment=""):
    return client.post(URL, {"action": action, "ids": ids, "comment": comment}, format="json")


def by_id(response):
    return {row["id"]: row for row in response.json()["results"]}


def test_exclude_many_with_one_reason_reports_each_entry(api_as, world):
    first, second = registered(world, "Valve A"), registered(world, "Valve B")
    gaz_entry = registered(world, "Gaz valve", roadmap=world.gaz_roadmap)
    history = OfferTransition.objects.count()
    ids = [first.pk, gaz_entry.pk, second.pk, 987_654]

    response = post(api_as(world.irao_reviewer), "exclude", ids, "Field failures.")

    assert response.status_code == 200
    rows = by_id(response)
    assert rows[first.pk] == {
        "id": first.pk,
        "outcome": "done",
        "detail": "Done: the offer is now Excluded.",
        "name": f"№ {first.number}, Valve A",
        "status": "excluded",
    }
    assert rows[second.pk]["outcome"] == "done"
    # Another group's entry (public in the register, not the reviewer's to move) answers as
    # an unknown id.
    for pk in (gaz_entry.pk, 987_654):
        assert rows[pk] == {
            "id": pk,
            "outcome": "not_found",
            "detail": "Not found: no such row in your scope.",
            "name": "",
            "status": "",
        }
    for entry in (first, second):
        entry.refresh_from_db()
        assert entry.exclusion_reason == "Field failures."
    gaz_entry.refresh_from_db()
    assert gaz_entry.excluded_on is None
    assert OfferTransition.objects.count() == history + 2
    assert RegisterEntryEvent.objects.filter(kind="excluded").count() == 2

    # Again: nothing is excluded twice.
    again = by_id(post(api_as(world.irao_reviewer), "exclude", [first.pk], "Again."))
    assert again[first.pk]["outcome"] == "not_allowed"
    assert again[first.pk]["detail"] == f"Entry № {first.number} is already excluded."
    assert RegisterEntryEvent.objects.filter(kind="excluded").count() == 2


def test_reinstate_many(api_as, world):
    excluded, in_force = registered(world, "Valve A"), registered(world, "Valve B")
    reviewer = api_as(world.irao_reviewer)
    post(reviewer, "exclude", [excluded.pk], "Audit.")
    response = post(reviewer, "reinstate", [excluded.pk, in_force.pk])
    rows = by_id(response)
    assert rows[excluded.pk]["outcome"] == "done"
    assert rows[in_force.pk]["detail"] == (
        "“Reinstate in the register” is not allowed while the offer is Registered."
    )
    assert Offer.objects.get(pk=excluded.offer_id).status == "registered"
    # Reinstatement is a new entry; the excluded one stays excluded.
    assert (
        RegisterEntry.objects.filter(offer=excluded.offer_id, excluded_on__isnull=True).count() == 1
    )


def test_exclusion_needs_its_reason_and_a_reviewer(api, api_as, world):
    entry = registered(world, "Valve A")
    response = post(api_as(world.irao_reviewer), "exclude", [entry.pk])
    assert response.status_code == 400
    assert response.json() == {"comment": ["A comment is required for this action."]}
    for user in (world.staff, world.member, world.officer):
        assert post(api_as(user), "exclude", [entry.pk], "x").status_code == 403
    assert post(api, "exclude", [entry.pk], "x").status_code == 401
    assert post(api_as(world.irao_reviewer), "register", [entry.pk]).status_code == 400
    entry.refresh_from_db()
    assert entry.excluded_on is None


def test_queries_are_bounded_per_entry(api_as, world):
    entries = [registered(world, f"Valve {n}") for n in range(6)]
    reviewer = api_as(world.irao_reviewer)
    post(reviewer, "reinstate", [entries[0].pk])  # the reviewer's scope, read once

    def queries_for(chosen):
        with CaptureQueriesContext(connection) as captured:
            response = post(reviewer, "exclude", [e.pk for e in chosen], "Audit.")
        assert response.json()["done"] == len(chosen)
        return len(captured)

    one, five = queries_for(entries[:1]), queries_for(entries[1:])
    assert (five - one) % 4 == 0
    per_row = (five - one) // 4
    # Per entry: the offer's transition (as for offers) plus the exclusion's record (the
    # entries in force, their update, their events).
    assert (one - per_row, per_row) == (3, 12)


def test_the_register_page_offers_the_reviewer_checkboxes_for_the_groups_entries(client, world):
    own = registered(world, "Valve A")
    gaz_entry = registered(world, "Gaz valve", roadmap=world.gaz_roadmap)
    client.force_login(world.irao_reviewer)
    html = client.get(reverse("certification:register")).content.decode()
    assert 'id="register-bulk-exclude"' in html and 'id="register-bulk-reinstate"' in html
    assert f'id="register-bulk-{own.pk}"' in html
    assert f'id="register-bulk-{gaz_entry.pk}"' not in html
    response = client.post(
        reverse("certification:register-bulk"),
        {"action": "exclude", "ids": [own.pk], "comment": "Audit."},
        follow=True,
    )
    assert "Results: 1 done, 0 not done" in response.content.decode()
    own.refresh_from_db()
    assert own.exclusion_reason == "Audit."
    client.force_login(world.staff)
    assert (
        'id="register-bulk"' not in client.get(reverse("certification:register")).content.decode()
    )
