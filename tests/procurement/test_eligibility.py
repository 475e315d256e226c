import datetime

import pytest
from django.utils import translation

from procurement.eligibility import (
    RULES,
    candidate_tenders,
    evaluate,
    supplier_tenders,
    suppliers_for_tender,
    tenders_for_supplier,
)
from procurement.models import Tender
from suppliers.models import Supplier
from tests.factories import OfferFactory, RoadmapFactory, SupplierFactory, TenderFactory
from tests.helpers import assert_constant_queries, count_queries

from .conftest import TODAY, certified_supplier, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def failed_rules(world):
    return [c.rule for c in evaluate(tender=world.tender, supplier=world.supplier).failed]


def test_all_checks_pass_in_order_with_reasons(world):
    result = evaluate(tender=world.tender, supplier=world.supplier)
    assert result.eligible
    assert [c.rule for c in result.checks] == list(RULES)
    details = {c.rule: c.detail for c in result.checks}
    assert world.offer.name in details["registered_offer"]
    assert f"entry № {world.entry.number}" in details["registered_offer"]
    assert world.certificate.number in details["certificate_valid"]
    assert world.roadmap.title in details["roadmap_active"]
    assert [o.pk for o in result.offers] == [world.offer.pk]
    assert result.as_dict()["eligible"] is True


def test_supplier_verified_fails_alone(world):
    world.supplier.verification_status = "pending"
    world.supplier.save()
    assert failed_rules(world) == ["supplier_verified"]


def test_roadmap_active_fails_alone(world):
    world.roadmap.status = "completed"
    world.roadmap.save()
    assert failed_rules(world) == ["roadmap_active"]


def test_registered_offer_fails_alone_when_the_offer_is_certified_but_not_registered(world):
    # A register entry is never deleted: a second supplier whose offer was never registered.
    supplier, _offer, _certificate, _entry = certified_supplier(
        world.roadmap, world.body, registered=False
    )
    result = evaluate(tender=world.tender, supplier=supplier)
    assert [c.rule for c in result.failed] == ["registered_offer"]
    assert "Certified" in result.failed[0].detail
    assert result.offers == []


def test_an_excluded_register_entry_does_not_count(world):
    world.entry.excluded_on = TODAY()
    world.entry.save()
    assert "registered_offer" in failed_rules(world)


def test_registered_offer_must_fall_under_a_category(world):
    world.tender.categories = ["26.51"]
    world.tender.save()
    result = evaluate(tender=world.tender, supplier=world.supplier)
    assert "registered_offer" in [c.rule for c in result.failed]
    assert "26.51" in result.checks[2].detail


def test_certificate_valid_fails_alone(world):
    world.certificate.status = "suspended"
    world.certificate.save()
    result = evaluate(tender=world.tender, supplier=world.supplier)
    assert [c.rule for c in result.failed] == ["certificate_valid"]
    assert "suspended" in result.failed[0].detail


def test_certificate_expiring_a_day_before_the_deadline_is_not_enough(world):
    world.certificate.valid_until = world.tender.deadline - datetime.timedelta(days=1)
    world.certificate.save()
    result = evaluate(tender=world.tender, supplier=world.supplier)
    assert not result.eligible
    assert [c.rule for c in result.failed] == ["certificate_valid"]
    assert "before the deadline" in result.failed[0].detail
    assert world.certificate.number in result.failed[0].detail


def test_certificate_valid_on_the_deadline_day_is_enough(world):
    world.certificate.valid_until = world.tender.deadline
    world.certificate.save()
    assert evaluate(tender=world.tender, supplier=world.supplier).eligible


def test_a_renewed_certificate_covers_the_offer(world):
    from tests.factories import CertificateFactory

    world.certificate.valid_until = world.tender.deadline - datetime.timedelta(days=1)
    world.certificate.save()
    renewal = CertificateFactory(
        body=world.body,
        supplier=world.supplier,
        valid_until=world.tender.deadline + datetime.timedelta(days=300),
        offers=[world.offer],
    )
    result = evaluate(tender=world.tender, supplier=world.supplier)
    assert result.eligible
    assert renewal.number in result.checks[3].detail


def test_certificate_of_another_body_does_not_count(world):
    from tests.factories import CertificationBodyFactory

    world.certificate.body = CertificationBodyFactory()
    world.certificate.save()
    assert failed_rules(world) == ["certificate_valid"]


def test_no_certification_required_passes_with_a_detail(db):
    world = make_world(requires_certificate=False)
    result = evaluate(tender=world.tender, supplier=world.supplier)
    assert result.eligible
    assert "requires no certificate" in result.checks[3].detail


