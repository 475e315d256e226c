import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from .models import Notification, Roadmap


class SinceField(forms.DateTimeField):
    """An ISO 8601 date or date-time; a bare date means its midnight, portal time."""

    input_formats = ["iso-8601"]
    default_error_messages = {
        "invalid": _(
            "Give a date or date-time in ISO 8601, e.g. 2026-03-01 or 2026-03-01T12:00:00+03:00."
        )
    }

    def to_python(self, value):
        if isinstance(value, str):
            # An offset's "+" left unencoded in a URL arrives as a space: read it as meant.
            value = re.sub(
                r"([T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$", r"\1+\2", value.strip()
            )
        moment = super().to_python(value)
        if moment is not None and not 1990 <= moment.year <= 2100:
            raise forms.ValidationError(_("Give a moment between 1990 and 2100."), code="range")
        return moment


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "description": "Only rows changed at or after this moment (ISO 8601 date or date-time; "
        "a date means its start, Moscow time).",
    }
)
class SinceFilter(django_filters.Filter):
    """``?since=``: rows changed at or after a moment (their ``updated`` time), for partners
    who follow a feed and fetch only what changed since their last visit."""

    field_class = SinceField

    def __init__(self, field_name="updated", lookup_expr="gte", **kwargs):
        kwargs.setdefault("label", _("Changed since"))
        super().__init__(field_name=field_name, lookup_expr=lookup_expr, **kwargs)


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
