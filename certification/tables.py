"""The review queue, the certificates and the register as their pages show them and as
they export (one declaration each, read by the page, the API and the export job's worker)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from roadmap_portal.choices import Role
from roadmap_portal.exports import Column, ExportList, choice_label, export_list_register
from roadmap_portal.scope import has_role
from suppliers.choices import OfferStatus

from . import selectors
from .choices import CertificateStatus
from .filtersets import CertificateFilterSet, RegisterEntryFilterSet, ReviewQueueFilterSet

OFFER_STATUS = choice_label(OfferStatus.choices)
CERTIFICATE_STATUS = choice_label(CertificateStatus.choices)


def _bound(params):
    """A filter set's data: none when the query string is empty (the list unfiltered)."""
    return params or None


def reviewers_only(user):
    if not has_role(user, Role.REVIEWER):
        raise PermissionDenied(_("Your role does not allow this page."))


def review_queue_filtered(user, params, *, request=None):
    """The review queue (reviewers only, else ``PermissionDenied``): the group's offers in
    the review stages under the filters and the chosen order (longest waiting first); a
    filter given wrongly shows nothing."""
    reviewers_only(user)
    base = selectors.review_queue(user)
    filterset = ReviewQueueFilterSet(_bound(params), queryset=base)
    if not filterset.is_bound:
        return filterset, base
    return filterset, filterset.qs if filterset.is_valid() else base.none()


def certificates_filtered(user, params, *, request=None):
    """The certificate list; filters given wrongly are all left out (the list unfiltered)."""
    base = selectors.certificate_list(user)
    filterset = CertificateFilterSet(_bound(params), queryset=base)
    return filterset, filterset.qs if filterset.is_bound and filterset.is_valid() else base


def register_filtered(user, params, *, request=None):
    """The register in scope; a filter given wrongly shows nothing."""
    base = selectors.register_list(user)
    filterset = RegisterEntryFilterSet(_bound(params), queryset=base, request=request)
    if not filterset.is_bound:
        return filterset, base
    return filterset, filterset.qs if filterset.is_valid() else base.none()


REVIEW_QUEUE = export_list_register(
    ExportList(
        name="review-queue",
        title=_("Review queue"),
        columns=(
            Column(_("Number"), lambda o: o.pk),
            Column(_("Product"), lambda o: o.name),
            Column(_("Supplier"), lambda o: o.supplier.name),
            Column(_("Region"), lambda o: o.supplier.region.name),
            Column(_("Roadmap"), lambda o: o.roadmap.title),
            Column(_("OKPD2 code"), lambda o: o.okpd2),
            Column(_("Import substitution"), lambda o: o.import_substitution),
            Column(_("Replaces imported analog"), lambda o: o.replaces),
            Column(_("Stage"), lambda o: OFFER_STATUS(o.status)),
            Column(_("Waiting since"), lambda o: o.status_changed),
        ),
        rows=lambda user, params: review_queue_filtered(user, params)[1],
        prepare=lambda qs: qs.select_related("supplier__region", "roadmap"),
        guard=reviewers_only,
    )
)

CERTIFICATES = export_list_register(
    ExportList(
        name="certificates",
        title=_("Certificates"),
        columns=(
            Column(_("Certification body"), lambda c: str(c.body)),
            Column(_("Number"), lambda c: c.number),
            Column(_("Supplier"), lambda c: c.supplier.name),
            Column(_("Issued on"), lambda c: c.issued_on),
            Column(_("Valid until"), lambda c: c.valid_until),
            Column(_("Status"), lambda c: CERTIFICATE_STATUS(c.status)),
            Column(_("Reason"), lambda c: c.status_reason),
            Column(_("Products"), lambda c: "; ".join(o.name for o in c.offers.all())),
        ),
        rows=lambda user, params: certificates_filtered(user, params)[1],
        prepare=lambda qs: qs.select_related("body", "supplier"),
    )
)

REGISTER = export_list_register(
    ExportList(
        name="register",
        title=_("Register"),
        columns=(
            Column(_("Corporation"), lambda e: e.corporation.short_name),
            Column(_("Entry number"), lambda e: e.number),
            Column(_("Product"), lambda e: e.offer.name),
            Column(_("Supplier"), lambda e: e.supplier.name),
            Column(_("Region"), lambda e: e.supplier.region.code),
            Column(_("OKPD2 code"), lambda e: e.okpd2),
            Column(
                _("Certificate"),
                lambda e: f"{e.certificate.body} № {e.certificate.number}" if e.certificate else "",
            ),
            Column(
                _("Valid until"), lambda e: e.certificate.valid_until if e.certificate else None
            ),
            Column(_("Included on"), lambda e: e.included_on),
            Column(_("Excluded on"), lambda e: e.excluded_on),
            Column(_("Exclusion reason"), lambda e: e.exclusion_reason),
        ),
        rows=lambda user, params: register_filtered(user, params)[1],
        # The API's register reads only the columns its serializer writes: all of them here.
        prepare=lambda qs: qs.defer(None).select_related(
            "corporation", "offer", "supplier__region", "certificate__body"
        ),
    )
)
