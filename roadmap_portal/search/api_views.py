"""The search (``selectors``) as an API: ``GET /api/v1/search/`` (the search
box) and ``GET /api/v1/demands/{id}/substitutes/`` (import substitution for a demand)."""

import functools
from types import SimpleNamespace

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from roadmap_portal.api.rows import readable_fields, written
from roadmap_portal.selectors import demands_visible_to

from .selectors import (
    KINDS_BY_KEY,
    QUERY_MAX_LENGTH,
    SearchQueryError,
    clean_query,
    kind_choices,
    search_visible_to,
    substitutes_for,
    supplier_suggestions,
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


@functools.cache
def _search_fields():
    """A search answer's fields, built once per process."""
    return readable_fields(SearchResultSerializer())


def search_data(query, groups):
    """``SearchResultSerializer({"query": query, "groups": groups}).data``, written with the
    fields built once."""
    return written(SimpleNamespace(query=query, groups=groups), _search_fields())


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
        return Response(search_data(query, groups))


class SubstituteOfferSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="offer.pk")
    name = serializers.CharField(source="offer.name")
    okpd2 = serializers.CharField(source="offer.okpd2")
    status = serializers.CharField(source="offer.status")
    supplier = serializers.IntegerField(source="offer.supplier_id")
    supplier_name = serializers.CharField(source="offer.supplier.name")
    score = serializers.FloatField(help_text="OKPD2 class closeness + text rank, higher first.")
    same_class = serializers.BooleanField(help_text="The offer is of the demand's OKPD2 class.")
    text_match = serializers.BooleanField(help_text="The offer's text is similar to the demand's.")


class SubstituteSupplierSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="supplier.pk")
    name = serializers.CharField(source="supplier.name")
    inn = serializers.CharField(source="supplier.inn")
    region = serializers.CharField(source="supplier.region.name")
    score = serializers.FloatField(help_text="The score of the supplier's best offer.")
    offers = serializers.SerializerMethodField()

    def get_offers(self, obj) -> list[int]:
        return [offer.pk for offer in obj.offers]


class DemandSubstitutesSerializer(serializers.Serializer):
    """What could replace a demand's imported item, in the caller's scope."""

    demand = serializers.IntegerField()
    offers = SubstituteOfferSerializer(many=True)
    suppliers = SubstituteSupplierSerializer(many=True)


class DemandSubstitutesView(APIView):
    """The offers and suppliers in the caller's scope that could replace the demand's
    imported item: of its OKPD2 class or similar by text, ranked (best first)."""

    @extend_schema(responses={200: DemandSubstitutesSerializer})
    def get(self, request, pk):
        demand = get_object_or_404(demands_visible_to(request.user), pk=pk)
        items = substitutes_for(demand, request.user)
        data = {"demand": demand.pk, "offers": items, "suppliers": supplier_suggestions(items)}
        return Response(DemandSubstitutesSerializer(data).data)
