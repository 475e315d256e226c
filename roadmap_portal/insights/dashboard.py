"""Reads behind the dashboards and the yearly reports: a subject (a roadmap, a region or a
corporation group) and its volume, top suppliers and customers, funnel, import substitution,
uncovered demands and the review queue's ageing.

Every figure is an aggregate in the database, so the number of queries does not depend on
the number of contracts, suppliers or offers.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from certification.models import Certificate
from roadmap_portal.choices import Role
from roadmap_portal.models import Corporation, Demand, Region, Roadmap
from roadmap_portal.selectors import roadmap_series
from suppliers.choices import OfferStatus
from suppliers.models import Offer, OfferTransition, Supplier
from suppliers.pipeline import FUNNEL, q_waiting_for

from . import charts
from .volume import (
    contracts_between,
    format_millions,
    format_money,
    format_ratio,
    roadmap_volume,
    volumes_for,
)

TOP = 10
AGEING_BUCKETS = ((0, 7), (8, 30), (31, 90), (91, None))


@dataclass
class Subject:
    """What a dashboard or report is about."""

    kind: str  # "roadmap", "region" or "corporation"
    roadmap: Roadmap | None = None
    region: Region | None = None
    corporation: Corporation | None = None

    @property
    def key(self):
        obj = {"roadmap": self.roadmap, "region": self.region}.get(self.kind, self.corporation)
        return f"{self.kind}:{obj.pk}"

    @property
    def title(self):
        if self.kind == "roadmap":
            return self.roadmap.title
        if self.kind == "region":
            return str(self.region.name)
        return str(self.corporation.name)

    def roadmaps(self):
        """The subject's roadmaps: a roadmap's whole series, or a region's or group's
        roadmaps without drafts."""
        qs = Roadmap.objects.select_related("region", "corporation").order_by(
            "region__name", "start_year", "id"
        )
        if self.kind == "roadmap":
            return qs.filter(pk__in=[r.pk for r in roadmap_series(self.roadmap)])
        qs = qs.exclude(status="draft")
        if self.kind == "region":
            return qs.filter(region_id=self.region.pk)
        return qs.filter(corporation_id=self.corporation.pk)


def pairs_of(roadmaps):
    return {(r.region_id, r.corporation_id) for r in roadmaps}


def subject_volumes(subject, roadmaps, *, until=None):
    """Volume series: the roadmap's own series, or every series of the region or group."""
    if subject.kind == "roadmap":
        return [roadmap_volume(subject.roadmap, until=until)]
    return volumes_for(roadmaps, until=until)


def _year_range(year):
    if year is None:
        return {}
    return {
        "signed_on__gte": datetime.date(year, 1, 1),
        "signed_on__lte": datetime.date(year, 12, 31),
    }


