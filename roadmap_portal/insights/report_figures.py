"""The figures of a yearly report: each belongs to the report's year or is cumulative to its
end, and none comes from a later year.

Two kinds of figure, and the report says which is which:

* **in the year**: what happened from 1 January to 31 December (contracts signed, demands
  published, certificates issued, suppliers registered, offers submitted or reaching a
  stage);
* **as of 31 December** (all years to the report's year): a state at the end of the year
  (offers by the furthest stage reached, offers in each stage, certificates valid, demands
  open and not covered, suppliers registered).

An offer's stage on a date is the stage its history (``OfferTransition``, append-only)
reached by the last change before that date: the offer's current status is never read, so
a change made later does not rewrite a past year. Days are the portal's (``TIME_ZONE``):
the year ends at midnight of 1 January in that zone.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from certification.choices import CertificateStatus
from certification.models import Certificate, CertificateEvent
from roadmap_portal.models import Demand, Roadmap
from suppliers.choices import OfferStatus
from suppliers.models import Offer, OfferTransition, Supplier

from . import charts
from .dashboard import (
    TOP,
    Subject,
    contract_total,
    funnel,
    pairs_of,
    subject_volumes,
    top_customers,
    top_suppliers,
    with_charts,
    with_texts,
)

# A certificate in one of these states on a date was not valid on it, whatever its dates.
NOT_VALID = (CertificateStatus.SUSPENDED, CertificateStatus.REVOKED)


@dataclass(frozen=True)
class YearBounds:
    """The report's year: ``[start, end)`` as moments and its first and last days."""

    year: int
    start: datetime.datetime
    end: datetime.datetime

    @classmethod
    def of(cls, year: int) -> "YearBounds":
        def midnight(day: datetime.date) -> datetime.datetime:
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))

        return cls(
            year, midnight(datetime.date(year, 1, 1)), midnight(datetime.date(year + 1, 1, 1))
        )

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, 1, 1)

    @property
    def last_day(self) -> datetime.date:
        return datetime.date(self.year, 12, 31)


def stage_at(moment: datetime.datetime) -> Subquery:
    """An offer's stage just before ``moment`` (an annotation on offers): the target of its
    last history row written before it; NULL for an offer with no change before it (a draft
    then, or not yet created)."""
    return Subquery(
        OfferTransition.objects.filter(offer_id=OuterRef("pk"), created__lt=moment)
        .order_by("-created", "-id")
        .values("to_status")[:1]
    )


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def funnel_of_year(roadmap_ids: list[int], bounds: YearBounds) -> list[dict[str, Any]]:
    """The funnel as of 31 December (offers that had reached each stage by then, see
    ``dashboard.funnel``) with ``in_year``: those of them that reached it during the year."""
    at_end = funnel(roadmap_ids, until=bounds.last_day)
    before = {
        s["status"]: s["count"]
        for s in funnel(roadmap_ids, until=bounds.first_day - datetime.timedelta(days=1))
    }
    for stage in at_end:
        stage["in_year"] = stage["count"] - before[stage["status"]]
    return at_end


