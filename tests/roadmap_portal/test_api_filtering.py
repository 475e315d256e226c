"""The API's filter backend: filters still filter and refuse bad values; a query string
that names no filter leaves the rows as they are without building the filter set; a view's
``filterset_fields`` make their class once."""

import django_filters
import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from roadmap_portal.api.filtering import QueryFilterBackend
from roadmap_portal.api.views import CorporationViewSet, RegionViewSet
from roadmap_portal.models import Region
from tests.factories import RegionFactory, admin_user

pytestmark = pytest.mark.django_db


def test_a_named_filter_filters_and_a_bad_value_is_refused(api_as):
    RegionFactory(code="RU-TOM")
    RegionFactory(code="RU-KLU")
    client = api_as(admin_user())
    assert [r["code"] for r in client.get("/api/v1/regions/?code=RU-TOM").json()["results"]] == [
        "RU-TOM"
    ]
    # Every region, whatever else the query string holds.
    everything = client.get("/api/v1/regions/").json()["results"]
    assert client.get("/api/v1/regions/?colour=red&page_size=10").json()["results"] == everything
    bad = client.get("/api/v1/corporations/?parent=not-a-number")
    assert bad.status_code == 400
    assert list(bad.json()) == ["parent"]


class CountingFilterSet(django_filters.FilterSet):
    built = 0

    class Meta:
        model = Region
        fields = ["code"]

    def __init__(self, *args, **kwargs):
        type(self).built += 1
        super().__init__(*args, **kwargs)


class CountingView(APIView):
    filterset_class = CountingFilterSet


def _request(query):
    request = APIView().initialize_request(APIRequestFactory().get(f"/regions/{query}"))
    return request


def test_the_filter_set_is_built_only_when_the_query_names_a_filter():
    RegionFactory(code="RU-TOM")
    RegionFactory(code="RU-KLU")
    backend, view, rows = QueryFilterBackend(), CountingView(), Region.objects.all()
    CountingFilterSet.built = 0
    assert backend.filter_queryset(_request("?page=2&ordering=code"), rows, view) is rows
    assert CountingFilterSet.built == 0
    filtered = backend.filter_queryset(_request("?code=RU-KLU"), rows, view)
    assert CountingFilterSet.built == 1
    assert [r.code for r in filtered] == ["RU-KLU"]


def test_filterset_fields_make_their_class_once_per_view():
    backend = QueryFilterBackend()
    regions = backend.get_filterset_class(RegionViewSet(), Region.objects.all())
    assert backend.get_filterset_class(RegionViewSet(), Region.objects.all()) is regions
    assert list(regions.base_filters) == ["code"]
    corporations = CorporationViewSet()
    other = backend.get_filterset_class(
        corporations, corporations.serializer_class.Meta.model.objects.all()
    )
    assert other is not regions and list(other.base_filters) == ["parent", "inn"]
