"""Reads of demands, tenders, bids and contracts, each restricted to the user's scope."""

import datetime
from collections import defaultdict

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.lookups import StartsWith
from django.utils import timezone

from roadmap_portal.choices import Role
from roadmap_portal.models import Corporation, Roadmap
from roadmap_portal.scope import scope_of
from suppliers.models import Offer, Supplier
from suppliers.selectors import suppliers_visible_to

from .categories import prefixes
from .choices import TenderStatus
from .models import Bid, Contract, Demand, Tender


def _groups_with_roadmaps_in(region_id):
    return Corporation.objects.filter(roadmaps__region_id=region_id).values("pk")


def _customer_in_groups(groups, prefix="customer__"):
    return Q(**{f"{prefix}id__in": groups}) | Q(**{f"{prefix}parent_id__in": groups})


def customer_in_region_groups(region_id) -> Q:
    """Rows (demands, tenders) whose customer belongs to a group with a roadmap in the region
    (``region_id`` may be a subquery): what a region's people see of the groups' needs."""
    return _customer_in_groups(_groups_with_roadmaps_in(region_id))


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
            region_id = Supplier.objects.filter(pk=scope.supplier_id).values("region_id")[:1]
        return qs.filter(_customer_in_groups(_groups_with_roadmaps_in(region_id))).distinct()
    if scope.role == Role.OFFICER:
        return qs.none()
    if scope.role == Role.PARTNER:
        if scope.group_id:
            qs = qs.filter(Corporation.in_group(scope.group_id, "customer__"))
        if scope.region_id:
            # A region's slice: the tenders of the groups with a roadmap in the region.
            qs = qs.filter(_customer_in_groups(_groups_with_roadmaps_in(scope.region_id)))
        return qs
    return qs.none()


def demands_visible_to(user):
    scope = scope_of(user)
    qs = Demand.objects.select_related("customer")
    if scope.role is None:
        return qs.none()
    if scope.role == Role.REVIEWER:
        return qs.filter(Corporation.in_group(scope.group_id, "customer__"))
    if scope.role == Role.PARTNER:
        if scope.group_id:
            qs = qs.filter(Corporation.in_group(scope.group_id, "customer__"))
        if scope.region_id:
            qs = qs.filter(_customer_in_groups(_groups_with_roadmaps_in(scope.region_id)))
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


# A tender in these statuses takes no more bids, whatever its deadline.
BIDS_CLOSED_STATUSES = (TenderStatus.CLOSED, TenderStatus.AWARDED)


def bid_period_over(on: datetime.date | None = None) -> Q:
    """Tenders whose bid period is over: closed or awarded, or the submission deadline has
    passed (bids are taken through the deadline day). Before that, who bid is known only to
    the bidder and the buyer."""
    on = on or timezone.localdate()
    return Q(status__in=BIDS_CLOSED_STATUSES) | Q(deadline__lt=on)


def tender_bid_period_over(tender: Tender, on: datetime.date | None = None) -> bool:
    """``bid_period_over`` for one loaded tender."""
    on = on or timezone.localdate()
    return tender.status in BIDS_CLOSED_STATUSES or tender.deadline < on


def published_bids_visible_to(user, on: datetime.date | None = None) -> QuerySet[Bid]:
    """Bids that open data (OCDS) may name to ``user``: on tenders whose bid period is over,
    by suppliers in the user's scope, whatever the user's role."""
    over = Tender.objects.filter(bid_period_over(on)).values("pk")
    return Bid.objects.filter(
        tender_id__in=over, supplier_id__in=suppliers_visible_to(user).values("pk")
    ).select_related("supplier", "supplier__region")


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


def demands_for_offers(user, supplier: Supplier) -> QuerySet[Demand]:
    """Demands a supplier's offer may answer: those of groups with a roadmap in its region."""
    groups = Roadmap.objects.filter(region_id=supplier.region_id).values("corporation_id")
    return (
        demands_visible_to(user)
        .filter(Q(customer_id__in=groups) | Q(customer__parent_id__in=groups))
        .order_by("-id")
    )


def demands_matching_supplier(queryset, supplier_id):
    """Demands whose category and one of the supplier's offers' OKPD2 codes are prefixes of
    each other (a demand for 28.14 matches an offer of 28.14.13.131 and the other way)."""
    offers = Offer.objects.filter(supplier_id=supplier_id).filter(
        Q(okpd2__startswith=OuterRef("category")) | StartsWith(OuterRef("category"), F("okpd2"))
    )
    return queryset.filter(Exists(offers))


COVERING_STATUSES = (
    "submitted",
    "forwarded",
    "requirements_met",
    "readiness_confirmed",
    "tested",
    "certified",
    "registered",
)


def demand_coverage(demands, region_id):
    """For each demand, the region's suppliers with an offer in the pipeline that matches it
    (prefix either way): ``[(demand, [(supplier, [offers])])]``. Two queries in all."""
    demands = list(demands)
    if not demands:
        return []
    q = Q(okpd2__in={p for d in demands for p in prefixes(d.category)})
    for demand in demands:
        q |= Q(okpd2__startswith=demand.category)
    offers = (
        Offer.objects.filter(q, supplier__region_id=region_id, status__in=COVERING_STATUSES)
        .select_related("supplier")
        .order_by("supplier__name", "id")
    )
    offers = list(offers)
    rows = []
    for demand in demands:
        by_supplier = defaultdict(list)
        for offer in offers:
            if offer.okpd2.startswith(demand.category) or demand.category.startswith(offer.okpd2):
                by_supplier[offer.supplier].append(offer)
        rows.append((demand, list(by_supplier.items())))
    return rows
