import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import Audience
from .models import Message


class MessageFilterSet(django_filters.FilterSet):
    """The one filter set of messages (an offer's conversation in the API)."""

    internal = django_filters.BooleanFilter(
        method="filter_internal", label=_("Internal notes only (true) or messages for everyone")
    )
    audience = django_filters.ChoiceFilter(choices=Audience.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created", lookup_expr="gte")

    class Meta:
        model = Message
        fields = ["internal", "audience", "created_after"]

    def filter_internal(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.exclude(audience=Audience.EVERYONE)
        return queryset.filter(audience=Audience.EVERYONE)
