"""``GET /api/v1/search/``: the search box's engine (roadmap_portal/search.py) as an API."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ..search import (
    KINDS_BY_KEY,
    QUERY_MAX_LENGTH,
    SearchQueryError,
    clean_query,
    kind_choices,
    search_visible_to,
)


class SearchParametersSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=QUERY_MAX_LENGTH,
        trim_whitespace=True,
        help_text=_("Words, a name, an INN, OGRN or OKPD2 prefix, a part of a number."),
    )
    kind = serializers.ChoiceField(
        choices=[], required=False, help_text=_("Only this kind, with more rows.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()

    def validate_q(self, value):
        try:
            return clean_query(value)
        except SearchQueryError as exc:
            raise serializers.ValidationError(str(exc)) from exc


class SearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text=_("Escaped HTML; the matched words in <mark>."))
    subtitle = serializers.CharField(help_text=_("Escaped HTML; the matched code in <mark>."))
    url = serializers.CharField(help_text=_("The row's page in the portal."))
    rank = serializers.FloatField()


class SearchGroupSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(KINDS_BY_KEY))
    label = serializers.CharField()
    count = serializers.IntegerField(
        help_text=_("The matches in the reader's scope, at most 1000.")
    )
    capped = serializers.BooleanField(help_text=_("The count stopped at 1000: more rows match."))
    results = SearchHitSerializer(many=True, source="hits")
    more_url = serializers.CharField(
        help_text=_("The kind's list filtered by the query, where it has one.")
    )


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    groups = SearchGroupSerializer(many=True)


class SearchView(APIView):
    """Search offers, suppliers, tenders, demands, register entries and certificates in the
    caller's scope: Russian full text with stemming, typos, code prefixes; grouped by kind,
    ranked, highlighted."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                required=True,
                description=_("Words, a name, an INN, OGRN or OKPD2 prefix, a part of a number."),
            ),
            OpenApiParameter(
                "kind",
                str,
                enum=list(KINDS_BY_KEY),
                required=False,
                description=_("Only this kind, with more rows."),
            ),
        ],
        responses={200: SearchResultSerializer},
    )
    def get(self, request):
        params = SearchParametersSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query = params.validated_data["q"]
        groups = search_visible_to(request.user, query, kind=params.validated_data.get("kind"))
        return Response(SearchResultSerializer({"query": query, "groups": groups}).data)
