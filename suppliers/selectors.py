"""Reads of suppliers and offers, each restricted to the user's scope."""

from django.db.models import Q

from roadmap_portal.choices import Role
from roadmap_portal.scope import scope_of

from .choices import OfferStatus
from .models import Offer, OfferTransition, Supplier

# Before these, an offer is the supplier's and the region's business only.
CORPORATE_STATUSES = (
    OfferStatus.FORWARDED,
    OfferStatus.REQUIREMENTS_MET,
    OfferStatus.READINESS_CONFIRMED,
    OfferStatus.TESTED,
    OfferStatus.CERTIFIED,
    OfferStatus.REGISTERED,
    OfferStatus.EXCLUDED,
    OfferStatus.REJECTED,
)
CERTIFICATION_STATUSES = (
    OfferStatus.TESTED,
    OfferStatus.CERTIFIED,
    OfferStatus.REGISTERED,
    OfferStatus.EXCLUDED,
)
PUBLIC_STATUSES = (OfferStatus.REGISTERED, OfferStatus.EXCLUDED)


def suppliers_visible_to(user):
    scope = scope_of(user)
    qs = Supplier.objects.select_related("region")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.SUPPLIER:
        return qs.filter(pk=scope.supplier_id)
    if scope.role == Role.REGION_STAFF:
        return qs.filter(region_id=scope.region_id)
    if scope.role == Role.REVIEWER:
        # Suppliers of regions that have a roadmap with the reviewer's group.
        return qs.filter(region__roadmaps__corporation_id=scope.group_id).distinct()
    if scope.role == Role.OFFICER:
        return qs.filter(
            region__roadmaps__corporation__certification_bodies__id=scope.body_id
        ).distinct()
    if scope.role == Role.PARTNER:
        qs = qs.filter(verification_status="verified")
        return qs.filter(region_id=scope.region_id) if scope.region_id else qs
    return qs.none()


def offers_visible_to(user):
    """Drafts stay with their supplier; each role sees the stages that concern it."""
    scope = scope_of(user)
    qs = Offer.objects.select_related("supplier", "supplier__region", "roadmap", "roadmap__region")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.SUPPLIER:
        return qs.filter(supplier_id=scope.supplier_id)
    if scope.role == Role.REGION_STAFF:
        return qs.filter(supplier__region_id=scope.region_id).exclude(status=OfferStatus.DRAFT)
    if scope.role == Role.REVIEWER:
        return qs.filter(roadmap__corporation_id=scope.group_id, status__in=CORPORATE_STATUSES)
    if scope.role == Role.OFFICER:
        return qs.filter(
            roadmap__corporation__required_body_id=scope.body_id,
            status__in=CERTIFICATION_STATUSES,
        )
    if scope.role == Role.PARTNER:
        q = Q(status__in=PUBLIC_STATUSES)
        if scope.region_id:
            q &= Q(supplier__region_id=scope.region_id)
        if scope.group_id:
            q &= Q(roadmap__corporation_id=scope.group_id)
        return qs.filter(q)
    return qs.none()


def offer_history(offer):
    return (
        OfferTransition.objects.filter(offer=offer)
        .select_related("actor")
        .order_by("created", "id")
    )
