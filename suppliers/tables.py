"""The suppliers' working lists as the pages show them and as they export (one declaration
each, read by the page, the API and the export job's worker)."""

from django.utils.translation import gettext_lazy as _

from roadmap_portal.exports import Column, ExportList, choice_label, export_list_register

from .choices import OfferStatus, SupplierKind, VerificationStatus
from .filtersets import OfferFilterSet, SupplierFilterSet
from .selectors import offer_list_for, supplier_list_for

OFFER_STATUS = choice_label(OfferStatus.choices)
SUPPLIER_KIND = choice_label(SupplierKind.choices)
VERIFICATION = choice_label(VerificationStatus.choices)


def offers_filtered(user, params, *, request=None):
    """The offer list: the offers in scope under the list's filters (a filter given wrongly
    is left out, as the page shows it), newest first."""
    filterset = OfferFilterSet(params, queryset=offer_list_for(user), request=request)
    return filterset, filterset.qs


def suppliers_filtered(user, params, *, request=None):
    """The supplier list: suppliers in scope under the list's filters, by name."""
    filterset = SupplierFilterSet(params, queryset=supplier_list_for(user), request=request)
    return filterset, filterset.qs


OFFER_COLUMNS = (
    Column(_("Number"), lambda o: o.pk),
    Column(_("Product"), lambda o: o.name),
    Column(_("Supplier"), lambda o: o.supplier.name),
    Column(_("Region"), lambda o: o.supplier.region.name),
    Column(_("Roadmap"), lambda o: o.roadmap.title),
    Column(_("OKPD2 code"), lambda o: o.okpd2),
    Column(_("Import substitution"), lambda o: o.import_substitution),
    Column(_("Replaces imported analog"), lambda o: o.replaces),
    Column(_("Status"), lambda o: OFFER_STATUS(o.status)),
    Column(_("In this status since"), lambda o: o.status_changed),
    Column(_("Last changed"), lambda o: o.updated),
)

OFFERS = export_list_register(
    ExportList(
        name="offers",
        title=_("Offers"),
        columns=OFFER_COLUMNS,
        rows=lambda user, params: offers_filtered(user, params)[1],
        prepare=lambda qs: qs.select_related("supplier__region", "roadmap").prefetch_related(None),
    )
)

SUPPLIERS = export_list_register(
    ExportList(
        name="suppliers",
        title=_("Suppliers"),
        columns=(
            Column(_("Number"), lambda s: s.pk),
            Column(_("Legal name"), lambda s: s.name),
            Column(_("INN"), lambda s: s.inn),
            Column(_("OGRN"), lambda s: s.ogrn),
            Column(_("Region"), lambda s: s.region.name),
            Column(_("Kind"), lambda s: SUPPLIER_KIND(s.kind)),
            Column(_("Verification"), lambda s: VERIFICATION(s.verification_status)),
            Column(_("Offers"), lambda s: getattr(s, "offer_count", None)),
            Column(_("Registered at"), lambda s: s.created),
        ),
        rows=lambda user, params: suppliers_filtered(user, params)[1],
        prepare=lambda qs: qs.select_related("region"),
    )
)
