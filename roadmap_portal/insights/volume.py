"""Cooperation volume: what a corporation group bought from a region's suppliers, per year.

The rule for a year (README, "Cooperation volume"): **contracts recorded in the portal
count when they exist for the year; otherwise the figure reported by region staff
counts.** A year with neither is missing (``None``), never zero.

Contracts are summed in the database, one grouped query per call
(``GROUP BY`` supplier region, customer group, ``EXTRACT(year FROM signed_on)``).
"""

import datetime
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import F, Max, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from procurement.models import Contract
from roadmap_portal.models import Corporation, ReportedVolume, Roadmap, RoadmapTarget
from roadmap_portal.selectors import roadmap_series, series_among
from suppliers.models import Supplier

SOURCE_CONTRACTS = "contracts"
SOURCE_REPORTED = "reported"
TWO_PLACES = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")


@dataclass
class VolumeYear:
    year: int
    amount: Decimal | None
    target: Decimal | None
    source: str | None
    contracts: Decimal | None = None
    reported: Decimal | None = None
    reported_source: str = ""

    @property
    def fulfilment(self):
        """Volume over target, or None when either is missing or the target is zero."""
        if self.amount is None or not self.target:
            return None
        return (self.amount / self.target).quantize(RATIO_PLACES, ROUND_HALF_UP)

    @property
    def fulfilment_percent(self):
        ratio = self.fulfilment
        return None if ratio is None else (ratio * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def both_known(self):
        """Both a contract sum and a reported figure exist: the contracts count."""
        return self.contracts is not None and self.reported is not None


@dataclass
class VolumeSeries:
    roadmaps: list
    years: list = field(default_factory=list)

    @property
    def head(self):
        return self.roadmaps[-1]

    @property
    def first_year(self):
        return self.roadmaps[0].start_year

    @property
    def last_year(self):
        return self.roadmaps[-1].end_year

    @property
    def with_data(self):
        return [y for y in self.years if y.amount is not None]

    @property
    def growth_factor(self):
        """Last year with data over the first year with data, 2 decimals, or None."""
        known = self.with_data
        if len(known) < 2 or not known[0].amount:
            return None
        return (known[-1].amount / known[0].amount).quantize(TWO_PLACES, ROUND_HALF_UP)

    @property
    def growth_from(self):
        known = self.with_data
        return known[0].year if known else None

    @property
    def growth_to(self):
        known = self.with_data
        return known[-1].year if known else None

    @property
    def total(self):
        known = self.with_data
        return sum((y.amount for y in known), Decimal(0)) if known else None

    def year(self, year):
        return next((y for y in self.years if y.year == year), None)


def series_years(series, *, until=None):
    """The years a series covers: first roadmap's start to the last one's end, not past
    ``until`` (the current year by default)."""
    last = min(series[-1].end_year, until or timezone.localdate().year)
    return range(series[0].start_year, last + 1)


def in_groups_customers(group_ids):
    """Ids of the groups' heads and their subsidiaries (a subquery)."""
    group_ids = sorted(group_ids)
    return Corporation.objects.filter(Corporation.in_groups(group_ids)).values("pk")


def contract_totals(pairs, *, first_year, last_year):
    """``{(region_id, group_id, year): Decimal}`` for contracts between each region's
    suppliers and each group (head or subsidiary as customer), signed in the years given.

    One grouped query whatever the number of contracts or pairs.
    """
    pairs = {(r, g) for r, g in pairs}
    if not pairs or last_year < first_year:
        return {}
    if len(pairs) == 1:
        # One roadmap's series: every contract matched is of that pair, so the years alone
        # are grouped (no join of each contract to its customer for the group). On
        # PostgreSQL the statement is written once per process: no queryset is built.
        ((region_id, group_id),) = pairs
        database = router.db_for_read(Contract)
        if connections[database].vendor == "postgresql":
            return _one_pair_totals(database, region_id, group_id, first_year, last_year)
    contracts = Contract.objects.filter(
        pairs_match(pairs),
        signed_on__gte=datetime.date(first_year, 1, 1),
        signed_on__lte=datetime.date(last_year, 12, 31),
    )
    if len(pairs) == 1:
        return {
            (region_id, group_id, row["year"]): row["total"]
            for row in contracts.annotate(year=ExtractYear("signed_on"))
            .values("year")
            .annotate(total=Sum("amount"))
            .order_by()
        }
    rows = (
        contracts.annotate(
            region_id=F("supplier__region_id"),
            group_id=Coalesce("customer__parent_id", "customer_id"),
            year=ExtractYear("signed_on"),
        )
        .values("region_id", "group_id", "year")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {
        (row["region_id"], row["group_id"], row["year"]): row["total"]
        for row in rows
        if (row["region_id"], row["group_id"]) in pairs
    }


def _tables(database, *models):
    """The models' table names, quoted for ``database``."""
    quote = connections[database].ops.quote_name
    return [quote(model._meta.db_table) for model in models]


@functools.cache
def _one_pair_sql(database):
    """The ORM's statement for one pair (below), written once per process: the series'
    hot path then pays for the ``GROUP BY`` and not for building and compiling it."""
    contract, supplier, corporation = _tables(database, Contract, Supplier, Corporation)
    return (
        "SELECT EXTRACT(YEAR FROM c.signed_on)::integer, SUM(c.amount) "  # noqa: S608 - model names
        f"FROM {contract} c JOIN {supplier} s ON s.id = c.supplier_id "
        f"WHERE c.customer_id IN (SELECT k.id FROM {corporation} k "
        "WHERE k.id = %s OR k.parent_id = %s) "
        "AND s.region_id = %s AND c.signed_on >= %s AND c.signed_on <= %s "
        "GROUP BY 1"
    )


def _one_pair_totals(database, region_id, group_id, first_year, last_year):
    """``contract_totals`` of one pair on PostgreSQL: the statement the ORM writes for it
    (``pairs_match`` of one pair, the years grouped), from ``_one_pair_sql``; a test
    compares the two."""
    with connections[database].cursor() as cursor:
        cursor.execute(
            _one_pair_sql(database),
            [
                group_id,
                group_id,
                region_id,
                datetime.date(first_year, 1, 1),
                datetime.date(last_year, 12, 31),
            ],
        )
        return {(region_id, group_id, year): total for year, total in cursor.fetchall()}


@functools.cache
def _series_rows_sql(database):
    """The targets' and the reported figures' rows of a list of roadmaps and the contracts'
    latest change, in one statement (PostgreSQL): each row its model's own columns after a
    0 (a target), a 1 (a reported figure) or a 2 (the latest change, last column)."""
    targets, reported, contracts = _tables(database, RoadmapTarget, ReportedVolume, Contract)
    return (
        "SELECT 0, id, roadmap_id, year, amount, NULL::varchar, NULL::bigint, "  # noqa: S608 - model names
        f"NULL::timestamptz FROM {targets} WHERE roadmap_id = ANY(%s) "
        "UNION ALL SELECT 1, id, roadmap_id, year, amount, source, entered_by_id, created "
        f"FROM {reported} WHERE roadmap_id = ANY(%s) "
        "UNION ALL SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL, max(updated) "
        f"FROM {contracts}"
    )


def series_rows(roadmap_ids, *, using):
    """``(targets, reported figures, the contracts' latest change)`` of the roadmaps, the
    rows as model instances: what a series' volume reads besides its ``GROUP BY`` (and its
    ETag besides), in one statement on PostgreSQL, three queries elsewhere."""
    ids = list(roadmap_ids)
    connection = connections[using]
    if connection.vendor != "postgresql":
        return (
            list(RoadmapTarget.objects.using(using).filter(roadmap_id__in=ids)),
            list(ReportedVolume.objects.using(using).filter(roadmap_id__in=ids)),
            Contract.objects.using(using).aggregate(latest=Max("updated"))["latest"],
        )
    with connection.cursor() as cursor:
        cursor.execute(_series_rows_sql(using), [ids, ids])
        rows = cursor.fetchall()
    target_names = ["id", "roadmap_id", "year", "amount"]
    reported_names = [*target_names, "source", "entered_by_id", "created"]
    return (
        [RoadmapTarget.from_db(using, target_names, row[1:5]) for row in rows if row[0] == 0],
        [ReportedVolume.from_db(using, reported_names, row[1:]) for row in rows if row[0] == 1],
        next(row[-1] for row in rows if row[0] == 2),
    )


def _build(series, years, contracts, targets, reported):
    """Apply the rule to each year of one series."""
    head = series[-1]
    result = VolumeSeries(roadmaps=series)
    for year in years:
        contract_sum = contracts.get((head.region_id, head.corporation_id, year))
        reported_row = reported.get(year)
        if contract_sum is not None:
            amount, source = contract_sum, SOURCE_CONTRACTS
        elif reported_row is not None:
            amount, source = reported_row[0], SOURCE_REPORTED
        else:
            amount, source = None, None
        result.years.append(
            VolumeYear(
                year=year,
                amount=amount,
                target=targets.get(year),
                source=source,
                contracts=contract_sum,
                reported=reported_row[0] if reported_row else None,
                reported_source=reported_row[1] if reported_row else "",
            )
        )
    return result


def _by_year(rows, series_ids, value):
    """Rows of the series keyed by year; a later roadmap's row wins for a year both name."""
    order = {pk: i for i, pk in enumerate(series_ids)}
    chosen = {}
    for row in sorted(rows, key=lambda r: order[r.roadmap_id]):
        chosen[row.year] = value(row)
    return chosen


def roadmap_volume(roadmap, *, until=None):
    """The volume series of ``roadmap`` and the roadmaps it follows or that follow it."""
    pair = Roadmap.objects.filter(
        region_id=roadmap.region_id, corporation_id=roadmap.corporation_id
    )
    roadmaps = list(pair.order_by("start_year", "id"))
    found = pair_volume(roadmap.pk, roadmaps, using=pair.db, until=until)
    return found.volume if found is not None else series_volumes([[roadmap]], until=until)[0]


@dataclass
class PairVolume:
    """A roadmap's volume series with the rows it was read from: every roadmap of its
    region and group, their targets and reported figures, and the contracts' latest change
    (what a conditional answer's validators are made of)."""

    roadmap: Roadmap
    volume: VolumeSeries
    roadmaps: list
    targets: list
    reported: list
    contracts_changed: datetime.datetime | None


def pair_volume(roadmap_id, roadmaps, *, using, until=None):
    """``PairVolume`` of roadmap ``roadmap_id`` from ``roadmaps`` (its region's and group's,
    by start year and id, e.g. read by ``selectors.pair_of_visible``), or None when they do
    not hold it. Two queries: its other rows (``series_rows``), the contracts'
    ``GROUP BY``."""
    roadmap = next((r for r in roadmaps if r.pk == roadmap_id), None)
    if roadmap is None:
        return None
    targets, reported, changed = series_rows([r.pk for r in roadmaps], using=using)
    volume = series_volumes(
        [series_among(roadmap, roadmaps)], until=until, targets=targets, reported=reported
    )[0]
    return PairVolume(roadmap, volume, roadmaps, targets, reported, changed)


def series_volumes(all_series, *, until=None, targets=None, reported=None):
    """Volume of several series (lists of roadmaps, oldest first) in three queries: the
    contracts' totals, the targets and the reported figures (or one, when ``targets`` and
    ``reported`` are given: rows of at least the series' roadmaps)."""
    all_series = [s for s in all_series if s]
    if not all_series:
        return []
    spans = {id(s): series_years(s, until=until) for s in all_series}
    first = min(span.start for span in spans.values())
    last = max(span.stop - 1 for span in spans.values())
    contracts = contract_totals(
        [(s[-1].region_id, s[-1].corporation_id) for s in all_series],
        first_year=first,
        last_year=last,
    )
    ids = [r.pk for s in all_series for r in s]
    if targets is None:
        targets = list(RoadmapTarget.objects.filter(roadmap_id__in=ids))
    if reported is None:
        reported = list(ReportedVolume.objects.filter(roadmap_id__in=ids))
    results = []
    for series in all_series:
        series_ids = [r.pk for r in series]
        mine = set(series_ids)
        results.append(
            _build(
                series,
                spans[id(series)],
                contracts,
                _by_year([t for t in targets if t.roadmap_id in mine], series_ids, _amount),
                _by_year(
                    [r for r in reported if r.roadmap_id in mine],
                    series_ids,
                    lambda r: (r.amount, r.source),
                ),
            )
        )
    return results


def _amount(row):
    return row.amount


def group_into_series(roadmaps):
    """Split roadmaps into series by their ``previous`` links, each oldest first.

    Only links among the roadmaps given, and between roadmaps of one region and one group,
    are followed (as in ``roadmap_series``): callers pass every roadmap of the regions and
    groups concerned.
    """
    by_id = {r.pk: r for r in roadmaps}

    def linked(r):
        previous = by_id.get(r.previous_id)
        return previous is not None and (previous.region_id, previous.corporation_id) == (
            r.region_id,
            r.corporation_id,
        )

    following = {r.previous_id: r for r in roadmaps if linked(r)}
    heads = [r for r in roadmaps if not linked(r)]
    series, placed = [], set()
    for head in sorted(heads, key=lambda r: (r.start_year, r.pk)):
        chain, current = [], head
        while current is not None and current.pk not in placed:
            chain.append(current)
            placed.add(current.pk)
            current = following.get(current.pk)
        series.append(chain)
    # A cycle of previous links has no head: keep its roadmaps as one series each.
    series += [[r] for r in roadmaps if r.pk not in placed]
    return series


def volumes_for(roadmaps, *, until=None):
    """Series volumes for every series touching ``roadmaps`` (a queryset or list)."""
    roadmaps = list(roadmaps)
    if not roadmaps:
        return []
    regions = {r.region_id for r in roadmaps}
    groups = {r.corporation_id for r in roadmaps}
    related = list(
        Roadmap.objects.filter(region_id__in=regions, corporation_id__in=groups)
        .select_related("region", "corporation")
        .order_by("start_year", "id")
    )
    wanted = {r.pk for r in roadmaps}
    series = [s for s in group_into_series(related) if wanted & {r.pk for r in s}]
    return series_volumes(series, until=until)


def reported_volume_upsert(*, roadmap, year, amount, source, user):
    """Record the volume reported for ``year`` of ``roadmap``'s series (one per year).

    The year must fall inside the series (first start to last end, not in the future)
    and the amount cannot be negative. The figure is kept on the series roadmap whose
    term covers the year, so one year never has two reported figures.
    Returns ``(row, created)``.
    """
    series = roadmap_series(roadmap)
    span = series_years(series)
    errors = {}
    if year not in span:
        errors["year"] = _("%(year)s is outside the roadmap series %(first)s–%(last)s.") % {
            "year": year,
            "first": span.start,
            "last": span.stop - 1,
        }
    if amount is None or amount < 0:
        errors["amount"] = _("The amount cannot be negative.")
    if not (source or "").strip():
        errors["source"] = _("Name the source of the figure.")
    if errors:
        raise ValidationError(errors)
    owner = next((r for r in series if r.start_year <= year <= r.end_year), roadmap)
    with transaction.atomic():
        ReportedVolume.objects.filter(
            roadmap_id__in=[r.pk for r in series if r.pk != owner.pk], year=year
        ).delete()
        return ReportedVolume.objects.update_or_create(
            roadmap=owner,
            year=year,
            defaults={"amount": amount, "source": source.strip(), "entered_by": user},
        )


def format_money(value, language="ru"):
    """Whole rubles with thousands grouped: ``1 347 000 000`` (ru) or ``1,347,000,000``."""
    if value is None:
        return "—"
    whole = f"{Decimal(value).quantize(Decimal(1), ROUND_HALF_UP):,}"
    return whole.replace(",", " ") if language == "ru" else whole


def format_ratio(value, language="ru", places=2):
    """A ratio such as a growth factor: ``8,98`` (ru) or ``8.98``."""
    if value is None:
        return "—"
    text = f"{Decimal(value):.{places}f}"
    return text.replace(".", ",") if language == "ru" else text


def format_millions(value, language="ru"):
    """An amount in millions, one decimal: chart axis labels."""
    if value is None:
        return "—"
    return format_ratio(Decimal(value) / Decimal(1_000_000), language, places=1)


def pairs_match(pairs, prefix=""):
    """Q for contracts between the regions' suppliers and the groups of ``pairs``
    (``(region_id, group_id)`` tuples); matches nothing for no pairs.

    Written as ``supplier.region IN (...) AND customer IN (the groups' corporations)`` per
    region, not as one OR branch per pair: PostgreSQL then reads the contracts of the
    region's suppliers from the covering ``(supplier, signed_on)`` index instead of scanning
    every contract against one subquery per pair.
    """
    groups_by_region = defaultdict(set)
    for region_id, group_id in set(pairs):
        groups_by_region[region_id].add(group_id)
    # Regions paired with the same groups share one condition (a region's or a group's
    # dashboard is then a single one).
    regions_by_groups = defaultdict(set)
    for region_id, group_ids in groups_by_region.items():
        regions_by_groups[frozenset(group_ids)].add(region_id)
    match = Q(pk__in=[])
    for group_ids, region_ids in regions_by_groups.items():
        match |= Q(
            **{
                f"{prefix}supplier__region_id__in": sorted(region_ids),
                f"{prefix}customer_id__in": in_groups_customers(group_ids),
            }
        )
    return match


def contracts_between(pairs):
    return Contract.objects.filter(pairs_match(pairs))
