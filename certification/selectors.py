"""Reads of certificates and the register, each restricted to the user's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from roadmap_portal.choices import Role
from roadmap_portal.models import CertificationBody, Roadmap
from roadmap_portal.scope import (
    Actor,
    Joined,
    RuleTable,
    Scope,
    everything,
    partner_slice,
    restrict,
)
from suppliers.models import Offer
from suppliers.pipeline import REVIEW_STAGES, q_waiting_for
from suppliers.selectors import (
    OFFER_RULES,
    history_is_internal_to,
    offers_brief_visible_to,
    offers_visible_to,
)

from .models import (
    Certificate,
    ProductTest,
    ReadinessEvaluation,
    RegisterEntry,
    Requirement,
    RequirementCheck,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def _partner_certificates(scope: Scope) -> Q:
    # A partner's certificates are those of the offers it may see (public, in the key's
    # region and group): a certificate of offers still in review tells their stage.
    offers = scope.restrict(Offer.objects.all(), OFFER_RULES)
    covered = Certificate.offers.through.objects.filter(
        certificate_id=OuterRef("pk"), offer_id__in=offers.values("pk")
    )
    return Q(Exists(covered))


CERTIFICATE_RULES: RuleTable = {
    Role.OFFICER: lambda scope: Q(body_id=scope.body_id),
    Role.SUPPLIER: lambda scope: Q(supplier_id=scope.supplier_id),
    Role.REVIEWER: lambda scope: Q(body__requiring_corporations__id=scope.group_id),
    Role.REGION_STAFF: lambda scope: Q(supplier__region_id=scope.region_id),
    Role.PARTNER: _partner_certificates,
}


def certificates_visible_to(user: Actor) -> QuerySet[Certificate]:
    """Officers see their body's certificates, suppliers their own, reviewers their group's."""
    return restrict(user, Certificate.objects.select_related("body", "supplier"), CERTIFICATE_RULES)


REGISTER_RULES: RuleTable = {
    Role.REGION_STAFF: everything,
    Role.REVIEWER: everything,
    Role.OFFICER: everything,
    Role.SUPPLIER: everything,
    Role.PARTNER: partner_slice(
        region=lambda region_id: Q(supplier__region_id=region_id),
        group=lambda group_id: Q(corporation_id=group_id),
    ),
}


def register_visible_to(user: Actor) -> QuerySet[RegisterEntry]:
    """The register is public within the portal; a scoped partner key narrows it."""
    qs = RegisterEntry.objects.select_related(
        "corporation", "offer", "supplier", "supplier__region", "certificate", "certificate__body"
    )
    return restrict(user, qs, REGISTER_RULES)


def _requirements_of_region(region_id: int) -> Q:
    """A region's slice of requirements: those of the groups with a roadmap in the region."""
    return Q(
        Exists(
            Roadmap.objects.filter(region_id=region_id, corporation_id=OuterRef("corporation_id"))
        )
    )


REQUIREMENT_RULES: RuleTable = {
    Role.REVIEWER: lambda scope: Q(corporation_id=scope.group_id),
    Role.OFFICER: lambda scope: Q(corporation__required_body_id=scope.body_id),
    Role.REGION_STAFF: Joined(lambda scope: Q(corporation__roadmaps__region_id=scope.region_id)),
    Role.SUPPLIER: Joined(
        lambda scope: Q(corporation__roadmaps__region__suppliers__id=scope.supplier_id)
    ),
    Role.PARTNER: partner_slice(
        region=_requirements_of_region, group=lambda group_id: Q(corporation_id=group_id)
    ),
}


def requirements_visible_to(user: Actor) -> QuerySet[Requirement]:
    """Reviewers see their group's requirements; others those of the groups they deal with."""
    return restrict(user, Requirement.objects.select_related("corporation"), REQUIREMENT_RULES)


def review_queue(user: Actor) -> QuerySet[Offer]:
    """Offers in the review stages of the user's scope, oldest in their stage first."""
    return (
        offers_visible_to(user)
        .filter(status__in=REVIEW_STAGES)
        .select_related("roadmap__corporation", "roadmap__corporation__required_body")
        .order_by("status_changed", "id")
    )


