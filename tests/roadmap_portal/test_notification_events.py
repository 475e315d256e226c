"""Each event reaches the right people, and nobody outside the object's scope."""

import pytest
from django.core import mail

from procurement.models import Bid
from roadmap_portal.models import Delivery, Notification, NotificationPreference
from roadmap_portal.notifications.services import (
    notify,
    notify_bid_awarded,
    notify_demand_published,
    notify_tender_opened,
)
from suppliers.services import offer_transition
from tests.factories import (
    CorporationFactory,
    DemandFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    TenderFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def recipients_of(event, **filters):
    return set(
        Notification.objects.filter(event=event, **filters).values_list(
            "recipient__username", flat=True
        )
    )


@pytest.fixture
def world():
    """Two regions, two corporation groups, one roadmap each, people of every role in each."""
    tomsk, kaluga = RegionFactory(code="RU-TOM"), RegionFactory(code="RU-KLU")
    inter_rao, gazprom = CorporationFactory(), CorporationFactory()
    roadmap = RoadmapFactory(region=tomsk, corporation=inter_rao)
    RoadmapFactory(region=kaluga, corporation=gazprom)
    mikran = SupplierFactory(region=tomsk)
    other_supplier = SupplierFactory(region=tomsk)
    kaluga_maker = SupplierFactory(region=kaluga)
    return {
        "roadmap": roadmap,
        "mikran": mikran,
        "inter_rao": inter_rao,
        "gazprom": gazprom,
        "kaluga_maker": kaluga_maker,
        "tomsk": tomsk,
        "people": {
            "mikran": user_with_role("supplier", username="mikran", supplier=mikran),
            "mikran.ru": user_with_role(
                "supplier", username="mikran.ru", supplier=mikran, language="ru"
            ),
            "other": user_with_role("supplier", username="other", supplier=other_supplier),
            "kaluga.maker": user_with_role(
                "supplier", username="kaluga.maker", supplier=kaluga_maker
            ),
            "tomsk.staff": user_with_role("region_staff", username="tomsk.staff", region=tomsk),
            "kaluga.staff": user_with_role("region_staff", username="kaluga.staff", region=kaluga),
            "interrao.reviewer": user_with_role(
                "reviewer", username="interrao.reviewer", corporation=inter_rao
            ),
            "gazprom.reviewer": user_with_role(
                "reviewer", username="gazprom.reviewer", corporation=gazprom
            ),
        },
    }


def test_offer_transitions_notify_supplier_and_the_next_queue_only(
    world, django_capture_on_commit_callbacks
):
    people = world["people"]
    offer = OfferFactory(supplier=world["mikran"], roadmap=world["roadmap"], name="LED lamp")

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition(offer_id=offer.pk, user=people["mikran"], action="submit")
    assert recipients_of("queue_work") == {"tomsk.staff"}
    assert recipients_of("offer_status") == {"mikran", "mikran.ru"}

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition(
            offer_id=offer.pk,
            user=people["tomsk.staff"],
            action="return",
            comment="Add the datasheet, please",
        )
    returned = Notification.objects.filter(event="offer_status").order_by("-id")
    for notification in returned[:2]:
        assert "Add the datasheet, please" in notification.message
    assert "Draft" in returned.filter(recipient__username="mikran").first().message

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition(offer_id=offer.pk, user=people["mikran"], action="submit")
        offer_transition(offer_id=offer.pk, user=people["tomsk.staff"], action="forward")
    assert recipients_of("queue_work") == {"tomsk.staff", "interrao.reviewer"}

    with django_capture_on_commit_callbacks(execute=True):
        offer_transition(
            offer_id=offer.pk,
            user=people["interrao.reviewer"],
            action="reject",
            comment="Does not meet STO 1.2",
        )
    rejection = Notification.objects.filter(
        event="offer_status", recipient=people["mikran"]
    ).first()
    assert "Does not meet STO 1.2" in rejection.message
    assert rejection.object_type == "offer" and rejection.object_id == offer.pk

    # Nobody outside the offer's scope heard anything about it.
    everyone = set(Notification.objects.values_list("recipient__username", flat=True))
    assert everyone == {"mikran", "mikran.ru", "tomsk.staff", "interrao.reviewer"}


def test_a_status_change_mails_the_supplier_after_commit_only(
    world, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_BASE_URL = "https://portal.example.org/"
    people = world["people"]
    offer = OfferFactory(supplier=world["mikran"], roadmap=world["roadmap"], name="Radar shield")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        offer_transition(offer_id=offer.pk, user=people["mikran"], action="submit")
    assert Notification.objects.count() == 0 and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    # offer_status is e-mailed at once by default, queue work goes to the digest.
    assert sorted(m.to[0] for m in mail.outbox) == ["mikran.ru@example.org", "mikran@example.org"]
    english = next(m for m in mail.outbox if m.to == ["mikran@example.org"])
    assert "Radar shield" in english.body
    notification = Notification.objects.get(recipient=people["mikran"], event="offer_status")
    link = "https://portal.example.org" + (notification.url or "/notifications/")
    assert link in english.body
    html = english.alternatives[0][0]
    assert "Radar shield" in html and "<a href=" in html
    digest_only = Notification.objects.get(event="queue_work")
    assert digest_only.email_digest is True


def test_notify_twice_with_the_same_key_creates_and_mails_once(
    world, django_capture_on_commit_callbacks
):
    people = [world["people"]["mikran"], world["people"]["tomsk.staff"]]
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notify(
                recipients=people,
                event="report_ready",
                key="report_ready:1",
                message=lambda: "Report ready",
            )
    assert Notification.objects.filter(key="report_ready:1").count() == 2
    assert Delivery.objects.count() == 2
    assert len(mail.outbox) == 2


def test_preference_off_sends_no_email_but_keeps_the_bell(
    world, django_capture_on_commit_callbacks
):
    mikran = world["people"]["mikran"]
    NotificationPreference.objects.create(user=mikran, event="report_ready", email="off")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[mikran], event="report_ready", key="r:1", message=lambda: "Ready")
    assert Notification.objects.filter(recipient=mikran).count() == 1
    assert Delivery.objects.count() == 0 and mail.outbox == []


def _registered(supplier, roadmap, okpd2):
    return OfferFactory(supplier=supplier, roadmap=roadmap, okpd2=okpd2, status="registered")


def test_tender_opened_reaches_suppliers_with_registered_offers_in_its_categories(world):
    people = world["people"]
    roadmap = world["roadmap"]
    _registered(world["mikran"], roadmap, "27.11.22.000")
    # Same region, offer under the category but only a draft: not eligible, not told.
    OfferFactory(supplier=people["other"].profile.supplier, roadmap=roadmap, okpd2="27.11.10")
    # Kaluga has no roadmap with Inter RAO: its maker is not told even with a match.
    kaluga_roadmap = RoadmapFactory(
        region=world["kaluga_maker"].region, corporation=world["gazprom"]
    )
    _registered(world["kaluga_maker"], kaluga_roadmap, "27.11.22.000")
    subsidiary = CorporationFactory(parent=world["inter_rao"])
    tender = TenderFactory(customer=subsidiary, categories=["26.51", "27.11"])

    assert notify_tender_opened(tender.pk) == 2
    assert recipients_of("tender_opened") == {"mikran", "mikran.ru"}
    assert notify_tender_opened(tender.pk) == 0  # once per tender


def test_tender_notifications_skip_unverified_suppliers_and_other_categories(world):
    roadmap = world["roadmap"]
    unverified = SupplierFactory(region=world["tomsk"], verification_status="pending")
    user_with_role("supplier", username="unverified", supplier=unverified)
    _registered(unverified, roadmap, "27.11.22.000")
    _registered(world["mikran"], roadmap, "26.51.10.000")
    tender = TenderFactory(customer=world["inter_rao"], categories=["27.11"])
    assert notify_tender_opened(tender.pk) == 0
    closed = TenderFactory(customer=world["inter_rao"], categories=["26"], status="closed")
    assert notify_tender_opened(closed.pk) == 0


def test_tender_notification_needs_an_active_roadmap(world):
    roadmap = world["roadmap"]
    _registered(world["mikran"], roadmap, "27.11.22.000")
    roadmap.status = "completed"
    roadmap.save()
    tender = TenderFactory(customer=world["inter_rao"], categories=["27"])
    assert notify_tender_opened(tender.pk) == 0


def test_demand_published_reaches_suppliers_with_any_live_offer_under_its_category(world):
    people = world["people"]
    roadmap = world["roadmap"]
    OfferFactory(supplier=world["mikran"], roadmap=roadmap, okpd2="20.59.59.000", status="draft")
    OfferFactory(
        supplier=people["other"].profile.supplier,
        roadmap=roadmap,
        okpd2="20.59.59.000",
        status="withdrawn",
    )
    demand = DemandFactory(customer=world["inter_rao"], category="20.59", title="Flush reagent")
    assert notify_demand_published(demand.pk) == 2
    assert recipients_of("demand_published") == {"mikran", "mikran.ru"}
    message = Notification.objects.filter(event="demand_published").first().message
    assert "Flush reagent" in message


def test_bid_awarded_reaches_the_bidding_suppliers_members_only(world):
    tender = TenderFactory(customer=world["inter_rao"])
    bid = Bid.objects.create(tender=tender, supplier=world["mikran"], status="awarded")
    Bid.objects.create(tender=tender, supplier=world["people"]["other"].profile.supplier)
    assert notify_bid_awarded(bid.pk) == 2
    assert recipients_of("bid_awarded") == {"mikran", "mikran.ru"}
    assert tender.number in Notification.objects.filter(event="bid_awarded").first().message


def test_digest_notifications_are_flagged_from_the_preference(world):
    mikran = world["people"]["mikran"]
    NotificationPreference.objects.create(user=mikran, event="bid_awarded", email="digest")
    tender = TenderFactory(customer=world["inter_rao"])
    bid = Bid.objects.create(tender=tender, supplier=world["mikran"])
    notify_bid_awarded(bid.pk)
    flags = dict(
        Notification.objects.filter(event="bid_awarded").values_list(
            "recipient__username", "email_digest"
        )
    )
    assert flags == {"mikran": True, "mikran.ru": False}
    assert Delivery.objects.filter(recipient=mikran).count() == 0
    assert Delivery.objects.filter(recipient__username="mikran.ru").count() == 1
