import django_filters

from .models import Notification, Roadmap


class RoadmapFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code")
    year = django_filters.NumberFilter(method="filter_year", label="Active in year")

    class Meta:
        model = Roadmap
        fields = ["region", "corporation", "status"]

    def filter_year(self, queryset, name, value):
        return queryset.filter(start_year__lte=value, end_year__gte=value)


class NotificationFilterSet(django_filters.FilterSet):
    read = django_filters.BooleanFilter()
    event = django_filters.CharFilter(help_text="Event name, e.g. offer_status.")

    class Meta:
        model = Notification
        fields = ["read", "event"]
