"""Reads of demands, tenders, bids and contracts, each restricted to the user's scope."""

from django.db.models import Q

from roadmap_portal.choices import Role
from roadmap_portal.models import Corporation
from roadmap_portal.scope import scope_of

from .models import Bid, Contract, Demand, Tender


def _groups_with_roadmaps_in(region_id):
    return Corporation.objects.filter(roadmaps__region_id=region_id).values("pk")


def _customer_in_groups(groups, prefix="customer__"):
    return Q(**{f"{prefix}id__in": groups}) | Q(**{f"{prefix}parent_id__in": groups})


def tenders_visible_to(user):
    """Reviewers see their group's tenders; region people those of groups with a roadmap there."""
    scope = scope_of(user)
    qs = Tender.objects.select_related("customer", "customer__parent")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.REVIEWER:
        return qs.filter(Corporation.in_group(scope.group_id, "customer__"))
    if scope.role in (Role.REGION_STAFF, Role.SUPPLIER):
        region_id = scope.region_id
        if scope.role == Role.SUPPLIER:
            from suppliers.models import Supplier

            region_id = Supplier.objects.filter(pk=scope.supplier_id).values("region_id")[:1]
        return qs.filter(_customer_in_groups(_groups_with_roadmaps_in(region_id))).distinct()
    if scope.role == Role.OFFICER:
        return qs.none()
    if scope.role == Role.PARTNER:
        return (
            qs.filter(Corporation.in_group(scope.group_id, "customer__")) if scope.group_id else qs
        )
    return qs.none()


def demands_visible_to(user):
    scope = scope_of(user)
    qs = Demand.objects.select_related("customer")
    if scope.role is None:
        return qs.none()
    if scope.role == Role.REVIEWER:
        return qs.filter(Corporation.in_group(scope.group_id, "customer__"))
    if scope.role == Role.PARTNER and scope.group_id:
        return qs.filter(Corporation.in_group(scope.group_id, "customer__"))
    return qs


def bids_visible_to(user):
    scope = scope_of(user)
    qs = Bid.objects.select_related("tender", "tender__customer", "supplier")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.SUPPLIER:
        return qs.filter(supplier_id=scope.supplier_id)
    if scope.role == Role.REVIEWER:
        return qs.filter(Corporation.in_group(scope.group_id, "tender__customer__"))
    if scope.role == Role.REGION_STAFF:
        return qs.filter(supplier__region_id=scope.region_id)
    return qs.none()


def contracts_visible_to(user):
    scope = scope_of(user)
    qs = Contract.objects.select_related("supplier", "supplier__region", "customer", "tender")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.SUPPLIER:
        return qs.filter(supplier_id=scope.supplier_id)
    if scope.role == Role.REVIEWER:
        return qs.filter(Corporation.in_group(scope.group_id, "customer__"))
    if scope.role == Role.REGION_STAFF:
        return qs.filter(supplier__region_id=scope.region_id)
    if scope.role == Role.PARTNER:
        q = Q()
        if scope.region_id:
            q &= Q(supplier__region_id=scope.region_id)
        if scope.group_id:
            q &= Corporation.in_group(scope.group_id, "customer__")
        return qs.filter(q)
    return qs.none()