def test_tender_open_fails_alone_when_closed(world):
    world.tender.status = "closed"
    world.tender.save()
    result = evaluate(tender=world.tender, supplier=world.supplier)
    assert [c.rule for c in result.failed] == ["tender_open"]


def test_tender_open_fails_alone_after_the_deadline(world):
    deadline = TODAY() - datetime.timedelta(days=1)
    world.tender.deadline = deadline
    world.tender.save()
    world.certificate.valid_until = TODAY() + datetime.timedelta(days=10)
    world.certificate.save()
    result = evaluate(tender=world.tender, supplier=world.supplier)
    assert [c.rule for c in result.failed] == ["tender_open"]
    assert "has passed" in result.failed[0].detail


def test_details_follow_the_language(world):
    world.supplier.verification_status = "pending"
    world.supplier.save()
    with translation.override("en"):
        english = evaluate(tender=world.tender, supplier=world.supplier).failed[0].detail
    assert "is not verified" in english


def test_details_read_later_keep_the_language_they_were_decided_in(world):
    world.supplier.verification_status = "pending"
    world.supplier.save()
    with translation.override("en"):
        result = evaluate(tender=world.tender, supplier=world.supplier)
    with translation.override("ru"):
        detail = result.failed[0].detail
        label = str(result.failed[0].label)
    assert "is not verified" in detail
    assert label == "Поставщик проверен"


def test_reviewer_list_eligible_and_near_misses(world):
    near, *_ = certified_supplier(
        world.roadmap, world.body, valid_until=world.tender.deadline - datetime.timedelta(days=1)
    )
    unverified, *_ = certified_supplier(world.roadmap, world.body, verification_status="pending")
    far, *_ = certified_supplier(world.roadmap, world.body, okpd2="26.51.52.130")
    eligible, near_misses = suppliers_for_tender(world.tender, Supplier.objects.all())
    assert [e.supplier.pk for e in eligible] == [world.supplier.pk]
    assert {(e.supplier.pk, e.first_failure.rule) for e in near_misses} == {
        (near.pk, "certificate_valid"),
        (unverified.pk, "supplier_verified"),
    }
    assert far.pk not in {e.supplier.pk for e in eligible + near_misses}


def test_register_entries_read_with_or_without_the_suppliers_ids_decide_alike(world, monkeypatch):
    """Past ``FEW_SUPPLIERS`` the entries are read by group and category only: the same
    answer as reading them by supplier too."""
    from procurement import eligibility

    near, *_ = certified_supplier(
        world.roadmap, world.body, valid_until=world.tender.deadline - datetime.timedelta(days=1)
    )
    certified_supplier(world.roadmap, world.body, verification_status="pending")
    other_group = certified_supplier(RoadmapFactory(region=world.region), world.body)[0]

    def answer():
        eligible, near_misses = suppliers_for_tender(world.tender, Supplier.objects.all())
        return [
            (e.supplier.pk, [(c.rule, c.passed, c.detail) for c in e.checks])
            for e in (eligible + near_misses)
        ]

    by_supplier = answer()
    monkeypatch.setattr(eligibility, "FEW_SUPPLIERS", 0)
    assert answer() == by_supplier
    assert {pk for pk, _ in by_supplier} >= {world.supplier.pk, near.pk}
    assert other_group.pk not in {pk for pk, _ in by_supplier}


def test_supplier_view_across_tenders(world):
    other_group_tender = TenderFactory(categories=["28.14"])
    closed = TenderFactory(customer=world.group, categories=["28"], status="closed")
    results = tenders_for_supplier(world.supplier, [world.tender, other_group_tender, closed])
    assert [r.eligible for r in results] == [True, False, False]
    assert [c.rule for c in results[1].failed][0] == "roadmap_active"
    assert [c.rule for c in results[2].failed] == ["tender_open"]


def test_candidate_tenders_are_those_with_an_offer_to_check(world):
    """The SQL filter keeps exactly the tenders the full evaluation finds an offer for."""
    group, subsidiary = world.group, world.subsidiary
    OfferFactory(
        supplier=world.supplier, roadmap=world.roadmap, okpd2="26.51.52.130", status="tested"
    )
    OfferFactory(
        supplier=world.supplier, roadmap=world.roadmap, okpd2="27.11.10.000", status="draft"
    )
    made = {
        "class of the head": TenderFactory(customer=group, categories=["28"]),
        "exact code": TenderFactory(customer=subsidiary, categories=["28.14.13.131"]),
        "second category": TenderFactory(customer=subsidiary, categories=["20.59", "26.51.5"]),
        "narrower than the code": TenderFactory(customer=subsidiary, categories=["28.14.13.1312"]),
        "sibling group": TenderFactory(customer=subsidiary, categories=["28.14.2"]),
        "offer still a draft": TenderFactory(customer=subsidiary, categories=["27.11"]),
        "another corporation": TenderFactory(categories=["28.14"]),
        "character prefix only": TenderFactory(customer=subsidiary, categories=["2"]),
    }
    tenders = Tender.objects.order_by("id")
    found = set(candidate_tenders(world.supplier, tenders).values_list("pk", flat=True))
    with_offer = {
        r.tender.pk
        for r in tenders_for_supplier(world.supplier, tenders.select_related("customer"))
        if "has no offer" not in r.checks[2].detail
    }
    assert found == with_offer
    names = {name for name, t in made.items() if t.pk in found}
    assert names == {"class of the head", "exact code", "second category", "character prefix only"}
    assert world.tender.pk in found


