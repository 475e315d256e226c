"""Reads of suppliers and offers, each restricted to the user's scope."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from roadmap_portal.choices import Role
from roadmap_portal.expressions import IdInQuery
from roadmap_portal.models import Roadmap
from roadmap_portal.scope import (
    Actor,
    Joined,
    RuleTable,
    partner_slice,
    reads_internal_records,
    restrict,
)

from .choices import OfferStatus
from .models import Offer, OfferAttachment, OfferTransition, Supplier
from .pipeline import CERTIFICATION, CORPORATE, PUBLIC


def _suppliers_of_group(group_id: int) -> Q:
    """A group's slice of suppliers: those of the regions the group has a roadmap with."""
    return Q(
        Exists(
            Roadmap.objects.filter(
                region_id=OuterRef("region_id"), corporation_id=group_id
            ).exclude(status="draft")
        )
    )


SUPPLIER_RULES: RuleTable = {
    Role.SUPPLIER: lambda scope: Q(pk=scope.supplier_id),
    Role.REGION_STAFF: lambda scope: Q(region_id=scope.region_id),
    # Suppliers of regions that have a roadmap with the reviewer's group.
    Role.REVIEWER: Joined(lambda scope: Q(region__roadmaps__corporation_id=scope.group_id)),
    Role.OFFICER: Joined(
        lambda scope: Q(region__roadmaps__corporation__required_body_id=scope.body_id)
    ),
    Role.PARTNER: partner_slice(
        public=Q(verification_status="verified"),
        region=lambda region_id: Q(region_id=region_id),
        group=_suppliers_of_group,
    ),
}


def suppliers_visible_to(user: Actor) -> QuerySet[Supplier]:
    return restrict(user, Supplier.objects.select_related("region"), SUPPLIER_RULES)


# A group's or a body's offers are named through their roadmaps, as the ids of a query run
# once (``IdInQuery``), not as a join: PostgreSQL then ANDs the scope with the other
# conditions' indexes (a search's text index is read once, not once per roadmap).
OFFER_RULES: RuleTable = {
    Role.SUPPLIER: lambda scope: Q(supplier_id=scope.supplier_id),
    Role.REGION_STAFF: lambda scope: (
        Q(supplier__region_id=scope.region_id) & ~Q(status=OfferStatus.DRAFT)
    ),
    Role.REVIEWER: lambda scope: (
        Q(
            IdInQuery(
                "roadmap_id", Roadmap.objects.filter(Q(corporation_id=scope.group_id)).values("pk")
            )
        )
        & Q(status__in=CORPORATE)
    ),
    Role.OFFICER: lambda scope: (
        Q(
            IdInQuery(
                "roadmap_id",
                Roadmap.objects.filter(Q(corporation__required_body_id=scope.body_id)).values("pk"),
            )
        )
        & Q(status__in=CERTIFICATION)
    ),
    Role.PARTNER: partner_slice(
        public=Q(status__in=PUBLIC),
        region=lambda region_id: Q(supplier__region_id=region_id),
        group=lambda group_id: Q(roadmap__corporation_id=group_id),
    ),
}


def offers_visible_to(user: Actor) -> QuerySet[Offer]:
    """Drafts stay with their supplier; each role sees the stages that concern it."""
    qs = Offer.objects.select_related("supplier", "supplier__region", "roadmap", "roadmap__region")
    return restrict(user, qs, OFFER_RULES)


def offers_brief_visible_to(user: Actor) -> QuerySet[Offer]:
    """What another object's page or answer lists of its offers (a certificate's, a bid's,
    a demand's answers): the user's own scope only, with the columns a row shows, for a
    ``Prefetch``."""
    return (
        offers_visible_to(user)
        .select_related(None)
        .only("id", "name", "status", "okpd2", "supplier_id")
        .order_by("id")
    )


def offer_history(offer: Offer) -> QuerySet[OfferTransition]:
    return (
        OfferTransition.objects.filter(offer=offer)
        .select_related("actor")
        .order_by("created", "id")
    )


def history_is_internal_to(user: Actor) -> bool:
    """Whether ``user`` may read who moved an offer and why (actors, comments, stage data).

    Partners may not: they read only the changes into the public stages, as the register
    shows them, without actor or record, and of the comments only an exclusion's reason
    (``public_comment``); no stage records (checks, readiness, tests) at all."""
    return reads_internal_records(user)


def public_comment(row: OfferTransition) -> str:
    """The part of a history row's comment that is public: an exclusion's reason, which the
    register publishes as the entry's ``exclusion_reason``; nothing of any other step."""
    return row.comment if row.to_status == OfferStatus.EXCLUDED else ""


def offer_history_visible_to(user: Actor, offer: Offer) -> QuerySet[OfferTransition]:
    """The history of ``offer`` (already in the user's scope) that ``user`` may read."""
    rows = offer_history(offer)
    if not history_is_internal_to(user):
        rows = rows.filter(to_status__in=PUBLIC)
    return rows


def offer_list_for(user: Actor) -> QuerySet[Offer]:
    """The offers a list page or the API shows: scoped, with what a row displays."""
    return offers_visible_to(user).prefetch_related("attachments").order_by("-id")


def screening_queue(user: Actor) -> QuerySet[Offer]:
    """Submitted offers of the region-staff member's region, oldest first."""
    return (
        offers_visible_to(user)
        .filter(status=OfferStatus.SUBMITTED)
        .order_by("status_changed", "id")
    )


def supplier_list_for(user: Actor) -> QuerySet[Supplier]:
    """Suppliers in scope, each with the number of its offers the user may see."""
    visible = offers_visible_to(user).filter(supplier_id=OuterRef("pk")).order_by()
    counted = visible.values("supplier_id").annotate(n=Count("pk")).values("n")
    return (
        suppliers_visible_to(user)
        .annotate(offer_count=Coalesce(Subquery(counted), 0))
        .order_by("name", "id")
    )


def attachments_visible_to(user: Actor) -> QuerySet[OfferAttachment]:
    """Attachments of the offers the user may see: the only way to reach a stored file."""
    return OfferAttachment.objects.select_related("offer").filter(
        offer__in=offers_visible_to(user).values("pk")
    )


def roadmaps_for_offers(supplier: Supplier, *, current: Roadmap | None = None) -> QuerySet[Roadmap]:
    """Roadmaps a supplier may offer products under: those of its region not yet completed."""
    q = Q(region_id=supplier.region_id) & ~Q(status="completed")
    if current is not None:
        q |= Q(pk=current.pk)
    return Roadmap.objects.filter(q).select_related("corporation").order_by("-start_year", "id")
