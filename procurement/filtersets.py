"""One FilterSet per model, shared by the API and the HTML lists."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from roadmap_portal import okpd2
from roadmap_portal.fields import scoped_queryset
from roadmap_portal.filtersets import SinceFilter, group_heads_visible_to
from roadmap_portal.models import Corporation, Demand
from roadmap_portal.selectors import corporations_visible_to

from .categories import HasCategoryIn, HasCategoryUnder
from .choices import BidStatus, TenderStatus
from .models import Bid, Contract, Tender


@extend_schema_field(OpenApiTypes.INT)
class GroupFilter(django_filters.ModelChoiceFilter):
    """A corporation group (its head's id): the head and its subsidiaries."""


class _GroupFilterMixin:
    def filter_group(self, queryset, name, value):
        return queryset.filter(Corporation.in_group(value.pk, "customer__"))


class TenderFilterSet(_GroupFilterMixin, django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TenderStatus.choices, label=_("Status"))
    since = SinceFilter()
    customer = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(corporations_visible_to), label=_("Customer")
    )
    group = GroupFilter(
        queryset=scoped_queryset(group_heads_visible_to),
        method="filter_group",
        label=_("Corporation group"),
    )
    okpd2 = django_filters.CharFilter(method="filter_okpd2", label=_("OKPD2 code"))
    deadline_after = django_filters.DateFilter(
        field_name="deadline", lookup_expr="gte", label=_("Deadline from")
    )
    deadline_before = django_filters.DateFilter(
        field_name="deadline", lookup_expr="lte", label=_("Deadline to")
    )
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Tender
        fields = ["status", "customer"]

    def filter_okpd2(self, queryset, name, value):
        """Tenders with a category that is a prefix of the code, or under it."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(HasCategoryIn(okpd2.prefixes(value))) | Q(HasCategoryUnder(value)))

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))


class DemandFilterSet(_GroupFilterMixin, django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(corporations_visible_to), label=_("Customer")
    )
    group = GroupFilter(
        queryset=scoped_queryset(group_heads_visible_to),
        method="filter_group",
        label=_("Corporation group"),
    )
    category = django_filters.CharFilter(
        field_name="category", lookup_expr="startswith", label=_("OKPD2 category")
    )
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Demand
        fields = ["customer", "category"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(replaces__icontains=value))


class BidFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BidStatus.choices, label=_("Status"))
    tender = django_filters.NumberFilter(field_name="tender_id", label=_("Tender"))
    supplier = django_filters.NumberFilter(field_name="supplier_id", label=_("Supplier"))

    class Meta:
        model = Bid
        fields = ["status", "tender", "supplier"]


class ContractFilterSet(_GroupFilterMixin, django_filters.FilterSet):
    customer = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(corporations_visible_to), label=_("Customer")
    )
    group = GroupFilter(
        queryset=scoped_queryset(group_heads_visible_to),
        method="filter_group",
        label=_("Corporation group"),
    )
    supplier = django_filters.NumberFilter(field_name="supplier_id", label=_("Supplier"))
    tender = django_filters.NumberFilter(field_name="tender_id", label=_("Tender"))
    since = SinceFilter()
    direct = django_filters.BooleanFilter(
        field_name="tender", lookup_expr="isnull", label=_("Direct purchase")
    )
    signed_after = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="gte", label=_("Signed from")
    )
    signed_before = django_filters.DateFilter(
        field_name="signed_on", lookup_expr="lte", label=_("Signed to")
    )
    year = django_filters.NumberFilter(
        field_name="signed_on__year", label=_("Year"), min_value=1990, max_value=2100
    )

    class Meta:
        model = Contract
        fields = ["customer", "supplier", "tender"]
