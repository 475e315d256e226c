"""One FilterSet per list, shared by the HTML pages and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from roadmap_portal.fields import scoped_queryset
from roadmap_portal.filtersets import SinceFilter, group_heads_visible_to, regions_by_code
from roadmap_portal.selectors import corporations_visible_to
from suppliers.choices import OfferStatus
from suppliers.models import Offer
from suppliers.pipeline import REVIEW_STAGES

from .choices import CertificateStatus
from .models import Certificate, ProductTest, RegisterEntry, Requirement


def _search(queryset, fields, value):
    value = (value or "").strip()
    if not value:
        return queryset
    q = Q()
    for field in fields:
        q |= Q(**{f"{field}__icontains": value})
    return queryset.filter(q)


def _review_stage_choices():
    return [(s, OfferStatus(s).label) for s in REVIEW_STAGES]


class ReviewQueueFilterSet(django_filters.FilterSet):
    """The review queue: offers of the reviewer's group in the review stages."""

    status = django_filters.MultipleChoiceFilter(label=_("Stage"), choices=_review_stage_choices)
    region = django_filters.CharFilter(
        field_name="supplier__region__code", label=_("Region (code)")
    )
    roadmap = django_filters.NumberFilter(field_name="roadmap_id", label=_("Roadmap"))
    okpd2 = django_filters.CharFilter(
        field_name="okpd2", lookup_expr="startswith", label=_("OKPD2 code or prefix")
    )
    import_substitution = django_filters.BooleanFilter(label=_("Import substitution"))
    supplier = django_filters.NumberFilter(field_name="supplier_id", label=_("Supplier"))
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("status_changed", "waiting"),
            ("name", "name"),
            ("supplier__name", "supplier"),
            ("okpd2", "okpd2"),
            ("id", "id"),
        ),
        field_labels={
            "status_changed": _("Waiting since"),
            "name": _("Product"),
            "supplier__name": _("Supplier"),
            "okpd2": _("OKPD2"),
            "id": _("Number"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Offer
        fields = ["status", "region", "roadmap", "okpd2", "import_substitution", "supplier"]

    def filter_search(self, queryset, name, value):
        return _search(queryset, ("name", "supplier__name", "okpd2", "replaces"), value)


class RequirementFilterSet(django_filters.FilterSet):
    corporation = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(corporations_visible_to), label=_("Corporation")
    )
    active = django_filters.BooleanFilter(label=pgettext_lazy("state", "Active"))
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Requirement
        fields = ["corporation", "active"]

    def filter_search(self, queryset, name, value):
        return _search(queryset, ("code", "title"), value)


class CertificateFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CertificateStatus.choices, label=_("Status"))
    supplier = django_filters.NumberFilter(field_name="supplier_id", label=_("Supplier"))
    body = django_filters.NumberFilter(field_name="body_id", label=_("Certification body"))
    offer = django_filters.NumberFilter(field_name="offers", label=_("Covers offer"))
    valid_until_before = django_filters.DateFilter(
        field_name="valid_until", lookup_expr="lte", label=_("Valid until on or before")
    )
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Certificate
        fields = ["status", "supplier", "body"]

    def filter_search(self, queryset, name, value):
        return _search(queryset, ("number", "supplier__name"), value)


class ProductTestFilterSet(django_filters.FilterSet):
    offer = django_filters.NumberFilter(field_name="offer_id", label=_("Offer"))

    class Meta:
        model = ProductTest
        fields = ["offer", "kind", "result"]


class OfferRecordFilterSet(django_filters.FilterSet):
    """Requirement checks and readiness evaluations are read per offer."""

    offer = django_filters.NumberFilter(field_name="offer_id", label=_("Offer"))


class RegisterEntryFilterSet(django_filters.FilterSet):
    """The register of permitted products: ``corporation``, ``okpd2`` prefix, ``active``."""

    corporation = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(group_heads_visible_to), label=_("Corporation")
    )
    okpd2 = django_filters.CharFilter(
        field_name="okpd2", lookup_expr="startswith", label=_("OKPD2 code or prefix")
    )
    active = django_filters.BooleanFilter(
        field_name="excluded_on", lookup_expr="isnull", label=pgettext_lazy("state", "Active")
    )
    supplier = django_filters.NumberFilter(field_name="supplier_id", label=_("Supplier"))
    region = django_filters.ModelChoiceFilter(
        field_name="supplier__region",
        to_field_name="code",
        queryset=scoped_queryset(regions_by_code),
        label=_("Region"),
    )
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    since = SinceFilter()

    class Meta:
        model = RegisterEntry
        fields = ["corporation", "okpd2", "active", "supplier", "region"]

    def filter_search(self, queryset, name, value):
        return _search(
            queryset, ("offer__name", "supplier__name", "okpd2", "certificate__number"), value
        )