def test_supplier_tenders_split_and_count_the_rest(world):
    expiring = TenderFactory(
        customer=world.subsidiary,
        categories=["28.14"],
        deadline=TODAY() + datetime.timedelta(days=400),
    )
    TenderFactory(customer=world.subsidiary, categories=["26.51"])
    TenderFactory(categories=["28.14"])
    standing = supplier_tenders(world.supplier, Tender.objects.order_by("deadline", "id"))
    assert [r.tender.pk for r in standing.may_bid] == [world.tender.pk]
    assert [r.tender.pk for r in standing.may_not] == [expiring.pk]
    assert [c.rule for c in standing.may_not[0].failed] == ["certificate_valid"]
    assert standing.outside == 2


def test_supplier_tenders_decide_as_each_tender_alone_and_read_a_fixed_number_of_queries(world):
    """The list reads tenders as rows and the supplier's offers once; each tender's checks
    and reasons are those of evaluating it alone, whatever the number of tenders."""
    made = []

    def make(n):
        for i in range(n):
            made.append(
                TenderFactory(
                    customer=world.subsidiary if i % 2 else world.group,
                    categories=["28.14"],
                    deadline=TODAY() + datetime.timedelta(days=30 if i % 3 else 400),
                )
            )

    def call():
        return supplier_tenders(world.supplier, Tender.objects.order_by("deadline", "id"))

    queries = assert_constant_queries(make, call)
    # The supplier's offers, the groups' corporations, the tenders, regions, roadmaps,
    # register entries, the certificates' links and the certificates, and the count.
    assert queries <= 9
    standing = call()
    assert standing.may_bid and standing.may_not
    for result in standing.may_bid + standing.may_not:
        alone = evaluate(tender=Tender.objects.get(pk=result.tender.pk), supplier=world.supplier)
        assert result.eligible == alone.eligible
        assert result.checks == alone.checks
        assert result.tender.customer.short_name == alone.tender.customer.short_name


def test_supplier_without_offers_has_no_candidates(world):
    newcomer = SupplierFactory(region=world.region, verification_status="verified")
    standing = supplier_tenders(newcomer, Tender.objects.all())
    assert (standing.may_bid, standing.may_not, standing.outside) == ([], [], 1)


def test_queries_for_one_supplier_do_not_grow_with_tenders(world):
    tenders = [world.tender]

    def make(n):
        for _ in range(n):
            tenders.append(TenderFactory(customer=world.subsidiary, categories=["28.14", "28.13"]))

    def call():
        results = tenders_for_supplier(world.supplier, list(tenders))
        assert all(r.eligible for r in results)
        return results

    # Groups, regions, roadmaps, offers, register entries, the certificates' links to the
    # offers and the certificates.
    assert assert_constant_queries(make, call) <= 7


def test_queries_for_one_tender_do_not_grow_with_suppliers(world):
    def make(n):
        for _ in range(n):
            certified_supplier(world.roadmap, world.body)

    def call():
        eligible, _ = suppliers_for_tender(world.tender, Supplier.objects.all())
        assert len(eligible) == Supplier.objects.count()
        return eligible

    queries = assert_constant_queries(make, call)
    # The tender's offers, its candidate suppliers and the seven of tenders_for_supplier.
    assert queries <= 9


def test_group_roadmap_counts_for_a_subsidiary_customer(world):
    # The tender's customer is the subsidiary; the roadmap is the parent's.
    assert world.tender.customer.parent_id == world.group.pk
    assert evaluate(tender=world.tender, supplier=world.supplier).eligible
    # A roadmap of the supplier's region with another group does not help.
    world.roadmap.status = "draft"
    world.roadmap.save()
    RoadmapFactory(region=world.region, status="active")
    _, n = count_queries(evaluate, tender=world.tender, supplier=world.supplier)
    assert failed_rules(world) == ["roadmap_active"]
    assert n <= 8