def _share_rows(rows, total):
    result = []
    for row in rows:
        share = (
            (Decimal(row["total"]) * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if total
            else None
        )
        result.append({**row, "share": share})
    return result


def contract_total(pairs, *, year=None):
    """The sum of the contracts between the pairs' regions and groups (of ``year``)."""
    contracts = contracts_between(pairs).filter(**_year_range(year))
    return contracts.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def top_suppliers(pairs, *, year=None, limit=TOP, total=None):
    """Suppliers by contract sum with the pairs' groups, biggest first, with their share
    of ``total`` (by default :func:`contract_total`, read here)."""
    contracts = contracts_between(pairs).filter(**_year_range(year))
    if total is None:
        total = contract_total(pairs, year=year)
    rows = (
        contracts.values("supplier_id", "supplier__name", "supplier__region__name")
        .annotate(total=Sum("amount"), contracts=Count("*"))
        .order_by("-total", "supplier__name")[:limit]
    )
    return _share_rows(
        [
            {
                "id": r["supplier_id"],
                "name": r["supplier__name"],
                "region": r["supplier__region__name"],
                "total": r["total"],
                "contracts": r["contracts"],
            }
            for r in rows
        ],
        total,
    ), total


def top_customers(pairs, *, year=None, limit=TOP, total=None):
    """Customers (group heads and subsidiaries) by contract sum, biggest first, with their
    share of ``total`` (by default :func:`contract_total`, read here)."""
    contracts = contracts_between(pairs).filter(**_year_range(year))
    if total is None:
        total = contract_total(pairs, year=year)
    rows = (
        contracts.values("customer_id", "customer__short_name", "customer__parent__short_name")
        .annotate(total=Sum("amount"), contracts=Count("*"))
        .order_by("-total", "customer__short_name")[:limit]
    )
    return _share_rows(
        [
            {
                "id": r["customer_id"],
                "name": r["customer__short_name"],
                "group": r["customer__parent__short_name"],
                "total": r["total"],
                "contracts": r["contracts"],
            }
            for r in rows
        ],
        total,
    ), total


def funnel(roadmap_ids, *, until=None):
    """Offers that reached each stage of ``suppliers.pipeline.FUNNEL``, from their history.

    An offer counts for every stage up to the furthest it reached (an excluded or rejected
    offer keeps the stages it passed). ``conversion`` is the percentage of the previous
    stage's offers that reached this one.
    """
    stage_index = Case(
        *[When(to_status=status, then=Value(i)) for i, status in enumerate(FUNNEL)],
        default=Value(-1),
        output_field=IntegerField(),
    )
    history = OfferTransition.objects.filter(offer_id=OuterRef("pk"))
    if until is not None:
        # A bound on the column itself (not on its date in the portal's time zone) keeps the
        # history read an index-only scan.
        next_day = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time())
        history = history.filter(created__lt=timezone.make_aware(next_day))
    furthest = history.annotate(stage=stage_index).values("offer_id")
    furthest = furthest.annotate(furthest=Max("stage")).values("furthest")[:1]
    rows = (
        Offer.objects.filter(roadmap_id__in=list(roadmap_ids))
        .annotate(furthest=Subquery(furthest, output_field=IntegerField()))
        .values("furthest")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_furthest = {r["furthest"]: r["n"] for r in rows if r["furthest"] is not None}
    labels = dict(OfferStatus.choices)
    stages, previous = [], None
    for index, status in enumerate(FUNNEL):
        count = sum(n for furthest, n in by_furthest.items() if furthest >= index)
        conversion = (
            (Decimal(count) * 100 / previous).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if previous
            else None
        )
        stages.append(
            {"status": status, "label": labels[status], "count": count, "conversion": conversion}
        )
        previous = count
    return stages


def import_substitution(roadmap_ids):
    """Offers beyond draft and those registered, with the import-substitution share of each."""
    counts = (
        Offer.objects.filter(roadmap_id__in=list(roadmap_ids))
        .exclude(status=OfferStatus.DRAFT)
        .aggregate(
            offers=Count("pk"),
            substitutes=Count("pk", filter=Q(import_substitution=True)),
            registered=Count("pk", filter=Q(status=OfferStatus.REGISTERED)),
            registered_substitutes=Count(
                "pk", filter=Q(status=OfferStatus.REGISTERED, import_substitution=True)
            ),
        )
    )

    def share(part, whole):
        if not whole:
            return None
        return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)

    counts["share"] = share(counts["substitutes"], counts["offers"])
    counts["registered_share"] = share(counts["registered_substitutes"], counts["registered"])
    return counts


def uncovered_demands(subject, roadmaps, *, limit=TOP):
    """Open demands of the subject's groups that no registered offer answers yet (from the
    region's suppliers when the subject is a region or roadmap). Returns (rows, count)."""
    groups = {r.corporation_id for r in roadmaps}
    if not groups:
        return [], 0
    covering = Offer.objects.filter(demand_id=OuterRef("pk"), status=OfferStatus.REGISTERED)
    if subject.kind != "corporation":
        covering = covering.filter(supplier__region_id__in={r.region_id for r in roadmaps})
    in_groups = Q(customer_id__in=groups) | Q(customer__parent_id__in=groups)
    today = timezone.localdate()
    qs = (
        Demand.objects.filter(in_groups)
        .filter(Q(deadline__isnull=True) | Q(deadline__gte=today))
        .exclude(Exists(covering))
        .select_related("customer")
        .order_by("deadline", "id")
    )
    return list(qs[:limit]), qs.count()


def review_ageing(group_id):
    """Offers waiting for the group's reviewers, by days in their current stage."""
    qs = Offer.objects.filter(roadmap__corporation_id=group_id).filter(q_waiting_for(Role.REVIEWER))
    now = timezone.now()
    aggregates = {}
    for low, high in AGEING_BUCKETS:
        condition = Q(status_changed__lte=now - datetime.timedelta(days=low))
        if high is not None:
            condition &= Q(status_changed__gt=now - datetime.timedelta(days=high + 1))
        aggregates[f"b{low}"] = Count("pk", filter=condition)
    counts = qs.aggregate(**aggregates)
    buckets = []
    for low, high in AGEING_BUCKETS:
        label = (
            _("%(low)s–%(high)s days") % {"low": low, "high": high}
            if high is not None
            else _("more than %(days)s days") % {"days": low - 1}
        )
        buckets.append({"label": label, "count": counts[f"b{low}"], "low": low, "high": high})
    return buckets


