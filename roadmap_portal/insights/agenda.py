"""Each role's waiting work on the home page: what is waiting for whom, counted from the
domain apps' selectors (offers, suppliers, certificates, tenders) under the reader's scope."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certification.selectors import certificates_visible_to
from roadmap_portal.choices import Role
from roadmap_portal.scope import Actor, scope_of
from suppliers.pipeline import REVIEW_STAGES, UNDER_REVIEW, q_waiting_for
from suppliers.selectors import offers_visible_to, suppliers_visible_to


def _link(name: str, *args: Any, query: str = "") -> str:
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return ""


def home_agenda(user: Actor) -> list[dict[str, Any]]:
    """A list of ``{"title", "count", "url", "tone"}`` cards: the user's waiting work."""
    scope = scope_of(user)
    offers = offers_visible_to(user)
    cards: list[dict[str, Any]] = []
    if scope.is_supplier:
        counts = offers.aggregate(
            draft=Count("pk", filter=Q(status="draft")),
            in_review=Count("pk", filter=Q(status__in=UNDER_REVIEW)),
            registered=Count("pk", filter=Q(status="registered")),
        )
        cards += [
            {
                "title": _("Drafts to complete and submit"),
                "count": counts["draft"],
                "url": _link("suppliers:offer-list", query="?status=draft"),
                "tone": "warning",
            },
            {
                "title": _("Offers under review"),
                "count": counts["in_review"],
                "url": _link("suppliers:offer-list"),
                "tone": "info",
            },
            {
                "title": _("Products in a register"),
                "count": counts["registered"],
                "url": _link("suppliers:offer-list", query="?status=registered"),
                "tone": "success",
            },
        ]
    elif scope.is_region_staff:
        cards += [
            {
                "title": _("Suppliers waiting for verification"),
                "count": suppliers_visible_to(user).filter(verification_status="pending").count(),
                "url": _link("suppliers:supplier-list", query="?verification_status=pending"),
                "tone": "warning",
            },
            {
                "title": _("Product offers to screen"),
                "count": offers.filter(q_waiting_for(Role.REGION_STAFF)).count(),
                "url": _link("suppliers:screening"),
                "tone": "primary",
            },
        ]
    elif scope.is_reviewer:
        by_stage = dict(
            offers.filter(status__in=REVIEW_STAGES)
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        cards += [
            {
                "title": _("Requirements checks"),
                "count": by_stage.get("forwarded", 0),
                "url": _link("certification:queue", query="?status=forwarded"),
                "tone": "primary",
            },
            {
                "title": _("Readiness evaluations"),
                "count": by_stage.get("requirements_met", 0),
                "url": _link("certification:queue", query="?status=requirements_met"),
                "tone": "primary",
            },
            {
                "title": _("Tests"),
                "count": by_stage.get("readiness_confirmed", 0),
                "url": _link("certification:queue", query="?status=readiness_confirmed"),
                "tone": "primary",
            },
            {
                "title": _("Ready for the register"),
                "count": by_stage.get("certified", 0) + by_stage.get("tested", 0),
                "url": _link("certification:queue", query="?status=certified"),
                "tone": "success",
            },
        ]
    elif scope.is_officer:
        soon = timezone.localdate() + datetime.timedelta(days=90)
        cards += [
            {
                "title": _("Tested offers waiting for certification"),
                "count": offers.filter(q_waiting_for(Role.OFFICER)).count(),
                "url": _link("certification:officer-queue"),
                "tone": "primary",
            },
            {
                "title": _("Certificates expiring within 90 days"),
                "count": certificates_visible_to(user)
                .filter(status="valid", valid_until__lte=soon)
                .count(),
                "url": _link("certification:certificate-list"),
                "tone": "warning",
            },
        ]
    elif scope.is_partner:
        cards.append(
            {
                "title": _("API documentation"),
                "count": None,
                "url": _link("swagger-ui"),
                "tone": "info",
            }
        )
    elif scope.is_admin:
        cards += [
            {
                "title": _("Administration"),
                "count": None,
                "url": _link("admin:index"),
                "tone": "dark",
            },
            {
                "title": _("API documentation"),
                "count": None,
                "url": _link("swagger-ui"),
                "tone": "info",
            },
        ]
    return cards
