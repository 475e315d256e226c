import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from roadmap_portal.api.authentication import generate_key
from roadmap_portal.api.pagination import PageNumberPagination
from roadmap_portal.models import ApiKey, Region, Roadmap
from tests.factories import (
    CorporationFactory,
    RegionFactory,
    RoadmapFactory,
    UserFactory,
    admin_user,
    user_with_role,
)
from tests.helpers import assert_constant_queries, assert_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tomsk = RegionFactory(code="RU-TOM", name="Томская область")
    kaluga = RegionFactory(code="RU-KLU", name="Калужская область")
    interrao = CorporationFactory(short_name="Интер РАО")
    gazprom = CorporationFactory(short_name="Газпром")
    return {
        "tomsk": tomsk,
        "kaluga": kaluga,
        "interrao": interrao,
        "gazprom": gazprom,
        "tomsk_roadmap": RoadmapFactory(region=tomsk, corporation=interrao),
        "kaluga_roadmap": RoadmapFactory(region=kaluga, corporation=gazprom),
        "tomsk_staff": user_with_role("region_staff", region=tomsk),
        "kaluga_staff": user_with_role("region_staff", region=kaluga),
        "reviewer": user_with_role("reviewer", corporation=interrao),
    }


def test_token_is_issued_for_username_and_password(api):
    UserFactory(username="alice")
    response = api.post("/api/v1/auth/token/", {"username": "alice", "password": "pass-12345"})
    assert response.status_code == 200
    token = response.json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/regions/").status_code == 200
    bad = api.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"})
    assert bad.status_code == 400


def test_regions_and_corporations_are_reference_data(api, api_as, world):
    response = api_as(world["tomsk_staff"]).get("/api/v1/regions/")
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert {r["code"] for r in response.json()["results"]} == {"RU-TOM", "RU-KLU"}
    corp = api_as(world["reviewer"]).get("/api/v1/corporations/").json()["results"][0]
    assert set(corp) == {"id", "name", "short_name", "inn", "parent"}
    assert api.get("/api/v1/regions/").status_code == 401


def test_roadmap_scope(api, api_as, world):
    url = f"/api/v1/roadmaps/{world['kaluga_roadmap'].pk}/"
    assert_scope(
        url=url,
        anonymous_client=api,
        out_of_scope=api_as(world["tomsk_staff"]),
        allowed=api_as(world["kaluga_staff"]),
    )
    listed = api_as(world["reviewer"]).get("/api/v1/roadmaps/").json()["results"]
    assert [r["id"] for r in listed] == [world["tomsk_roadmap"].pk]
    assert listed[0]["region"] == "RU-TOM"


def test_roadmap_create_by_region_staff_with_targets(api, api_as, world):
    payload = {
        "region": "RU-TOM",
        "corporation": world["interrao"].pk,
        "title": "Дорожная карта 2023-2027",
        "signed_on": "2023-03-01",
        "start_year": 2023,
        "end_year": 2027,
        "status": "draft",
        "previous": world["tomsk_roadmap"].pk,
        "targets": [{"year": 2023, "amount": "1500000000.00"}],
    }
    assert_scope(
        url="/api/v1/roadmaps/",
        method="post",
        data=payload,
        anonymous_client=api,
        wrong_role=api_as(world["reviewer"]),
        allowed=api_as(world["tomsk_staff"]),
        allowed_status=201,
    )
    created = Roadmap.objects.get(title="Дорожная карта 2023-2027")
    assert created.targets.get().amount == 1_500_000_000
    payload.pop("previous")
    other_region = api_as(world["kaluga_staff"]).post("/api/v1/roadmaps/", payload, format="json")
    assert other_region.status_code == 400 and "region" in other_region.json()