def registrations_and_certificates(subject, roadmaps, year):
    """New suppliers registered in the subject's regions and certificates issued in
    ``year`` for offers of the subject's roadmaps."""
    regions = {r.region_id for r in roadmaps}
    suppliers = Supplier.objects.filter(region_id__in=regions, created__year=year).count()
    certificates = (
        Certificate.objects.filter(
            offers__roadmap_id__in=[r.pk for r in roadmaps], issued_on__year=year
        )
        .values("pk")
        .distinct()
        .count()
    )
    return {"suppliers": suppliers, "certificates": certificates}


def subject_overview(subject, *, year=None, with_ageing=False):
    """Everything a dashboard (``year`` None: all years so far) or a yearly report shows."""
    roadmaps = list(subject.roadmaps())
    pairs = pairs_of(roadmaps)
    ids = [r.pk for r in roadmaps]
    until_date = datetime.date(year, 12, 31) if year else None
    # Both lists are shares of the same sum: it is read once.
    total = contract_total(pairs, year=year)
    suppliers, _total = top_suppliers(pairs, year=year, total=total)
    customers, _total = top_customers(pairs, year=year, total=total)
    demands, demand_count = uncovered_demands(subject, roadmaps)
    overview = {
        "subject": subject,
        "roadmaps": roadmaps,
        "volumes": subject_volumes(subject, roadmaps, until=year),
        "suppliers": suppliers,
        "customers": customers,
        "contract_total": total,
        "funnel": funnel(ids, until=until_date),
        "import_substitution": import_substitution(ids),
        "demands": demands,
        "demand_count": demand_count,
        "year": year,
    }
    if year is not None:
        overview["registrations"] = registrations_and_certificates(subject, roadmaps, year)
    if with_ageing and subject.kind == "corporation":
        overview["ageing"] = review_ageing(subject.corporation.pk)
    return overview


def _language():
    return (get_language() or "ru")[:2]


def volume_chart(series):
    """The bar/line chart of a volume series, in millions of rubles, current language."""
    language = _language()
    head = series.head
    return charts.volume_chart(
        series.years,
        title=_("%(region)s · %(group)s, million RUB")
        % {"region": head.region.name, "group": head.corporation.short_name},
        format_value=lambda v: format_millions(v, language),
        labels={
            "volume": _("contracts"),
            "reported": _("reported"),
            "target": _("target"),
            "missing": _("no data"),
        },
    )


def funnel_chart(stages):
    return charts.funnel_chart(stages, title=_("Offers by stage reached"))


def suppliers_chart(rows):
    language = _language()
    return charts.horizontal_bars(
        [(r["name"], r["total"], f"{r['share']}%" if r["share"] is not None else "") for r in rows],
        title=_("Top suppliers by contract sum, RUB"),
        format_value=lambda v: format_money(v, language),
    )


def with_charts(overview):
    """Add the SVG charts (current language) to an overview."""
    for series in overview["volumes"]:
        series.chart = volume_chart(series)
    overview["funnel_chart"] = funnel_chart(overview["funnel"])
    overview["suppliers_chart"] = (
        suppliers_chart(overview["suppliers"]) if overview["suppliers"] else ""
    )
    return overview


def series_texts(series, language=None):
    """Add money and ratio texts to a volume series, formatted for ``language``."""
    language = language or _language()
    series.growth_text = format_ratio(series.growth_factor, language)
    series.total_text = format_money(series.total, language)
    for item in series.years:
        item.amount_text = format_money(item.amount, language)
        item.target_text = format_money(item.target, language)
        item.contracts_text = format_money(item.contracts, language)
        item.reported_text = format_money(item.reported, language)
        percent = item.fulfilment_percent
        item.fulfilment_text = (
            "—" if percent is None else format_ratio(percent, language, places=1) + " %"
        )
    return series


def with_texts(overview, language=None):
    """Add money and ratio texts formatted for ``language`` (``1 347 000 000`` in Russian)."""
    language = language or _language()
    for series in overview["volumes"]:
        series_texts(series, language)
    for row in overview["suppliers"] + overview["customers"]:
        row["total_text"] = format_money(row["total"], language)
        row["share_text"] = (
            "—" if row["share"] is None else format_ratio(row["share"], language, 1) + " %"
        )
    overview["contract_total_text"] = format_money(overview["contract_total"], language)
    for stage in overview["funnel"]:
        stage["conversion_text"] = (
            "—"
            if stage["conversion"] is None
            else format_ratio(stage["conversion"], language, 1) + " %"
        )
    share = overview["import_substitution"]
    for name in ("share", "registered_share"):
        share[f"{name}_text"] = (
            "—" if share[name] is None else format_ratio(share[name], language, 1) + " %"
        )
    return overview
