"""Bulk actions on offers and suppliers: each row through the one service, its own result.

API (``POST /api/v1/offers/bulk-transition/``, ``POST /api/v1/suppliers/bulk-verify/``) and
the lists' bulk forms (offer list, screening, supplier list)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roadmap_portal.bulk import MAX_IDS
from roadmap_portal.models import Notification
from roadmap_portal.outbox.models import OutboxMessage
from suppliers.models import Offer, OfferTransition, Supplier
from tests.factories import SupplierFactory

from .conftest import make_offer

pytestmark = pytest.mark.django_db

OFFERS_URL = "/api/v1/offers/bulk-transition/"
SUPPLIERS_URL = "/api/v1/suppliers/bulk-verify/"
UNKNOWN = 987_654_321


def bulk(client, action, ids, comment=""):
    return client.post(
        OFFERS_URL, {"action": action, "ids": ids, "comment": comment}, format="json"
    )


def by_id(response):
    return {row["id"]: row for row in response.json()["results"]}


def status_of(offer):
    return Offer.objects.values_list("status", flat=True).get(pk=offer.pk)


# --- the API ------------------------------------------------------------------------------


def test_submit_many_reports_each_row_and_moves_only_the_allowed_one(
    api_as, world, django_capture_on_commit_callbacks
):
    submitted = make_offer(world, status="submitted", name="Already sent")
    other_supplier = make_offer(world, supplier=world.neighbour, name="Neighbour's draft")
    draft = make_offer(world, name="Fresh draft")
    ids = [submitted.pk, other_supplier.pk, UNKNOWN, draft.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = bulk(api_as(world.member), "submit", ids)

    assert response.status_code == 200
    body = response.json()
    assert (body["done"], body["not_done"]) == (1, 3)
    assert [row["id"] for row in body["results"]] == ids
    rows = by_id(response)
    assert rows[draft.pk] == {
        "id": draft.pk,
        "outcome": "done",
        "detail": "Done: the offer is now Submitted.",
        "name": "Fresh draft",
        "status": "submitted",
    }
    assert rows[submitted.pk] == {
        "id": submitted.pk,
        "outcome": "not_allowed",
        "detail": "“Submit” is not allowed while the offer is Submitted.",
        "name": "Already sent",
        "status": "",
    }
    # Another supplier's draft answers exactly as an id that does not exist.
    not_found = {"outcome": "not_found", "detail": "Not found: no such row in your scope."}
    for pk in (other_supplier.pk, UNKNOWN):
        assert rows[pk] == {"id": pk, "name": "", "status": "", **not_found}
    assert (status_of(draft), status_of(submitted), status_of(other_supplier)) == (
        "submitted",
        "submitted",
        "draft",
    )
    # History and notifications: once for the moved offer, as the single action writes them.
    assert list(OfferTransition.objects.values_list("offer_id", "action")) == [(draft.pk, "submit")]
    assert set(Notification.objects.values_list("object_id", "event", "recipient")) == {
        (draft.pk, "offer_status", world.member.pk),
        (draft.pk, "queue_work", world.staff.pk),
    }


def test_posting_the_same_submit_again_changes_nothing_twice(
    api_as, world, django_capture_on_commit_callbacks
):
    drafts = [make_offer(world, name=f"Draft {n}") for n in range(3)]
    ids = [offer.pk for offer in drafts]
    client = api_as(world.member)
    with django_capture_on_commit_callbacks(execute=True):
        first = bulk(client, "submit", ids)
    assert first.json()["done"] == 3
    counts = (
        OfferTransition.objects.count(),
        Notification.objects.count(),
        OutboxMessage.objects.count(),
    )
    # Per offer: history, two notifications, and outbox rows: one per subscriber of
    # ``offer.transitioned`` (notifications, webhooks) and one e-mail.
    assert counts == (3, 6, 9)

    with django_capture_on_commit_callbacks(execute=True):
        again = bulk(client, "submit", ids)
    assert again.status_code == 200
    assert {(row["outcome"], row["detail"]) for row in again.json()["results"]} == {
        ("not_allowed", "“Submit” is not allowed while the offer is Submitted.")
    }
    assert (
        OfferTransition.objects.count(),
        Notification.objects.count(),
        OutboxMessage.objects.count(),
    ) == counts


def test_a_repeated_id_is_acted_on_once(api_as, world):
    draft = make_offer(world)
    response = bulk(api_as(world.member), "submit", [draft.pk, draft.pk])
    assert [row["outcome"] for row in response.json()["results"]] == ["done"]
    assert OfferTransition.objects.filter(offer=draft).count() == 1


def test_withdraw_many(api_as, world):
    submitted = make_offer(world, status="submitted")
    draft = make_offer(world)
    response = bulk(api_as(world.member), "withdraw", [submitted.pk, draft.pk])
    rows = by_id(response)
    assert rows[submitted.pk]["outcome"] == "done"
    assert rows[draft.pk]["detail"] == "“Withdraw” is not allowed while the offer is Draft."
    assert (status_of(submitted), status_of(draft)) == ("withdrawn", "draft")


def test_staff_forward_and_return_many_with_one_comment_for_all(api_as, world):
    world.neighbour.verification_status = "pending"
    world.neighbour.save()
    verified = make_offer(world, status="submitted", name="Verified supplier's")
    unverified = make_offer(
        world, status="submitted", supplier=world.neighbour, name="Pending supplier's"
    )
    kaluga = make_offer(world, status="submitted", supplier=world.far)
    staff = api_as(world.staff)

    response = bulk(staff, "forward", [verified.pk, unverified.pk, kaluga.pk])
    rows = by_id(response)
    assert rows[verified.pk]["outcome"] == "done"
    assert rows[unverified.pk] == {
        "id": unverified.pk,
        "outcome": "not_allowed",
        "detail": "NII PP is not verified yet: verify the supplier before forwarding.",
        "name": "Pending supplier's",
        "status": "",
    }
    assert rows[kaluga.pk]["outcome"] == "not_found"
    assert (status_of(verified), status_of(unverified), status_of(kaluga)) == (
        "forwarded",
        "submitted",
        "submitted",
    )

    second = make_offer(world, status="submitted")
    response = bulk(staff, "return", [unverified.pk, second.pk], "Attach the datasheet.")
    assert response.json()["done"] == 2
    assert list(
        OfferTransition.objects.filter(action="return")
        .order_by("offer_id")
        .values_list("offer_id", "comment")
    ) == [(unverified.pk, "Attach the datasheet."), (second.pk, "Attach the datasheet.")]


def test_return_needs_its_comment_once_for_the_whole_request(api_as, world):
    offer = make_offer(world, status="submitted")
    response = bulk(api_as(world.staff), "return", [offer.pk])
    assert response.status_code == 400
    assert response.json() == {"comment": ["A comment is required for this action."]}
    assert status_of(offer) == "submitted"


def test_a_supplier_cannot_forward_and_staff_cannot_submit(api, api_as, world):
    submitted = make_offer(world, status="submitted")
    draft = make_offer(world)
    response = bulk(api_as(world.member), "forward", [submitted.pk])
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this action."}
    assert bulk(api_as(world.staff), "submit", [draft.pk]).status_code == 403
    assert bulk(api_as(world.reviewer), "return", [submitted.pk], "x").status_code == 403
    assert bulk(api, "submit", [draft.pk]).status_code == 401
    assert (status_of(submitted), status_of(draft)) == ("submitted", "draft")
    assert OfferTransition.objects.count() == 0


def test_only_the_actions_without_a_stage_record_are_bulk_actions(api_as, world):
    response = bulk(api_as(world.reviewer), "accept", [make_offer(world, status="forwarded").pk])
    assert response.status_code == 400
    assert response.json() == {"action": ['"accept" is not a valid choice.']}


def test_the_ids_are_capped_and_checked(api_as, world):
    draft = make_offer(world)
    client = api_as(world.member)
    response = bulk(client, "submit", [draft.pk, *range(UNKNOWN, UNKNOWN + MAX_IDS)])
    assert response.status_code == 400
    assert response.json() == {
        "ids": ["One request takes at most 100 ids; act on fewer rows at a time."]
    }
    assert bulk(client, "submit", []).json() == {"ids": ["Choose at least one row."]}
    assert bulk(client, "submit", ["x"]).json() == {"ids": {"0": ["A valid integer is required."]}}
    assert status_of(draft) == "draft"


def test_queries_are_bounded_per_row(api_as, world):
    client = api_as(world.member)

    def queries_for(count):
        ids = [make_offer(world).pk for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            response = bulk(client, "submit", ids)
        assert response.json()["done"] == count
        return len(captured)

    queries_for(1)  # the user's scope is read once per request's user, then kept
    # One query names the rows; each row: two savepoints (the row's and the service's) and
    # their releases, the locked read, the history id and row, the offer's update and the
    # outbox message.
    assert [queries_for(n) for n in (1, 2, 5)] == [1 + 9, 1 + 2 * 9, 1 + 5 * 9]


# --- suppliers: verification ----------------------------------------------------------------


def test_verify_many_suppliers(api_as, world):
    pending = SupplierFactory(region=world.tomsk, name="Newcomer", verification_status="pending")
    rejected = SupplierFactory(
        region=world.tomsk, name="Second try", verification_status="rejected"
    )
    ids = [pending.pk, world.supplier.pk, world.far.pk, rejected.pk]
    response = api_as(world.staff).post(
        SUPPLIERS_URL, {"verified": True, "ids": ids}, format="json"
    )
    assert response.status_code == 200
    rows = by_id(response)
    assert rows[pending.pk] == {
        "id": pending.pk,
        "outcome": "done",
        "detail": "Done: the supplier is now Verified.",
        "name": "Newcomer",
        "status": "verified",
    }
    assert rows[world.supplier.pk] == {
        "id": world.supplier.pk,
        "outcome": "not_allowed",
        "detail": "Mikran is already verified.",
        "name": "Mikran",
        "status": "",
    }
    assert rows[world.far.pk]["outcome"] == "not_found"  # another region's
    assert rows[rejected.pk]["outcome"] == "done"
    statuses = dict(Supplier.objects.values_list("pk", "verification_status"))
    assert [statuses[pk] for pk in ids] == ["verified", "verified", "verified", "verified"]
    assert Supplier.objects.get(pk=world.supplier.pk).verified_by is None  # not re-stamped


def test_reject_many_needs_one_reason_and_only_staff_decide(api_as, world):
    pending = SupplierFactory(region=world.tomsk, verification_status="pending")
    staff = api_as(world.staff)
    response = staff.post(SUPPLIERS_URL, {"verified": False, "ids": [pending.pk]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"comment": ["Say why the supplier is rejected."]}
    for user in (world.reviewer, world.member):
        response = api_as(user).post(
            SUPPLIERS_URL, {"verified": True, "ids": [pending.pk]}, format="json"
        )
        assert response.status_code == 403
    response = staff.post(
        SUPPLIERS_URL,
        {"verified": False, "ids": [pending.pk], "comment": "OGRN of another company"},
        format="json",
    )
    assert by_id(response)[pending.pk]["outcome"] == "done"
    pending.refresh_from_db()
    assert (pending.verification_status, pending.verification_comment) == (
        "rejected",
        "OGRN of another company",
    )


# --- the lists' bulk forms ----------------------------------------------------------------


def test_the_offer_list_offers_the_supplier_submit_and_withdraw(client, world):
    draft = make_offer(world, name="Lamp")
    client.force_login(world.member)
    html = client.get(reverse("suppliers:offer-list")).content.decode()
    assert 'id="offers-bulk"' in html
    assert 'id="offers-bulk-submit"' in html and 'id="offers-bulk-withdraw"' in html
    assert 'id="offers-bulk-forward"' not in html and 'id="offers-bulk-return"' not in html
    assert f'<label class="visually-hidden" for="offers-bulk-{draft.pk}">Select “Lamp”</label>' in (
        html
    )
    assert '<label class="visually-hidden" for="offers-bulk-all">' in html
    assert "js/bulk.js" in html
    client.force_login(world.reviewer)
    assert 'id="offers-bulk"' not in client.get(reverse("suppliers:offer-list")).content.decode()


def test_the_offer_list_form_shows_each_rows_result_then_the_list(client, world):
    drafts = [make_offer(world, name=f"Lamp {n}") for n in range(2)]
    submitted = make_offer(world, status="submitted", name="Sent lamp")
    client.force_login(world.member)
    back = reverse("suppliers:offer-list") + "?status=draft"
    response = client.post(
        reverse("suppliers:offer-bulk"),
        {"action": "submit", "ids": [submitted.pk, *(o.pk for o in drafts)], "next": back},
    )
    assert response.status_code == 302 and response.url == back
    html = client.get(back).content.decode()
    assert "Results: 2 done, 1 not done" in html
    for offer in drafts:
        assert f'id="bulk-result-{offer.pk}" data-outcome="done"' in html
    assert f'id="bulk-result-{submitted.pk}" data-outcome="not_allowed"' in html
    assert "“Submit” is not allowed while the offer is Submitted." in html
    assert 'id="offer-table"' in html
    # Shown once: the list alone on the next visit.
    assert 'id="bulk-results"' not in client.get(back).content.decode()


def test_select_all_works_without_the_script(client, world):
    drafts = [make_offer(world) for _ in range(3)]
    client.force_login(world.member)
    client.post(
        reverse("suppliers:offer-bulk"),
        {"action": "submit", "all_on_page": "1", "page_ids": [o.pk for o in drafts]},
    )
    assert {status_of(o) for o in drafts} == {"submitted"}


def test_a_supplier_posting_forward_is_told_and_nothing_moves(client, world):
    submitted = make_offer(world, status="submitted")
    client.force_login(world.member)
    response = client.post(
        reverse("suppliers:offer-bulk"), {"action": "forward", "ids": [submitted.pk]}, follow=True
    )
    html = response.content.decode()
    assert "Nothing was done" in html
    assert '<p class="text-danger mb-0" role="alert" id="bulk-error">Your role does not' in html
    assert status_of(submitted) == "submitted"


def test_screening_forwards_many_and_supplier_list_verifies_many(client, world):
    offers = [make_offer(world, status="submitted") for _ in range(2)]
    pending = SupplierFactory(region=world.tomsk, name="Newcomer", verification_status="pending")
    client.force_login(world.staff)
    screening = client.get(reverse("suppliers:screening")).content.decode()
    assert 'id="screening-bulk-forward"' in screening and 'id="screening-bulk-return"' in screening
    assert 'id="screening-bulk-submit"' not in screening
    response = client.post(
        reverse("suppliers:offer-bulk"),
        {
            "action": "forward",
            "ids": [o.pk for o in offers],
            "next": reverse("suppliers:screening"),
        },
        follow=True,
    )
    assert "Results: 2 done, 0 not done" in response.content.decode()
    assert {status_of(o) for o in offers} == {"forwarded"}

    listing = client.get(reverse("suppliers:supplier-list")).content.decode()
    assert 'id="supplier-bulk-verify"' in listing and 'id="supplier-bulk-reject"' in listing
    response = client.post(
        reverse("suppliers:supplier-bulk"), {"action": "verify", "ids": [pending.pk]}, follow=True
    )
    assert "Results: 1 done, 0 not done" in response.content.decode()
    pending.refresh_from_db()
    assert pending.verification_status == "verified"
    client.force_login(world.member)
    listing = client.get(reverse("suppliers:supplier-list")).content.decode()
    assert 'id="supplier-bulk"' not in listing


def test_verification_queries_are_bounded_per_row(api_as, world):
    client = api_as(world.staff)

    def queries_for(count):
        ids = [
            SupplierFactory(region=world.tomsk, verification_status="pending").pk
            for _ in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            response = client.post(SUPPLIERS_URL, {"verified": True, "ids": ids}, format="json")
        assert response.json()["done"] == count
        return len(captured)

    queries_for(1)  # the user's scope is read once per request's user, then kept
    one, five = queries_for(1), queries_for(5)
    assert (five - one) % 4 == 0
    per_row = (five - one) // 4
    # One query names the rows; each row: two savepoints and their releases, the scoped
    # read, the locked read and the update.
    assert (one - per_row, per_row) == (1, 7)


def test_the_form_says_what_is_wrong_with_the_request_and_does_nothing(client, world):
    draft = make_offer(world)
    client.force_login(world.member)
    url = reverse("suppliers:offer-bulk")
    for data, error in (
        ({"action": "submit"}, "Choose at least one row."),
        (
            {"action": "submit", "ids": [draft.pk, *range(UNKNOWN, UNKNOWN + MAX_IDS)]},
            "101 rows were chosen; one request takes at most 100. Act on fewer rows at a time.",
        ),
        ({"action": "submit", "ids": ["12a"]}, "“12a” is not an id: ids are whole numbers."),
        (
            {"action": "accept", "ids": [draft.pk]},
            "Choose one of: submit, withdraw, forward, return.",
        ),
    ):
        html = client.post(url, data, follow=True).content.decode()
        assert f'id="bulk-error">{error}</p>' in html.replace("&quot;", '"').replace("&#x27;", "'")
    assert status_of(draft) == "draft"
    assert OfferTransition.objects.count() == 0
