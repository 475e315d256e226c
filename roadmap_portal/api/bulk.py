"""The API side of bulk actions: the ids field with its cap, the per-row answer."""

from dataclasses import asdict

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.response import Response

from roadmap_portal import bulk
from roadmap_portal.input_limits import FreeTextField


def ids_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=bulk.MAX_IDS,
        help_text=_(
            "The ids of the rows to act on, at most 100; each id once (a repeated id is "
            "acted on once). An id outside your scope answers as an unknown one: "
            "``not_found``."
        ),
        error_messages={
            "empty": _("Choose at least one row."),
            "max_length": _(
                "One request takes at most {max_length} ids; act on fewer rows at a time."
            ),
        },
    )


def comment_field(help_text) -> FreeTextField:
    return FreeTextField(required=False, allow_blank=True, default="", help_text=help_text)


class BulkRowResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The id as sent."))
    outcome = serializers.ChoiceField(
        choices=[value for value, _label in bulk.OUTCOMES],
        help_text=_(
            "``done``; or why not: ``not_found`` (unknown or outside your scope), "
            "``not_allowed`` (the row's state does not allow it: a single action's 409), "
            "``forbidden`` (403), ``invalid`` (400)."
        ),
    )
    detail = serializers.CharField(help_text=_("The result in words, the service's own."))
    name = serializers.CharField(help_text=_("The row's name; empty when not found."))
    status = serializers.CharField(help_text=_("The row's state after the action, when done."))


class BulkResultSerializer(serializers.Serializer):
    done = serializers.IntegerField(help_text=_("How many rows were done."))
    not_done = serializers.IntegerField(help_text=_("How many rows were not."))
    results = BulkRowResultSerializer(many=True, help_text=_("One per id, in the order sent."))


BULK_RESPONSES = {
    200: BulkResultSerializer,
    400: OpenApiResponse(
        description=_(
            "No ids, more than 100, an action that is not a bulk action, or a comment the "
            "action needs is missing: nothing is done."
        )
    ),
    403: OpenApiResponse(description=_("Your role may not take this action: nothing is done.")),
}


def bulk_response(results: list[bulk.RowResult]) -> Response:
    rows = [
        {key: value for key, value in asdict(row).items() if key != "status_display"}
        for row in results
    ]
    return Response({**bulk.summary(results), "results": rows})
