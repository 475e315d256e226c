"""Demands, tenders, bids and contracts as their pages show them and as they export (one
declaration each, read by the page, the API and the export job's worker)."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from roadmap_portal.exports import Column, ExportList, choice_label, export_list_register
from roadmap_portal.scope import is_supplier, scope_of
from roadmap_portal.selectors import demands_visible_to
from suppliers.selectors import offers_brief_visible_to

from .choices import BidStatus, TenderStatus
from .filtersets import BidFilterSet, ContractFilterSet, DemandFilterSet, TenderFilterSet
from .selectors import (
    bids_visible_to,
    contracts_visible_to,
    demands_matching_supplier,
    tenders_visible_to,
)

TENDER_STATUS = choice_label(TenderStatus.choices)
BID_STATUS = choice_label(BidStatus.choices)


def _filtered(filterset_class, base, params, request):
    """Filters given wrongly are all left out: the list unfiltered, as the pages show it."""
    filterset = filterset_class(params or None, queryset=base, request=request)
    return filterset, filterset.qs if filterset.is_bound and filterset.is_valid() else base


def tenders_filtered(user, params, *, request=None):
    base = tenders_visible_to(user).order_by("-published_on", "-id")
    return _filtered(TenderFilterSet, base, params, request)


def bids_filtered(user, params, *, request=None):
    base = (
        bids_visible_to(user)
        .prefetch_related(Prefetch("offers", queryset=offers_brief_visible_to(user)))
        .order_by("-created", "-id")
    )
    return _filtered(BidFilterSet, base, params, request)


def contracts_filtered(user, params, *, request=None):
    base = contracts_visible_to(user).order_by("-signed_on", "-id")
    return _filtered(ContractFilterSet, base, params, request)


def demands_matching(user, params) -> bool:
    """A supplier sees the demands matching their products unless they ask for all."""
    return is_supplier(user) and params.get("all") != "1"


def demands_filtered(user, params, *, request=None):
    base = demands_visible_to(user).order_by("-id")
    if demands_matching(user, params):
        base = demands_matching_supplier(base, scope_of(user).supplier_id)
    return _filtered(DemandFilterSet, base, params, request)


TENDERS = export_list_register(
    ExportList(
        name="tenders",
        title=_("Tenders"),
        columns=(
            Column(_("Number"), lambda t: t.number),
            Column(_("Title"), lambda t: t.title),
            Column(_("Customer"), lambda t: t.customer.short_name),
            Column(_("OKPD2 categories"), lambda t: ", ".join(t.categories or [])),
            Column(_("Published on"), lambda t: t.published_on),
            Column(_("Submission deadline"), lambda t: t.deadline),
            Column(_("Estimated value, RUB"), lambda t: t.estimated_value),
            Column(_("Status"), lambda t: TENDER_STATUS(t.status)),
        ),
        rows=lambda user, params: tenders_filtered(user, params)[1],
        prepare=lambda qs: qs.select_related("customer"),
    )
)

BIDS = export_list_register(
    ExportList(
        name="bids",
        title=_("Bids"),
        columns=(
            Column(_("Tender"), lambda b: b.tender.number),
            Column(_("Tender title"), lambda b: b.tender.title),
            Column(_("Customer"), lambda b: b.tender.customer.short_name),
            Column(_("Supplier"), lambda b: b.supplier.name),
            Column(_("Products"), lambda b: "; ".join(o.name for o in b.offers.all())),
            Column(_("Price, RUB"), lambda b: b.price),
            Column(_("Status"), lambda b: BID_STATUS(b.status)),
            Column(_("Submitted on"), lambda b: b.created),
        ),
        rows=lambda user, params: bids_filtered(user, params)[1],
        prepare=lambda qs: qs.select_related("tender__customer", "supplier"),
    )
)

CONTRACTS = export_list_register(
    ExportList(
        name="contracts",
        title=_("Contracts"),
        columns=(
            Column(_("Number"), lambda c: c.number),
            Column(_("Subject"), lambda c: c.subject),
            Column(_("Customer"), lambda c: c.customer.short_name),
            Column(_("Supplier"), lambda c: c.supplier.name),
            Column(_("Region"), lambda c: c.supplier.region.name),
            Column(_("Tender"), lambda c: c.tender.number if c.tender_id else ""),
            Column(_("Amount, RUB"), lambda c: c.amount),
            Column(_("Signed on"), lambda c: c.signed_on),
        ),
        rows=lambda user, params: contracts_filtered(user, params)[1],
        prepare=lambda qs: qs.select_related("customer", "supplier__region", "tender"),
    )
)

DEMANDS = export_list_register(
    ExportList(
        name="demands",
        title=_("Demands"),
        columns=(
            Column(_("Number"), lambda d: d.pk),
            Column(_("Title"), lambda d: d.title),
            Column(_("Customer"), lambda d: d.customer.short_name),
            Column(_("OKPD2 category"), lambda d: d.category),
            Column(_("Quantity"), lambda d: d.quantity),
            Column(_("Unit"), lambda d: d.unit),
            Column(_("Imported analog"), lambda d: d.replaces),
            Column(_("Deadline"), lambda d: d.deadline),
        ),
        rows=lambda user, params: demands_filtered(user, params)[1],
        prepare=lambda qs: qs.select_related("customer"),
    )
)
