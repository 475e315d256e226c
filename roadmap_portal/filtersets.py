import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from .fields import scoped_queryset
from .models import Notification, Roadmap
from .selectors import corporations_visible_to, regions_visible_to


def group_heads_visible_to(user):
    """Corporation groups (their heads) for a ``group`` or ``corporation`` filter."""
    return corporations_visible_to(user).filter(parent__isnull=True).order_by("short_name", "id")


def regions_by_code(user):
    return regions_visible_to(user).order_by("code")


def regions_by_name(user):
    return regions_visible_to(user).order_by("name")


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
    corporation = django_filters.ModelChoiceFilter(
        queryset=scoped_queryset(corporations_visible_to)
    )
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