def stage_counts(queryset: QuerySet[Offer]) -> dict[str, int]:
    """{status: count} over the queue in one grouped query, every review stage present."""
    counts: dict[str, int] = dict.fromkeys(REVIEW_STAGES, 0)
    for row in queryset.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def officer_queue(user: Actor) -> QuerySet[Offer]:
    """Tested offers waiting for a certificate of the officer's body, with the certificates
    that already cover them."""
    return (
        offers_visible_to(user)
        .filter(q_waiting_for(Role.OFFICER))
        .select_related("roadmap__corporation", "roadmap__corporation__required_body")
        .prefetch_related(
            Prefetch(
                "certificates",
                queryset=certificates_visible_to(user).order_by("-valid_until", "-id"),
            )
        )
        .order_by("supplier__name", "status_changed", "id")
    )


def certificate_list(user: Actor) -> QuerySet[Certificate]:
    return (
        certificates_visible_to(user)
        .select_related("renews", "renewed_by")
        .prefetch_related(Prefetch("offers", queryset=_offers_brief_visible_to(user)))
        .order_by("-issued_on", "-id")
    )


def _offers_brief_visible_to(user: Actor) -> QuerySet[Offer]:
    # A certificate may cover offers its reader may not see (another group's, in review).
    return offers_brief_visible_to(user)


def register_list(user: Actor) -> QuerySet[RegisterEntry]:
    # (corporation_id, number) is the unique index: a page is read from it, not sorted.
    return register_visible_to(user).order_by("corporation_id", "number")


def product_tests_visible_to(user: Actor) -> QuerySet[ProductTest]:
    if not history_is_internal_to(user):
        return ProductTest.objects.none()
    return ProductTest.objects.filter(
        offer__in=offers_visible_to(user).values("pk")
    ).select_related("offer", "recorded_by")


def requirement_checks_visible_to(user: Actor) -> QuerySet[RequirementCheck]:
    """The stage records (checks, readiness, tests) are internal history: the reviewers'
    findings and names, read by the people of the offer's pipeline, never by partners."""
    if not history_is_internal_to(user):
        return RequirementCheck.objects.none()
    return RequirementCheck.objects.filter(
        offer__in=offers_visible_to(user).values("pk")
    ).select_related("requirement", "checked_by")


def readiness_visible_to(user: Actor) -> QuerySet[ReadinessEvaluation]:
    if not history_is_internal_to(user):
        return ReadinessEvaluation.objects.none()
    return ReadinessEvaluation.objects.filter(
        offer__in=offers_visible_to(user).values("pk")
    ).select_related("evaluated_by")


def offer_records(offer: Offer, user: Actor) -> dict[str, list[Any]]:
    """The stage records of one offer (already in the reader's scope) that ``user`` may
    read, in order: each list comes from its own scoped selector."""
    return {
        "checks": list(
            requirement_checks_visible_to(user)
            .filter(offer=offer)
            .select_related("requirement", "checked_by")
            .order_by("created", "id")
        ),
        "readiness": list(
            readiness_visible_to(user)
            .filter(offer=offer)
            .select_related("evaluated_by")
            .order_by("created", "id")
        ),
        "tests": list(
            product_tests_visible_to(user)
            .filter(offer=offer)
            .select_related("recorded_by")
            .order_by("started_on", "id")
        ),
        "certificates": list(
            certificates_visible_to(user)
            .filter(offers=offer)
            .select_related("body")
            .order_by("-valid_until", "-id")
        ),
        "entries": list(
            register_visible_to(user)
            .filter(offer=offer)
            .select_related("corporation", "certificate")
            .order_by("number")
        ),
    }


def certification_bodies_visible_to(
    user: User | AnonymousUser,
) -> QuerySet[CertificationBody]:
    """Certification bodies are named on every certificate and register entry: every
    signed-in user sees them (who may issue for which body is the services' rule)."""
    if not user.is_authenticated:
        return CertificationBody.objects.none()
    return CertificationBody.objects.order_by("short_name", "id")
