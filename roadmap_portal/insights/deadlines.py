"""Reads behind the deadline view: tenders closing, certificates expiring and demands due,
each inside the reader's scope, as one agenda sorted by date.

Who sees what (the scope is applied in each query, through the lists' own selectors):

* a supplier's member: the tenders its organisation may bid in (the eligibility checks of
  ``procurement.eligibility``), its own certificates, and the demands of the groups with a
  roadmap in its region that match one of its offers;
* region staff: the tenders and demands of the groups with a roadmap in their region and
  the certificates of their region's suppliers;
* a reviewer: the group's tenders and demands and the certificates of the bodies the group
  requires;
* a certification body's officer: the body's certificates;
* an administrator: everything.

An item is *overdue* when its day has passed while it still waits: a tender not yet closed,
a valid certificate not renewed, a demand whose deadline is over. Overdue items are shown for
``PAST_DAYS`` days; the agenda looks ``ahead`` days forward (one of ``AHEAD_CHOICES``). Each
kind is read in one query (a supplier's tenders in the fixed number of queries of its
eligibility checks), whatever the number of items, and at most ``MAX_PER_KIND`` items of each
kind are listed.
"""

import datetime
from dataclasses import dataclass
from itertools import groupby

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certification.choices import CertificateStatus
from certification.selectors import certificates_visible_to
from procurement.choices import TenderStatus
from procurement.eligibility import candidate_tenders, tenders_for_supplier
from procurement.selectors import demands_matching_supplier, tenders_visible_to
from roadmap_portal.scope import scope_of
from roadmap_portal.selectors import customer_in_region_groups, demands_visible_to
from suppliers.models import Supplier

PAST_DAYS = 30
AHEAD_CHOICES = (30, 90, 180, 365)
DEFAULT_AHEAD = 90
MAX_PER_KIND = 200

TENDER, CERTIFICATE, DEMAND = "tender", "certificate", "demand"
KIND_LABELS = {
    TENDER: _("Tender closes"),
    CERTIFICATE: _("Certificate expires"),
    DEMAND: _("Demand due"),
}
# Tenders that still take bids: their deadline is a day someone must act by.
WAITING_TENDER_STATUSES = (TenderStatus.ANNOUNCED, TenderStatus.OPEN)


@dataclass(frozen=True)
class Deadline:
    """One dated item of the agenda."""

    kind: str
    pk: int
    day: datetime.date
    title: str
    detail: str
    url: str
    overdue: bool

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def uid(self):
        """Stable across feeds, so a calendar application updates an event, not adds one."""
        return f"{self.kind}-{self.pk}@roadmap-portal"


@dataclass(frozen=True)
class Agenda:
    today: datetime.date
    start: datetime.date
    end: datetime.date
    ahead: int
    items: list  # [Deadline] sorted by day, kind, title
    truncated: tuple  # the kinds that had more than MAX_PER_KIND items

    @property
    def overdue(self):
        return [item for item in self.items if item.overdue]

    def weeks(self):
        """[(monday, sunday, [Deadline])] of the items not overdue, week by week."""
        upcoming = [item for item in self.items if not item.overdue]

        def monday(item):
            return item.day - datetime.timedelta(days=item.day.weekday())

        return [
            (start, start + datetime.timedelta(days=6), list(items))
            for start, items in groupby(upcoming, key=monday)
        ]


def agenda_ahead(raw) -> int:
    """The look-ahead asked for (``?ahead=``), or the default for anything else."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return DEFAULT_AHEAD
    return value if value in AHEAD_CHOICES else DEFAULT_AHEAD


def deadlines_for(user, *, ahead: int = DEFAULT_AHEAD, today: datetime.date | None = None):
    """The user's ``Agenda`` from ``PAST_DAYS`` ago to ``ahead`` days from today."""
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=PAST_DAYS)
    end = today + datetime.timedelta(days=ahead)
    items, truncated = [], []
    for kind, read in (
        (TENDER, _tenders),
        (CERTIFICATE, _certificates),
        (DEMAND, _demands),
    ):
        rows = read(user, start=start, end=end, today=today)
        if len(rows) > MAX_PER_KIND:
            rows = rows[:MAX_PER_KIND]
            truncated.append(kind)
        items.extend(rows)
    items.sort(key=lambda item: (item.day, item.kind, item.title, item.pk))
    return Agenda(
        today=today, start=start, end=end, ahead=ahead, items=items, truncated=tuple(truncated)
    )


def _tenders(user, *, start, end, today):
    scope = scope_of(user)
    if scope.is_officer:
        return []
    tenders = (
        tenders_visible_to(user)
        .filter(status__in=WAITING_TENDER_STATUSES, deadline__range=(start, end))
        .order_by("deadline", "id")
    )
    if scope.is_supplier:
        supplier = Supplier.objects.filter(pk=scope.supplier_id).first()
        if supplier is None:
            return []
        candidates = list(candidate_tenders(supplier, tenders).select_related("customer"))
        rows = [
            result.tender
            for result in tenders_for_supplier(supplier, candidates)
            if result.eligible
        ]
    else:
        rows = list(tenders[: MAX_PER_KIND + 1])
    return [
        Deadline(
            kind=TENDER,
            pk=tender.pk,
            day=tender.deadline,
            title=f"{tender.number} {tender.title}",
            detail=tender.customer.short_name,
            url=reverse("procurement:tender-detail", args=[tender.pk]),
            overdue=tender.deadline < today,
        )
        for tender in rows
    ]


def _certificates(user, *, start, end, today):
    certificates = (
        certificates_visible_to(user)
        .filter(
            status=CertificateStatus.VALID,
            valid_until__range=(start, end),
            renewed_by__isnull=True,  # a renewed certificate's end asks nothing of anyone
        )
        .order_by("valid_until", "id")[: MAX_PER_KIND + 1]
    )
    return [
        Deadline(
            kind=CERTIFICATE,
            pk=certificate.pk,
            day=certificate.valid_until,
            title=f"№ {certificate.number}",
            detail=f"{certificate.body.short_name} · {certificate.supplier.name}",
            url=reverse("certification:certificate-detail", args=[certificate.pk]),
            overdue=certificate.valid_until < today,
        )
        for certificate in certificates
    ]


def _demands(user, *, start, end, today):
    scope = scope_of(user)
    if scope.is_officer:
        return []
    demands = demands_visible_to(user).filter(deadline__range=(start, end))
    if scope.is_region_staff:
        demands = demands.filter(customer_in_region_groups(scope.region_id))
    elif scope.is_supplier:
        region = Supplier.objects.filter(pk=scope.supplier_id).values("region_id")[:1]
        demands = demands_matching_supplier(
            demands.filter(customer_in_region_groups(region)), scope.supplier_id
        )
    rows = demands.order_by("deadline", "id")[: MAX_PER_KIND + 1]
    return [
        Deadline(
            kind=DEMAND,
            pk=demand.pk,
            day=demand.deadline,
            title=demand.title,
            detail=f"{demand.customer.short_name} · {demand.category}",
            url=_demand_url(demand.pk),
            overdue=demand.deadline < today,
        )
        for demand in rows
    ]


def _demand_url(pk):
    """The demand's page, or the demand list where no page of its own is installed."""
    try:
        return reverse("procurement:demand-detail", args=[pk])
    except NoReverseMatch:
        return reverse("procurement:demand-list") + f"?id={pk}"
