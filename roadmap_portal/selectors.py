"""Reads of the core domain (regions, corporations, roadmaps, demands, reports), each
restricted to the user's scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from .choices import Role
from .models import Corporation, Demand, Notification, Region, Report, Roadmap
from .scope import Actor, RuleTable, Scope, everything, partner_slice, restrict

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def regions_visible_to(user: User | AnonymousUser) -> QuerySet[Region]:
    return Region.objects.all() if user.is_authenticated else Region.objects.none()


def corporations_visible_to(user: User | AnonymousUser) -> QuerySet[Corporation]:
    if not user.is_authenticated:
        return Corporation.objects.none()
    return Corporation.objects.select_related("parent").order_by("short_name", "id")


ROADMAP_RULES: RuleTable = {
    Role.REGION_STAFF: lambda scope: Q(region_id=scope.region_id),
    Role.SUPPLIER: lambda scope: Q(region__suppliers__id=scope.supplier_id),
    Role.REVIEWER: lambda scope: Q(corporation_id=scope.group_id),
    Role.OFFICER: lambda scope: Q(corporation__required_body_id=scope.body_id),
    Role.PARTNER: partner_slice(
        public=~Q(status="draft"),
        region=lambda region_id: Q(region_id=region_id),
        group=lambda group_id: Q(corporation_id=group_id),
    ),
}


def roadmaps_visible_to(user: Actor) -> QuerySet[Roadmap]:
    """Region staff and suppliers see their region's roadmaps, reviewers their group's."""
    qs = Roadmap.objects.select_related("region", "corporation").prefetch_related("targets")
    return restrict(user, qs, ROADMAP_RULES)


def roadmap_series(roadmap: Roadmap) -> list[Roadmap]:
    """The roadmap and those it follows or that follow it, oldest first: one query (the
    pair's roadmaps, a handful), the links walked in ``series_among``."""
    pair = Roadmap.objects.filter(
        region_id=roadmap.region_id, corporation_id=roadmap.corporation_id
    )
    return series_among(roadmap, list(pair.order_by("start_year", "id")))


def pair_of_visible(visible: QuerySet[Roadmap], roadmap_id: int) -> QuerySet[Roadmap]:
    """Every roadmap of the region and group of roadmap ``roadmap_id`` when ``visible`` (a
    reader's scoped roadmaps, ``roadmaps_visible_to``) holds it, else none: the scope is
    checked in the same query that reads the pair."""
    return Roadmap.objects.using(visible.db).filter(
        Exists(
            visible.filter(
                pk=roadmap_id,
                region_id=OuterRef("region_id"),
                corporation_id=OuterRef("corporation_id"),
            )
        )
    )


def series_among(roadmap: Roadmap, pair: list[Roadmap]) -> list[Roadmap]:
    """The series of ``roadmap`` among ``pair`` (every roadmap of its region and group):
    the ``previous`` links walked back to the first and forward to the last, oldest first.

    A series is one region's and one group's: a link to a roadmap of another pair is not
    followed, so that the series' volumes never show a reader of this roadmap another
    region's or group's figures. A (malformed) cycle of links ends where it meets a
    roadmap already in the chain.
    """
    by_id: dict[int | None, Roadmap] = {r.pk: r for r in pair}
    by_id.setdefault(roadmap.pk, roadmap)
    following = {r.previous_id: r for r in by_id.values() if r.previous_id in by_id}
    start = by_id[roadmap.pk]
    chain, seen = [start], {start.pk}
    current = by_id.get(start.previous_id)
    while current is not None and current.pk not in seen:
        chain.insert(0, current)
        seen.add(current.pk)
        current = by_id.get(current.previous_id)
    current = following.get(start.pk)
    while current is not None and current.pk not in seen:
        chain.append(current)
        seen.add(current.pk)
        current = following.get(current.pk)
    return chain


def _reports_of_region(region_id: int | None) -> Q:
    return Q(scope=Report.Scope.REGION, region_id=region_id) | Q(
        scope=Report.Scope.ROADMAP, roadmap__region_id=region_id
    )


def _reports_of_group(group_id: int | None) -> Q:
    return Q(scope=Report.Scope.CORPORATION, corporation_id=group_id) | Q(
        scope=Report.Scope.ROADMAP, roadmap__corporation_id=group_id
    )


REPORT_RULES: RuleTable = {
    Role.REGION_STAFF: lambda scope: _reports_of_region(scope.region_id),
    Role.REVIEWER: lambda scope: _reports_of_group(scope.group_id),
    Role.PARTNER: partner_slice(
        public=Q(status="done"), region=_reports_of_region, group=_reports_of_group
    ),
}


def reports_visible_to(user: Actor) -> QuerySet[Report]:
    """Region staff see their region's reports, reviewers their group's, a partner the
    finished reports inside its key's scope; other roles none."""
    qs = Report.objects.select_related("roadmap", "roadmap__region", "region", "corporation")
    return restrict(user, qs, REPORT_RULES)


def notifications_of(user: User | AnonymousUser) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user)
        if user.is_authenticated
        else Notification.objects.none()
    )


# --- demands ------------------------------------------------------------------------------


def _groups_with_roadmaps_in(region_id: Any) -> QuerySet[Corporation, Any]:
    return Corporation.objects.filter(roadmaps__region_id=region_id).values("pk")


def customer_in_region_groups(region_id: Any) -> Q:
    """Rows (demands, tenders) whose customer belongs to a group with a roadmap in the region
    (``region_id`` may be a subquery): what a region's people see of the groups' needs."""
    return Corporation.in_groups(_groups_with_roadmaps_in(region_id), "customer__")


# A partner's slice of rows with a customer (demands, tenders): its group, and the groups
# with a roadmap in its region.
partner_customers: Callable[[Scope], Q] = partner_slice(
    region=customer_in_region_groups,
    group=lambda group_id: Corporation.in_group(group_id, "customer__"),
)


DEMAND_RULES: RuleTable = {
    Role.REVIEWER: lambda scope: Corporation.in_group(scope.group_id, "customer__"),
    Role.REGION_STAFF: everything,
    Role.SUPPLIER: everything,
    Role.OFFICER: everything,
    Role.PARTNER: partner_customers,
}


def demands_visible_to(user: Actor) -> QuerySet[Demand]:
    """Reviewers see their group's demands, a partner its key's slice, every other role all."""
    return restrict(user, Demand.objects.select_related("customer"), DEMAND_RULES)


def demands_for_region(user: Actor, region_id: int) -> QuerySet[Demand]:
    """Demands an offer from ``region_id`` may answer: those of groups with a roadmap there."""
    return demands_visible_to(user).filter(customer_in_region_groups(region_id)).order_by("-id")