def test_roadmap_validation_names_the_fields(api_as, world):
    staff = api_as(world["tomsk_staff"])
    response = staff.post(
        "/api/v1/roadmaps/",
        {
            "region": "RU-TOM",
            "corporation": world["interrao"].pk,
            "title": "x",
            "signed_on": "not a date",
            "start_year": 2020,
            "end_year": 2019,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "signed_on" in response.json()
    response = staff.post(
        "/api/v1/roadmaps/",
        {
            "region": "RU-TOM",
            "corporation": world["interrao"].pk,
            "title": "x",
            "signed_on": "2020-01-01",
            "start_year": 2020,
            "end_year": 2019,
        },
        format="json",
    )
    assert response.status_code == 400 and "end_year" in response.json()
    assert Roadmap.objects.filter(title="x").count() == 0


def test_roadmap_patch_out_of_scope_is_404(api_as, world):
    response = api_as(world["tomsk_staff"]).patch(
        f"/api/v1/roadmaps/{world['kaluga_roadmap'].pk}/", {"title": "stolen"}, format="json"
    )
    assert response.status_code == 404


def test_roadmap_list_query_count_is_constant(api_as, world):
    client = api_as(admin_user())
    tomsk = world["tomsk"]

    def make(n):
        for _ in range(n):
            RoadmapFactory(region=tomsk, corporation=world["interrao"])

    assert_constant_queries(make, lambda: client.get("/api/v1/roadmaps/?page_size=100"))


def test_region_and_corporation_lists_query_counts_are_constant(api_as, world):
    client = api_as(world["reviewer"])

    def regions(n):
        for _ in range(n):
            RegionFactory()

    def corporations(n):
        for _ in range(n):
            CorporationFactory(parent=world["interrao"])

    assert_constant_queries(regions, lambda: client.get("/api/v1/regions/?page_size=100"))
    assert_constant_queries(corporations, lambda: client.get("/api/v1/corporations/?page_size=100"))


def test_roadmap_html_list_query_count_is_constant(client, world):
    client.force_login(admin_user())

    def make(n):
        for _ in range(n):
            RoadmapFactory(region=world["tomsk"], corporation=world["interrao"])

    def call():
        response = client.get("/roadmaps/")
        assert response.status_code == 200
        return response

    call()
    assert_constant_queries(make, call)


def test_pagination_refuses_unordered_querysets():
    request = RequestFactory().get("/")
    from rest_framework.request import Request

    with pytest.raises(TypeError, match="unordered"):
        PageNumberPagination().paginate_queryset(Region.objects.order_by(), Request(request))


def test_api_key_authentication_scopes_a_partner(world):
    partner = user_with_role("partner")
    key, prefix, hashed = generate_key()
    api_key = ApiKey.objects.create(
        name="Read",
        organisation="АРР",
        user=partner,
        prefix=prefix,
        hashed_key=hashed,
        region=world["kaluga"],
    )
    assert key not in ApiKey.objects.values_list("hashed_key", flat=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    listed = client.get("/api/v1/roadmaps/").json()["results"]
    assert [r["region"] for r in listed] == ["RU-KLU"]
    assert client.get(f"/api/v1/roadmaps/{world['tomsk_roadmap'].pk}/").status_code == 404
    write = client.post("/api/v1/roadmaps/", {}, format="json")
    assert write.status_code == 403
    api_key.refresh_from_db()
    assert api_key.last_used is not None

    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=f"Api-Key {prefix}.wrong")
    assert wrong.get("/api/v1/roadmaps/").status_code == 401
    ApiKey.objects.filter(pk=api_key.pk).update(revoked=timezone.now())
    assert client.get("/api/v1/roadmaps/").status_code == 401


def test_throttling_answers_429_with_retry_after(api_as, world, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_RATE_USER = "3/minute"
    client = api_as(world["tomsk_staff"])
    codes = [client.get("/api/v1/regions/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/regions/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    other = api_as(world["kaluga_staff"])
    assert other.get("/api/v1/regions/").status_code == 200
    cache.clear()


def test_inputs_found_by_the_fuzzer_answer_4xx_not_500(api_as, world):
    client = api_as(admin_user())
    supplier = client.post(
        "/api/v1/suppliers/",
        {
            "name": "0",
            "inn": "0",
            "ogrn": "0000000000000",
            "region": "RU-KLU",
            "kind": "manufacturer",
        },
        format="json",
    )
    assert supplier.status_code == 400 and {"inn", "ogrn"} <= set(supplier.json())
    roadmap = client.post(
        "/api/v1/roadmaps/",
        {
            "region": "RU-KLU",
            "corporation": world["gazprom"].pk,
            "title": "x",
            "signed_on": "2000-01-01",
            "start_year": 0,
            "end_year": 0,
        },
        format="json",
    )
    assert roadmap.status_code == 400 and "start_year" in roadmap.json()
    assert client.get("/api/v1/contracts/?year=0.0").status_code == 400
    for url in (
        "/api/v1/offers/null,null/transition/",
        "/api/v1/suppliers/abc/verify/",
        "/api/v1/offers/null/attachments/0/",
        "/api/v1/roadmaps/x/volume/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/api/v1/regions/RU-TOM/").status_code == 200


def test_a_read_only_key_is_refused_a_transition_before_its_body_is_read(world):
    from tests.factories import OfferFactory, SupplierFactory

    partner = user_with_role("partner")
    key, prefix, hashed = generate_key()
    ApiKey.objects.create(
        name="Read", organisation="АРР", user=partner, prefix=prefix, hashed_key=hashed
    )
    offer = OfferFactory(supplier=SupplierFactory(region=world["tomsk"]), status="registered")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert (
        client.post(f"/api/v1/offers/{offer.pk}/transition/", {}, format="json").status_code == 403
    )
    assert (
        client.post(
            f"/api/v1/offers/{offer.pk}/transition/", {"action": "exclude"}, format="json"
        ).status_code
        == 403
    )
    offer.refresh_from_db()
    assert offer.status == "registered"
