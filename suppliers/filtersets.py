"""One FilterSet per model, shared by the REST API and the HTML lists."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from roadmap_portal.fields import scoped_queryset
from roadmap_portal.filtersets import SinceFilter, regions_by_name

from .choices import OfferStatus, SupplierKind, VerificationStatus
from .models import Offer, Supplier


class OfferFilterSet(django_filters.FilterSet):
    # distinct=False: a status filter never duplicates rows, and DISTINCT over every column
    # turns each page and its count into a sort of the whole table.
    status = django_filters.MultipleChoiceFilter(
        choices=OfferStatus.choices, label=_("Status"), distinct=False
    )
    # Plain ids: an id outside the user's scope filters to nothing rather than erroring.
    roadmap = django_filters.NumberFilter(field_name="roadmap_id", label=_("Roadmap"))
    supplier = django_filters.NumberFilter(field_name="supplier_id", label=_("Supplier"))
    okpd2 = django_filters.CharFilter(
        field_name="okpd2", lookup_expr="startswith", label=_("OKPD2 code starts with")
    )
    import_substitution = django_filters.BooleanFilter(label=_("Import substitution"))
    since = SinceFilter()
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Offer
        fields = ["status", "roadmap", "supplier", "okpd2", "import_substitution", "search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(description__icontains=value)
            | Q(replaces__icontains=value)
        )


class SupplierFilterSet(django_filters.FilterSet):
    verification_status = django_filters.ChoiceFilter(
        choices=VerificationStatus.choices, label=_("Verification")
    )
    kind = django_filters.ChoiceFilter(choices=SupplierKind.choices, label=_("Kind"))
    region = django_filters.ModelChoiceFilter(
        field_name="region",
        to_field_name="code",
        queryset=scoped_queryset(regions_by_name),
        label=_("Region"),
    )
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Supplier
        fields = ["verification_status", "kind", "region", "search"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(inn__startswith=value) | Q(ogrn__startswith=value)
        )
