import django_filters

from .models import Roadmap


class RoadmapFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code")
    year = django_filters.NumberFilter(method="filter_year", label="Active in year")

    class Meta:
        model = Roadmap
        fields = ["region", "corporation", "status"]

    def filter_year(self, queryset, name, value):
        return queryset.filter(start_year__lte=value, end_year__gte=value)
