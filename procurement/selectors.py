"""Reads of tenders, bids and contracts, each restricted to the user's scope, and of the
demands' coverage by the region's offers (demands themselves are the core's)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from roadmap_portal import okpd2
from roadmap_portal.choices import Role
from roadmap_portal.models import Corporation, Demand
from roadmap_portal.scope import Actor, Joined, RuleTable, Scope, partner_slice, restrict
from roadmap_portal.selectors import (
    customer_in_region_groups,
    partner_customers,
)
from suppliers.models import Offer, Supplier
from suppliers.pipeline import IN_PIPELINE
from suppliers.selectors import suppliers_visible_to

from .choices import TenderStatus
from .models import Bid, Contract, Tender


def _supplier_region(scope: Scope) -> QuerySet[Supplier, Any]:
    return Supplier.objects.filter(pk=scope.supplier_id).values("region_id")[:1]  # type: ignore[misc]


TENDER_RULES: RuleTable = {
    Role.REVIEWER: lambda scope: Corporation.in_group(scope.group_id, "customer__"),
    Role.REGION_STAFF: Joined(lambda scope: customer_in_region_groups(scope.region_id)),
    Role.SUPPLIER: Joined(lambda scope: customer_in_region_groups(_supplier_region(scope))),
    Role.PARTNER: partner_customers,
}


def tenders_visible_to(user: Actor) -> QuerySet[Tender]:
    """Reviewers see their group's tenders; region people those of groups with a roadmap there."""
    return restrict(
        user, Tender.objects.select_related("customer", "customer__parent"), TENDER_RULES
    )


BID_RULES: RuleTable = {
    Role.SUPPLIER: lambda scope: Q(supplier_id=scope.supplier_id),
    Role.REVIEWER: lambda scope: Corporation.in_group(scope.group_id, "tender__customer__"),
    Role.REGION_STAFF: lambda scope: Q(supplier__region_id=scope.region_id),
}


def bids_visible_to(user: Actor) -> QuerySet[Bid]:
    qs = Bid.objects.select_related("tender", "tender__customer", "supplier")
    return restrict(user, qs, BID_RULES)


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


def published_bids_visible_to(user: Actor, on: datetime.date | None = None) -> QuerySet[Bid]:
    """Bids that open data (OCDS) may name to ``user``: on tenders whose bid period is over,
    by suppliers in the user's scope, whatever the user's role."""
    over = Tender.objects.filter(bid_period_over(on)).values("pk")
    return Bid.objects.filter(
        tender_id__in=over, supplier_id__in=suppliers_visible_to(user).values("pk")
    ).select_related("supplier", "supplier__region")


CONTRACT_RULES: RuleTable = {
    Role.SUPPLIER: lambda scope: Q(supplier_id=scope.supplier_id),
    Role.REVIEWER: lambda scope: Corporation.in_group(scope.group_id, "customer__"),
    Role.REGION_STAFF: lambda scope: Q(supplier__region_id=scope.region_id),
    Role.PARTNER: partner_slice(
        region=lambda region_id: Q(supplier__region_id=region_id),
        group=lambda group_id: Corporation.in_group(group_id, "customer__"),
    ),
}


def contracts_visible_to(user: Actor) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("supplier", "supplier__region", "customer", "tender")
    return restrict(user, qs, CONTRACT_RULES)


def demands_matching_supplier(queryset: QuerySet[Demand], supplier_id: int) -> QuerySet[Demand]:
    """Demands whose category and one of the supplier's offers' OKPD2 codes are prefixes of
    each other (a demand for 28.14 matches an offer of 28.14.13.131 and the other way)."""
    offers = Offer.objects.filter(supplier_id=supplier_id).filter(
        okpd2.q_related(OuterRef("category"))
    )
    return queryset.filter(Exists(offers))


def demand_coverage(
    demands: Iterable[Demand], region_id: int
) -> list[tuple[Demand, list[tuple[Supplier, list[Offer]]]]]:
    """For each demand, the region's suppliers with an offer in the pipeline that matches it
    (prefix either way): ``[(demand, [(supplier, [offers])])]``. Two queries in all."""
    demand_list = list(demands)
    if not demand_list:
        return []
    q = okpd2.q_related_to_any(d.category for d in demand_list)
    matching = (
        Offer.objects.filter(q, supplier__region_id=region_id, status__in=IN_PIPELINE)
        .select_related("supplier")
        .order_by("supplier__name", "id")
    )
    offers = list(matching)
    rows = []
    for demand in demand_list:
        by_supplier: defaultdict[Supplier, list[Offer]] = defaultdict(list)
        for offer in offers:
            if okpd2.related(offer.okpd2, demand.category):
                by_supplier[offer.supplier].append(offer)
        rows.append((demand, list(by_supplier.items())))
    return rows
