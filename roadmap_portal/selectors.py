"""Reads of the core domain, each restricted to the user's scope."""

from django.db.models import Q

from .choices import Role
from .models import Corporation, Notification, Region, Report, Roadmap
from .scope import scope_of


def regions_visible_to(user):
    return Region.objects.all() if user.is_authenticated else Region.objects.none()


def corporations_visible_to(user):
    if not user.is_authenticated:
        return Corporation.objects.none()
    return Corporation.objects.select_related("parent").order_by("short_name", "id")


def roadmaps_visible_to(user):
    """Region staff and suppliers see their region's roadmaps, reviewers their group's."""
    scope = scope_of(user)
    qs = Roadmap.objects.select_related("region", "corporation").prefetch_related("targets")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.REGION_STAFF:
        return qs.filter(region_id=scope.region_id)
    if scope.role == Role.SUPPLIER:
        return qs.filter(region__suppliers__id=scope.supplier_id)
    if scope.role == Role.REVIEWER:
        return qs.filter(corporation_id=scope.group_id)
    if scope.role == Role.OFFICER:
        return qs.filter(corporation__certification_bodies__id=scope.body_id)
    if scope.role == Role.PARTNER:
        q = Q()
        if scope.region_id:
            q &= Q(region_id=scope.region_id)
        if scope.group_id:
            q &= Q(corporation_id=scope.group_id)
        return qs.filter(q).exclude(status="draft")
    return qs.none()


def roadmap_series(roadmap):
    """The roadmap and those it follows or that follow it, oldest first."""
    chain = [roadmap]
    seen = {roadmap.pk}
    current = roadmap
    while current.previous_id and current.previous_id not in seen:
        current = Roadmap.objects.get(pk=current.previous_id)
        chain.insert(0, current)
        seen.add(current.pk)
    current = roadmap
    while True:
        following = Roadmap.objects.filter(previous_id=current.pk).first()
        if following is None or following.pk in seen:
            break
        chain.append(following)
        seen.add(following.pk)
        current = following
    return chain


def reports_visible_to(user):
    scope = scope_of(user)
    qs = Report.objects.select_related("roadmap", "region", "corporation")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.REGION_STAFF:
        return qs.filter(Q(region_id=scope.region_id) | Q(roadmap__region_id=scope.region_id))
    if scope.role == Role.REVIEWER:
        return qs.filter(
            Q(corporation_id=scope.group_id) | Q(roadmap__corporation_id=scope.group_id)
        )
    if scope.role == Role.PARTNER:
        return qs.filter(status="done")
    return qs.filter(requested_by=user)


def notifications_of(user):
    return (
        Notification.objects.filter(recipient=user)
        if user.is_authenticated
        else Notification.objects.none()
    )
