"""Reads of certificates and the register, each restricted to the user's scope."""

from django.db.models import Q

from roadmap_portal.choices import Role
from roadmap_portal.scope import scope_of

from .models import Certificate, RegisterEntry


def certificates_visible_to(user):
    """Officers see their body's certificates, suppliers their own, reviewers their group's."""
    scope = scope_of(user)
    qs = Certificate.objects.select_related("body", "supplier")
    if scope.role is None:
        return qs.none()
    if scope.is_admin:
        return qs
    if scope.role == Role.OFFICER:
        return qs.filter(body_id=scope.body_id)
    if scope.role == Role.SUPPLIER:
        return qs.filter(supplier_id=scope.supplier_id)
    if scope.role == Role.REVIEWER:
        return qs.filter(body__requiring_corporations__id=scope.group_id)
    if scope.role == Role.REGION_STAFF:
        return qs.filter(supplier__region_id=scope.region_id)
    if scope.role == Role.PARTNER:
        return qs.filter(supplier__region_id=scope.region_id) if scope.region_id else qs
    return qs.none()


def register_visible_to(user):
    """The register is public within the portal; a scoped partner key narrows it."""
    scope = scope_of(user)
    qs = RegisterEntry.objects.select_related(
        "corporation", "offer", "supplier", "supplier__region", "certificate", "certificate__body"
    )
    if scope.role is None:
        return qs.none()
    if scope.role == Role.PARTNER:
        q = Q()
        if scope.region_id:
            q &= Q(supplier__region_id=scope.region_id)
        if scope.group_id:
            q &= Q(corporation_id=scope.group_id)
        return qs.filter(q)
    return qs
