import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from procurement.models import Bid, Contract, Tender
from procurement.services import bid_create, tender_award
from roadmap_portal.models import Demand
from tests.factories import (
    ContractFactory,
    DemandFactory,
    OfferFactory,
    TenderFactory,
    user_with_role,
)
from tests.helpers import assert_constant_queries

from .conftest import certified_supplier

pytestmark = pytest.mark.django_db


def browser(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_tender_list_and_filters(world, people):
    TenderFactory(customer=world.subsidiary, categories=["26.51"], title="Pressure sensors")
    client = browser(people["reviewer"])
    page = client.get(reverse("procurement:tender-list")).content.decode()
    assert world.tender.number in page and "Pressure sensors" in page
    filtered = client.get(
        reverse("procurement:tender-list") + "?okpd2=28.14.13.131"
    ).content.decode()
    assert world.tender.number in filtered and "Pressure sensors" not in filtered
    assert "New tender" in page
    assert (
        browser(people["other_reviewer"])
        .get(reverse("procurement:tender-list"))
        .content.decode()
        .count(world.tender.number)
        == 0
    )


def test_tender_detail_scope(world, people):
    url = reverse("procurement:tender-detail", args=[world.tender.pk])
    assert browser(people["reviewer"]).get(url).status_code == 200
    assert browser(people["other_reviewer"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_supplier_sees_checks_and_bids_through_the_form(world, people):
    client = browser(people["supplier"])
    url = reverse("procurement:tender-detail", args=[world.tender.pk])
    page = client.get(url).content.decode()
    assert 'id="eligibility"' in page and 'id="bid-form"' in page
    assert page.count('data-passed="true"') == 5
    response = client.post(
        reverse("procurement:tender-bid", args=[world.tender.pk]),
        {"offers": [world.offer.pk], "price": "4900000"},
    )
    assert response.status_code == 302
    bid = Bid.objects.get()
    assert bid.supplier == world.supplier
    page = client.get(url).content.decode()
    assert 'id="own-bid"' in page and 'id="bid-form"' not in page


def test_bid_form_shows_errors(world, people):
    client = browser(people["supplier"])
    response = client.post(
        reverse("procurement:tender-bid", args=[world.tender.pk]), {"price": "10"}
    )
    assert response.status_code == 400
    assert "Choose at least one" in response.content.decode()
    assert not Bid.objects.exists()


def test_ineligible_supplier_sees_why_and_no_form(world, people):
    world.certificate.valid_until = world.tender.deadline - datetime.timedelta(days=1)
    world.certificate.save()
    page = (
        browser(people["supplier"])
        .get(reverse("procurement:tender-detail", args=[world.tender.pk]))
        .content.decode()
    )
    assert 'data-rule="certificate_valid" data-passed="false"' in page
    assert 'id="bid-form"' not in page


def test_tenders_i_may_bid_on(world, people):
    elsewhere = TenderFactory(customer=world.group, categories=["26.51"], title="Sensors")
    late = TenderFactory(
        customer=world.group,
        categories=["28.14"],
        deadline=world.certificate.valid_until + datetime.timedelta(days=1),
    )
    page = browser(people["supplier"]).get(reverse("procurement:my-tenders")).content.decode()
    may_bid = page[page.index('id="may-bid"') : page.index('id="may-not-bid"')]
    may_not = page[page.index('id="may-not-bid"') : page.index('id="outside-categories"')]
    outside = page[page.index('id="outside-categories"') :]
    assert world.tender.number in may_bid
    assert late.number in may_not and 'data-rule="certificate_valid"' in may_not
    # The failed check is named in words, never by its rule's key.
    assert "Certificate valid through the deadline</span>" in may_not
    assert "certificate_valid</span>" not in may_not
    assert elsewhere.number not in page
    assert "1 more open tender is outside your offers" in outside
    assert "?status=open" in outside
    assert browser(people["reviewer"]).get(reverse("procurement:my-tenders")).status_code == 403


def test_my_tenders_queries_do_not_grow(world, people):
    client = browser(people["supplier"])
    url = reverse("procurement:my-tenders")
    client.get(url)
    assert_constant_queries(
        lambda n: [
            TenderFactory(customer=world.subsidiary, categories=["28.14"]) for _ in range(n)
        ],
        lambda: client.get(url),
    )


def test_reviewer_sees_eligible_and_near_misses_and_awards(world, people):
    near, *_ = certified_supplier(
        world.roadmap, world.body, valid_until=world.tender.deadline - datetime.timedelta(days=2)
    )
    bid = bid_create(
        user=people["supplier"], tender_id=world.tender.pk, offer_ids=[world.offer.pk], price=7
    )
    client = browser(people["reviewer"])
    url = reverse("procurement:tender-detail", args=[world.tender.pk])
    page = client.get(url).content.decode()
    assert f'data-supplier="{world.supplier.pk}" data-eligible="true"' in page
    assert f'data-supplier="{near.pk}" data-rule="certificate_valid"' in page
    assert 'id="award-form"' in page and f'name="bid" value="{bid.pk}"' in page
    response = client.post(
        reverse("procurement:tender-award", args=[world.tender.pk]), {"bid": bid.pk}
    )
    assert response.status_code == 302
    world.tender.refresh_from_db()
    assert world.tender.status == "awarded"
    assert Contract.objects.get().bid == bid
    page = client.get(url).content.decode()
    assert f'name="bid" value="{bid.pk}"' not in page
    # A supplier cannot award.
    assert (
        browser(people["supplier"])
        .post(reverse("procurement:tender-award", args=[world.tender.pk]), {"bid": bid.pk})
        .status_code
        == 403
    )


def test_reviewer_tender_page_queries_do_not_grow(world, people):
    client = browser(people["reviewer"])
    url = reverse("procurement:tender-detail", args=[world.tender.pk])
    client.get(url)
    assert_constant_queries(
        lambda n: [certified_supplier(world.roadmap, world.body) for _ in range(n)],
        lambda: client.get(url),
    )


def test_tender_transition_buttons(world, people):
    client = browser(people["reviewer"])
    url = reverse("procurement:tender-transition", args=[world.tender.pk])
    client.post(url, {"action": "close"})
    world.tender.refresh_from_db()
    assert world.tender.status == "closed"
    response = client.post(url, {"action": "close"}, follow=True)
    assert "not allowed" in response.content.decode()


def test_reviewer_creates_tender_contract_and_demand(world, people):
    client = browser(people["reviewer"])
    response = client.post(
        reverse("procurement:tender-create"),
        {
            "customer": world.subsidiary.pk,
            "number": "W-1",
            "title": "Gate valves",
            "categories": "28.14, 28.13",
            "published_on": "2026-01-10",
            "deadline": "2026-01-05",
            "estimated_value": "100",
            "status": "open",
        },
    )
    assert response.status_code == 200
    assert "deadline cannot precede" in response.content.decode()
    assert not Tender.objects.filter(number="W-1").exists()
    response = client.post(
        reverse("procurement:contract-create"),
        {
            "supplier": world.supplier.pk,
            "customer": world.group.pk,
            "amount": "1500.00",
            "signed_on": "2026-02-01",
        },
    )
    assert response.status_code == 302
    assert Contract.objects.filter(tender__isnull=True, amount="1500.00").exists()
    response = client.post(
        reverse("procurement:demand-create"),
        {"customer": world.subsidiary.pk, "title": "Flow meters", "category": "26.51"},
    )
    assert response.status_code == 302
    assert Demand.objects.filter(title="Flow meters").exists()
    assert browser(people["supplier"]).get(reverse("procurement:tender-create")).status_code == 403


def test_lists_render(world, people):
    for name in ("bid-list", "contract-list", "demand-list"):
        for who in ("reviewer", "supplier", "staff"):
            assert browser(people[who]).get(reverse(f"procurement:{name}")).status_code == 200


def test_region_coverage_page(world, people):
    covered = DemandFactory(customer=world.subsidiary, category="28.14.13", title="Ball valves")
    uncovered = DemandFactory(customer=world.subsidiary, category="26.51", title="Sensors")
    page = browser(people["staff"]).get(reverse("procurement:demand-coverage")).content.decode()
    covered_part = page[page.index('id="covered"') : page.index('id="uncovered"')]
    uncovered_part = page[page.index('id="uncovered"') :]
    assert f'data-demand="{covered.pk}"' in covered_part and world.supplier.name in covered_part
    assert f'data-demand="{uncovered.pk}"' in uncovered_part
    assert (
        browser(people["supplier"]).get(reverse("procurement:demand-coverage")).status_code == 403
    )


def test_coverage_queries_do_not_grow(world, people):
    client = browser(people["staff"])
    url = reverse("procurement:demand-coverage")
    client.get(url)

    def make(n):
        for i in range(n):
            DemandFactory(customer=world.subsidiary, category="28.14")
            OfferFactory(
                supplier=world.supplier,
                roadmap=world.roadmap,
                okpd2=f"28.14.{i % 9 + 1}",
                status="submitted",
            )

    assert_constant_queries(make, lambda: client.get(url))


def test_supplier_demands_and_draft_link(world, people):
    demand = DemandFactory(customer=world.subsidiary, category="28.14", title="Valves wanted")
    other = DemandFactory(customer=world.subsidiary, category="26.51", title="Sensors wanted")
    draft = OfferFactory(supplier=world.supplier, roadmap=world.roadmap, okpd2="28.14.11.000")
    client = browser(people["supplier"])
    page = client.get(reverse("procurement:demand-list")).content.decode()
    assert "Valves wanted" in page and "Sensors wanted" not in page
    assert f"{reverse('suppliers:offer-create')}?demand={demand.pk}" in page
    assert (
        "Sensors wanted"
        in client.get(reverse("procurement:demand-list") + "?all=1").content.decode()
    )
    client.post(reverse("procurement:demand-answer", args=[demand.pk]), {"offer": draft.pk})
    draft.refresh_from_db()
    assert draft.demand == demand
    assert other.offers.count() == 0


# --- query counts of the lists -------------------------------------------------------------


def _html_list_is_constant(client, url, make):
    def call():
        response = client.get(url)
        assert response.status_code == 200
        return response

    call()  # the first request of a client also loads the user's profile
    assert_constant_queries(make, call)


def test_tender_list_queries_do_not_grow(world, people):
    _html_list_is_constant(
        browser(people["reviewer"]),
        reverse("procurement:tender-list") + "?page_size=100",
        lambda n: [TenderFactory(customer=world.subsidiary) for _ in range(n)],
    )


def test_contract_list_queries_do_not_grow(world, people):
    _html_list_is_constant(
        browser(people["reviewer"]),
        reverse("procurement:contract-list") + "?page_size=100",
        lambda n: [
            ContractFactory(supplier=world.supplier, customer=world.subsidiary, tender=world.tender)
            for _ in range(n)
        ],
    )


def test_bid_list_queries_do_not_grow(world, people):
    def make(n):
        for _ in range(n):
            tender = TenderFactory(customer=world.subsidiary, categories=["28.14"])
            Bid.objects.create(tender=tender, supplier=world.supplier, price=1).offers.add(
                world.offer
            )

    _html_list_is_constant(
        browser(people["reviewer"]), reverse("procurement:bid-list") + "?page_size=100", make
    )
    _html_list_is_constant(
        browser(people["supplier"]), reverse("procurement:bid-list") + "?page_size=100", make
    )


def test_demand_list_queries_do_not_grow(world, people):
    def make(n):
        for _ in range(n):
            DemandFactory(customer=world.subsidiary, category="28.14")

    _html_list_is_constant(
        browser(people["supplier"]), reverse("procurement:demand-list") + "?all=1", make
    )
    _html_list_is_constant(browser(people["reviewer"]), reverse("procurement:demand-list"), make)


def test_a_refused_step_is_a_message_on_the_tender_page(world, people):
    """``TransitionNotAllowed`` (DomainExceptionMiddleware): back to the tender's page."""
    client = browser(people["reviewer"])
    url = reverse("procurement:tender-transition", args=[world.tender.pk])
    client.post(url, {"action": "close"})
    response = client.post(url, {"action": "close"})
    assert response["Location"] == reverse("procurement:tender-detail", args=[world.tender.pk])


def test_an_award_refused_after_another_award_goes_back_with_its_message(world, people):
    """The award form has a button per bid and nothing to type: a refusal (the tender was
    awarded meanwhile) is the message on the tender's page, no second contract."""
    bid = bid_create(
        user=people["supplier"], tender_id=world.tender.pk, offer_ids=[world.offer.pk], price=7
    )
    colleague = user_with_role("reviewer", corporation=world.group)
    tender_award(user=colleague, tender_id=world.tender.pk, bid_id=bid.pk)

    response = browser(people["reviewer"]).post(
        reverse("procurement:tender-award", args=[world.tender.pk]), {"bid": bid.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("procurement:tender-detail", args=[world.tender.pk])
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The tender is awarded: it cannot be awarded."
    ]
    assert Contract.objects.count() == 1


def test_a_role_the_service_refuses_is_403(world, people):
    """``RoleNotAllowed`` from the service (DomainExceptionMiddleware): 403."""
    url = reverse("procurement:tender-transition", args=[world.tender.pk])
    assert browser(people["supplier"]).post(url, {"action": "close"}).status_code == 403


def test_an_answer_to_a_demand_that_is_not_there_is_404(world, people):
    """``Demand.DoesNotExist`` from the service (DomainExceptionMiddleware): 404."""
    url = reverse("procurement:demand-answer", args=[987654])
    response = browser(people["supplier"]).post(url, {"offer": world.offer.pk})
    assert response.status_code == 404