def offers_of_year(roadmap_ids: list[int], bounds: YearBounds) -> dict[str, Any]:
    """Offers as of 31 December by their stage then (beyond draft; in the register) with
    the import substitutes among them, and the offers submitted during the year."""
    submitted_in_year = OfferTransition.objects.filter(
        offer_id=OuterRef("pk"),
        to_status=OfferStatus.SUBMITTED,
        created__gte=bounds.start,
        created__lt=bounds.end,
    )
    rows = (
        Offer.objects.filter(roadmap_id__in=list(roadmap_ids))
        .annotate(stage=stage_at(bounds.end), submitted=Exists(submitted_in_year))
        .values("stage", "import_substitution", "submitted")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = dict.fromkeys(
        ("offers", "substitutes", "registered", "registered_substitutes", "submitted_in_year"), 0
    )
    for row in rows:
        beyond_draft = row["stage"] not in (None, OfferStatus.DRAFT)
        registered = row["stage"] == OfferStatus.REGISTERED
        counts["offers"] += row["n"] if beyond_draft else 0
        counts["substitutes"] += row["n"] if beyond_draft and row["import_substitution"] else 0
        counts["registered"] += row["n"] if registered else 0
        counts["registered_substitutes"] += (
            row["n"] if registered and row["import_substitution"] else 0
        )
        counts["submitted_in_year"] += row["n"] if row["submitted"] else 0
    counts["share"] = _percent(counts["substitutes"], counts["offers"])
    counts["registered_share"] = _percent(counts["registered_substitutes"], counts["registered"])
    return counts


def subject_demands(roadmaps: list[Roadmap]) -> QuerySet:
    """Demands of the groups of ``roadmaps`` (their heads and subsidiaries)."""
    groups = {r.corporation_id for r in roadmaps}
    return Demand.objects.filter(Q(customer_id__in=groups) | Q(customer__parent_id__in=groups))


def demands_of_year(
    subject: Subject, roadmaps: list[Roadmap], bounds: YearBounds, *, limit: int = TOP
) -> dict[str, Any]:
    """Demands published during the year, and those open on 31 December (published by
    then, deadline not before that day) that no offer registered by then answers (from the
    region's suppliers, unless the subject is a corporation group)."""
    demands = subject_demands(roadmaps)
    covering = (
        Offer.objects.filter(demand_id=OuterRef("pk"))
        .annotate(stage=stage_at(bounds.end))
        .filter(stage=OfferStatus.REGISTERED)
    )
    if subject.kind != "corporation":
        covering = covering.filter(supplier__region_id__in={r.region_id for r in roadmaps})
    open_uncovered = (
        demands.filter(created__lt=bounds.end)
        .filter(Q(deadline__isnull=True) | Q(deadline__gte=bounds.last_day))
        .exclude(Exists(covering))
        .select_related("customer")
        .order_by("deadline", "id")
    )
    return {
        "demands": list(open_uncovered[:limit]),
        "demand_count": open_uncovered.count(),
        "demands_published": demands.filter(
            created__gte=bounds.start, created__lt=bounds.end
        ).count(),
    }


def registrations_of_year(roadmaps: list[Roadmap], bounds: YearBounds) -> dict[str, int]:
    """Suppliers of the subject's regions registered during the year and by its end;
    certificates for offers of the subject's roadmaps issued during the year and valid on
    31 December (issued by then, not yet past their end, and neither suspended nor revoked
    by their last event before the year's end)."""
    suppliers = Supplier.objects.filter(region_id__in={r.region_id for r in roadmaps}).aggregate(
        new=Count("pk", filter=Q(created__gte=bounds.start, created__lt=bounds.end)),
        total=Count("pk", filter=Q(created__lt=bounds.end)),
    )
    status_then = Subquery(
        CertificateEvent.objects.filter(certificate_id=OuterRef("pk"), created__lt=bounds.end)
        .order_by("-created", "-id")
        .values("status")[:1]
    )
    certificates = (
        Certificate.objects.filter(
            pk__in=Certificate.objects.filter(
                offers__roadmap_id__in=[r.pk for r in roadmaps]
            ).values("pk")
        )
        .annotate(status_then=Coalesce(status_then, Value(CertificateStatus.VALID)))
        .aggregate(
            issued=Count(
                "pk", filter=Q(issued_on__gte=bounds.first_day, issued_on__lte=bounds.last_day)
            ),
            valid=Count(
                "pk",
                filter=Q(issued_on__lte=bounds.last_day, valid_until__gte=bounds.last_day)
                & ~Q(status_then__in=NOT_VALID),
            ),
        )
    )
    return {
        "suppliers": suppliers["new"],
        "suppliers_total": suppliers["total"],
        "certificates": certificates["issued"],
        "certificates_valid": certificates["valid"],
    }


def year_overview(subject: Subject, year: int) -> dict[str, Any]:
    """Every figure of the ``year`` report of ``subject`` (see the module's docstring)."""
    bounds = YearBounds.of(year)
    roadmaps = list(subject.roadmaps())
    ids = [r.pk for r in roadmaps]
    pairs = pairs_of(roadmaps)
    # Both lists are shares of the same sum: it is read once.
    total = contract_total(pairs, year=year)
    suppliers, _total = top_suppliers(pairs, year=year, total=total)
    customers, _total = top_customers(pairs, year=year, total=total)
    return {
        "subject": subject,
        "roadmaps": roadmaps,
        "year": year,
        "as_of": bounds.last_day,
        "volumes": subject_volumes(subject, roadmaps, until=year),
        "suppliers": suppliers,
        "customers": customers,
        "contract_total": total,
        "funnel": funnel_of_year(ids, bounds),
        "import_substitution": offers_of_year(ids, bounds),
        **demands_of_year(subject, roadmaps, bounds),
        "registrations": registrations_of_year(roadmaps, bounds),
    }


def report_overview(subject: Subject, year: int, language: str) -> dict[str, Any]:
    """The figures of the report with its charts and texts in ``language`` (the active
    language when the charts are drawn)."""
    overview = with_texts(with_charts(year_overview(subject, year)), language)
    as_of = date_format(overview["as_of"], "DATE_FORMAT")
    overview["funnel_chart"] = charts.funnel_chart(
        overview["funnel"],
        title=_("Offers by the furthest stage reached by %(date)s") % {"date": as_of},
    )
    return overview
