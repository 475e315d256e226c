import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from roadmap_portal.insights.volume import (
    contract_totals,
    contracts_between,
    format_money,
    format_ratio,
    roadmap_volume,
)
from roadmap_portal.models import ReportedVolume, Roadmap
from roadmap_portal.selectors import roadmap_series
from tests.demo_data import load_demo
from tests.factories import (
    ContractFactory,
    CorporationFactory,
    RegionFactory,
    RoadmapFactory,
    RoadmapTargetFactory,
    SupplierFactory,
    user_with_role,
)
from tests.helpers import assert_constant_queries, assert_scope, count_queries

pytestmark = pytest.mark.django_db

M = Decimal(1_000_000)


@pytest.fixture
def setup():
    region = RegionFactory()
    group = CorporationFactory()
    subsidiary = CorporationFactory(parent=group)
    roadmap = RoadmapFactory(region=region, corporation=group, start_year=2018, end_year=2022)
    supplier = SupplierFactory(region=region)
    return {
        "region": region,
        "group": group,
        "subsidiary": subsidiary,
        "roadmap": roadmap,
        "supplier": supplier,
    }


def amounts(series):
    return {y.year: y.amount for y in series.years}


def test_tomsk_growth_from_2014_to_2017_is_8_98():
    load_demo()
    tomsk_2014 = Roadmap.objects.get(region__code="RU-TOM", start_year=2014)
    tomsk_2018 = Roadmap.objects.get(region__code="RU-TOM", start_year=2018)
    series = roadmap_volume(tomsk_2014, until=2017)
    assert series.growth_factor == Decimal("8.98")
    assert (series.growth_from, series.growth_to) == (2014, 2017)
    assert amounts(series) == {2014: 150 * M, 2015: None, 2016: None, 2017: 1347 * M}
    # Both roadmaps of the series give the same series, 2014 to 2022.
    whole = roadmap_volume(tomsk_2018)
    assert [r.pk for r in whole.roadmaps] == [tomsk_2014.pk, tomsk_2018.pk]
    assert [y.year for y in whole.years] == list(range(2014, 2023))
    assert whole.year(2018).source == "contracts" and whole.year(2018).target == 1400 * M
    assert whole.year(2022).amount is None and whole.year(2022).target == 1800 * M
    assert format_money(1347 * M, "ru") == "1 347 000 000"
    assert format_ratio(series.growth_factor, "ru") == "8,98"


def test_subsidiary_contracts_count_for_the_parents_roadmap(setup):
    ContractFactory(
        supplier=setup["supplier"], customer=setup["group"], amount=10 * M, signed_on="2019-03-01"
    )
    ContractFactory(
        supplier=setup["supplier"],
        customer=setup["subsidiary"],
        amount=5 * M,
        signed_on="2019-12-31",
    )
    series = roadmap_volume(setup["roadmap"])
    assert series.year(2019).amount == 15 * M
    assert series.year(2019).source == "contracts"


def test_contracts_of_other_regions_and_other_groups_do_not_count(setup):
    other_region_supplier = SupplierFactory()
    other_group = CorporationFactory()
    ContractFactory(
        supplier=other_region_supplier,
        customer=setup["group"],
        amount=7 * M,
        signed_on="2020-05-01",
    )
    ContractFactory(
        supplier=setup["supplier"], customer=other_group, amount=9 * M, signed_on="2020-05-01"
    )
    ContractFactory(
        supplier=setup["supplier"],
        customer=CorporationFactory(parent=other_group),
        amount=11 * M,
        signed_on="2020-05-01",
    )
    ContractFactory(
        supplier=setup["supplier"], customer=setup["group"], amount=1 * M, signed_on="2020-05-01"
    )
    assert roadmap_volume(setup["roadmap"]).year(2020).amount == 1 * M


def test_contracts_between_pairs_leave_out_the_crossed_pairs(setup):
    """Pairs (A, G) and (B, H) do not take in contracts of A's suppliers with H."""
    other_region, other_group = RegionFactory(), CorporationFactory()
    other_supplier = SupplierFactory(region=other_region)
    wanted = [
        ContractFactory(supplier=setup["supplier"], customer=setup["subsidiary"], amount=M),
        ContractFactory(supplier=other_supplier, customer=other_group, amount=2 * M),
        ContractFactory(
            supplier=other_supplier, customer=CorporationFactory(parent=other_group), amount=M
        ),
    ]
    ContractFactory(supplier=setup["supplier"], customer=other_group, amount=4 * M)
    ContractFactory(supplier=other_supplier, customer=setup["group"], amount=8 * M)
    pairs = [(setup["region"].pk, setup["group"].pk), (other_region.pk, other_group.pk)]
    assert set(contracts_between(pairs)) == set(wanted)
    assert set(contracts_between(pairs[:1])) == {wanted[0]}
    assert not contracts_between([]).exists()


def test_contracts_count_over_a_reported_figure_of_the_same_year(setup):
    ReportedVolume.objects.create(
        roadmap=setup["roadmap"], year=2019, amount=100 * M, source="Regional ministry"
    )
    ReportedVolume.objects.create(
        roadmap=setup["roadmap"], year=2018, amount=80 * M, source="Regional ministry"
    )
    ContractFactory(
        supplier=setup["supplier"], customer=setup["group"], amount=3 * M, signed_on="2019-06-01"
    )
    series = roadmap_volume(setup["roadmap"])
    both = series.year(2019)
    assert (both.amount, both.source, both.reported, both.contracts) == (
        3 * M,
        "contracts",
        100 * M,
        3 * M,
    )
    assert both.both_known
    only_reported = series.year(2018)
    assert (only_reported.amount, only_reported.source) == (80 * M, "reported")
    assert only_reported.reported_source == "Regional ministry"


def test_a_year_without_data_is_null_not_zero(setup):
    RoadmapTargetFactory(roadmap=setup["roadmap"], year=2021, amount=50 * M)
    ContractFactory(
        supplier=setup["supplier"], customer=setup["group"], amount=0, signed_on="2020-01-10"
    )
    series = roadmap_volume(setup["roadmap"])
    assert series.year(2021).amount is None
    assert series.year(2021).source is None
    assert series.year(2021).fulfilment is None
    assert series.year(2021).target == 50 * M
    # A zero contract is data: zero, not missing.
    assert series.year(2020).amount == 0 and series.year(2020).source == "contracts"


def test_years_stop_at_the_current_year(setup):
    this_year = timezone.localdate().year
    roadmap = RoadmapFactory(start_year=this_year - 1, end_year=this_year + 5)
    assert [y.year for y in roadmap_volume(roadmap).years] == [this_year - 1, this_year]


def test_fulfilment_and_growth(setup):
    RoadmapTargetFactory(roadmap=setup["roadmap"], year=2018, amount=40 * M)
    ContractFactory(
        supplier=setup["supplier"], customer=setup["group"], amount=10 * M, signed_on="2018-02-01"
    )
    ContractFactory(
        supplier=setup["supplier"], customer=setup["group"], amount=25 * M, signed_on="2021-02-01"
    )
    series = roadmap_volume(setup["roadmap"])
    assert series.year(2018).fulfilment == Decimal("0.2500")
    assert series.growth_factor == Decimal("2.50")


def test_series_is_found_in_one_query_from_any_member():
    first = RoadmapFactory(start_year=2014, end_year=2017)
    second = RoadmapFactory(
        region=first.region, corporation=first.corporation, start_year=2018, previous=first
    )
    third = RoadmapFactory(
        region=first.region,
        corporation=first.corporation,
        start_year=2031,
        end_year=2035,
        previous=second,
    )
    RoadmapFactory(
        region=first.region, corporation=first.corporation, start_year=2040, end_year=2041
    )
    for member in (first, second, third):
        chain, queries = count_queries(roadmap_series, member)
        assert [r.pk for r in chain] == [first.pk, second.pk, third.pk]
        assert queries == 1


def test_series_follows_only_its_own_pair_and_stops_at_a_cycle():
    first = RoadmapFactory(start_year=2014, end_year=2017)
    second = RoadmapFactory(
        region=first.region, corporation=first.corporation, start_year=2018, previous=first
    )
    # Another group's roadmap of the same region follows the second: not part of the series.
    RoadmapFactory(region=first.region, start_year=2022, previous=second)
    assert [r.pk for r in roadmap_series(second)] == [first.pk, second.pk]
    # A malformed cycle (the older made to follow the newer) ends where it closes.
    older = RoadmapFactory(start_year=2014, end_year=2017)
    newer = RoadmapFactory(
        region=older.region, corporation=older.corporation, start_year=2018, previous=older
    )
    Roadmap.objects.filter(pk=older.pk).update(previous=newer)
    older.refresh_from_db()
    assert [r.pk for r in roadmap_series(older)] == [newer.pk, older.pk]
    assert [r.pk for r in roadmap_series(newer)] == [older.pk, newer.pk]


def test_volume_queries_do_not_grow_with_contracts(setup):
    def make(n):
        for i in range(n):
            ContractFactory(
                supplier=SupplierFactory(region=setup["region"]),
                customer=setup["subsidiary"] if i % 2 else setup["group"],
                amount=M,
                signed_on=datetime.date(2018 + i % 4, 3, 1),
            )

    assert_constant_queries(make, lambda: roadmap_volume(setup["roadmap"]))


# --- API ----------------------------------------------------------------------


@pytest.fixture
def people(setup):
    return {
        "staff": user_with_role("region_staff", region=setup["region"]),
        "other_staff": user_with_role("region_staff", region=RegionFactory()),
        "reviewer": user_with_role("reviewer", corporation=setup["group"]),
        "supplier": user_with_role("supplier", supplier=setup["supplier"]),
        "partner": user_with_role("partner"),
    }


def test_volume_api_scope_and_shape(setup, people, api, api_as):
    ContractFactory(
        supplier=setup["supplier"], customer=setup["subsidiary"], amount=M, signed_on="2019-01-01"
    )
    url = f"/api/v1/roadmaps/{setup['roadmap'].pk}/volume/"
    response = assert_scope(
        url=url,
        anonymous_client=api,
        wrong_role=api_as(people["supplier"]),
        out_of_scope=api_as(people["other_staff"]),
        allowed=api_as(people["staff"]),
    )
    body = response.json()
    year_2019 = next(y for y in body["years"] if y["year"] == 2019)
    assert year_2019 == {
        "year": 2019,
        "amount": "1000000.00",
        "target": None,
        "source": "contracts",
        "fulfilment": None,
        "contracts": "1000000.00",
        "reported": None,
        "reported_source": "",
    }
    assert next(y for y in body["years"] if y["year"] == 2018)["amount"] is None
    assert body["growth_factor"] is None
    assert api_as(people["reviewer"]).get(url).status_code == 200
    assert api_as(people["partner"]).get(url).status_code == 200


def test_volume_answer_is_the_serializers_and_its_etag_the_stamps(setup, people, api_as):
    """The series is written without building the serializer (``volume_data``) and a plain
    GET takes its ETag from the rows it read: the same bytes as VolumeSerializer, and an
    ETag that the stamps' own query (a conditional GET) confirms with a 304."""
    from roadmap_portal.insights.serializers import VolumeSerializer, volume_data

    roadmap = setup["roadmap"]
    earlier = RoadmapFactory(
        region=setup["region"], corporation=setup["group"], start_year=2014, end_year=2017
    )
    Roadmap.objects.filter(pk=roadmap.pk).update(previous=earlier)
    roadmap.refresh_from_db()
    # A roadmap of the pair outside the series: in the stamps, not in the answer.
    RoadmapFactory(region=setup["region"], corporation=setup["group"], start_year=2030)
    RoadmapTargetFactory(roadmap=roadmap, year=2019, amount=Decimal("3000000.50"))
    RoadmapTargetFactory(roadmap=earlier, year=2015, amount=2 * M)
    ReportedVolume.objects.create(
        roadmap=earlier, year=2015, amount=Decimal("1500000.25"), source="Regional ministry"
    )
    ContractFactory(
        supplier=setup["supplier"], customer=setup["subsidiary"], amount=M, signed_on="2019-05-01"
    )
    series = roadmap_volume(roadmap)
    assert volume_data(series) == VolumeSerializer(series).data
    assert series.growth_factor is not None

    staff = api_as(people["staff"])
    url = f"/api/v1/roadmaps/{roadmap.pk}/volume/"
    first = staff.get(url)
    # Asked again (the reader's scope is read once, with the first): the pair, its scope
    # checked in it, the series' other rows and the contracts' GROUP BY.
    _again, read = count_queries(staff.get, url)
    assert read == 3
    assert first.status_code == 200
    assert first.json() == VolumeSerializer(series).data
    again, queries = count_queries(staff.get, url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert queries == 1  # the stamps, the roadmap's scope checked in them
    # Another region's staff: the same as a missing roadmap, with or without the ETag.
    other = api_as(people["other_staff"])
    assert other.get(url).status_code == 404
    assert other.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 404
    assert other.get("/api/v1/roadmaps/abc/volume/").status_code == 404
    ReportedVolume.objects.filter(roadmap=earlier).update(amount=Decimal("1500000.26"))
    changed = staff.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_series_rows_read_in_one_statement_are_the_orms_rows(setup):
    """On PostgreSQL the targets, the reported figures and the contracts' latest change are
    read in one statement (``series_rows``): the same rows, fields and moment as the ORM's."""
    from django.db.models import Max

    from procurement.models import Contract
    from roadmap_portal.insights.volume import series_rows
    from roadmap_portal.models import RoadmapTarget

    roadmap = setup["roadmap"]
    other = RoadmapFactory(region=setup["region"], corporation=setup["group"], start_year=2030)
    RoadmapTargetFactory(roadmap=roadmap, year=2019, amount=Decimal("3000000.50"))
    RoadmapTargetFactory(roadmap=other, year=2030, amount=4 * M)
    ReportedVolume.objects.create(
        roadmap=roadmap, year=2018, amount=Decimal("1500000.25"), source="Regional ministry"
    )
    ContractFactory(supplier=setup["supplier"], customer=setup["group"], amount=M)
    ids = [roadmap.pk, other.pk]
    targets, reported, changed = series_rows(ids, using="default")

    def fields(rows, names):
        return sorted(tuple(getattr(row, name) for name in names) for row in rows)

    target_names = ["id", "roadmap_id", "year", "amount"]
    reported_names = [*target_names, "source", "entered_by_id", "created"]
    assert fields(targets, target_names) == fields(
        RoadmapTarget.objects.filter(roadmap_id__in=ids), target_names
    )
    assert len(targets) == 2
    assert fields(reported, reported_names) == fields(
        ReportedVolume.objects.filter(roadmap_id__in=ids), reported_names
    )
    assert len(reported) == 1
    assert changed == Contract.objects.aggregate(latest=Max("updated"))["latest"]
    assert changed is not None


def test_reported_volumes_api_scope_and_upsert(setup, people, api, api_as):
    url = f"/api/v1/roadmaps/{setup['roadmap'].pk}/reported-volumes/"
    data = {"year": 2019, "amount": "150000000.00", "source": "Regional ministry"}
    response = assert_scope(
        url=url,
        method="post",
        data=data,
        anonymous_client=api,
        wrong_role=api_as(people["reviewer"]),
        out_of_scope=api_as(people["other_staff"]),
        allowed=api_as(people["staff"]),
        allowed_status=201,
    )
    assert response.json() == data
    again = api_as(people["staff"]).post(url, {**data, "amount": "160000000"}, format="json")
    assert again.status_code == 200
    rows = ReportedVolume.objects.filter(roadmap=setup["roadmap"])
    assert [(r.year, r.amount, r.entered_by_id) for r in rows] == [
        (2019, 160 * M, people["staff"].pk)
    ]
    assert api_as(people["supplier"]).post(url, data, format="json").status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"year": 2010, "amount": "1", "source": "x"}, "year"),
        ({"year": 2040, "amount": "1", "source": "x"}, "year"),
        ({"year": 2019, "amount": "-1", "source": "x"}, "amount"),
        ({"year": 2019, "amount": "1", "source": ""}, "source"),
    ],
)
def test_reported_volume_rejects_bad_years_and_amounts(setup, people, api_as, payload, field):
    url = f"/api/v1/roadmaps/{setup['roadmap'].pk}/reported-volumes/"
    response = api_as(people["staff"]).post(url, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ReportedVolume.objects.exists()


def test_reported_volume_for_an_earlier_roadmap_of_the_series(setup, people, api_as):
    earlier = RoadmapFactory(
        region=setup["region"], corporation=setup["group"], start_year=2014, end_year=2017
    )
    Roadmap.objects.filter(pk=setup["roadmap"].pk).update(previous=earlier)
    url = f"/api/v1/roadmaps/{setup['roadmap'].pk}/reported-volumes/"
    response = api_as(people["staff"]).post(
        url, {"year": 2014, "amount": "150000000", "source": "Annual review"}, format="json"
    )
    assert response.status_code == 201
    assert ReportedVolume.objects.get().roadmap_id == earlier.pk
    assert roadmap_volume(setup["roadmap"]).year(2014).amount == 150 * M


def test_totals_of_one_pair_equal_its_share_of_several(setup):
    """One pair's totals are grouped by year alone; they must be that pair's part of the
    totals grouped by pair, crossed contracts left out either way."""
    other_region, other_group = RegionFactory(), CorporationFactory()
    other_supplier = SupplierFactory(region=other_region)
    for supplier, customer, amount, day in [
        (setup["supplier"], setup["group"], 3 * M, "2019-03-01"),
        (setup["supplier"], setup["subsidiary"], 5 * M, "2019-11-30"),
        (setup["supplier"], setup["subsidiary"], 7 * M, "2021-01-01"),
        (setup["supplier"], other_group, 11 * M, "2019-05-01"),
        (other_supplier, setup["group"], 13 * M, "2019-05-01"),
        (other_supplier, other_group, 17 * M, "2020-05-01"),
        (setup["supplier"], setup["group"], 19 * M, "2023-05-01"),
        # The years' first and last days count; the day before does not.
        (setup["supplier"], setup["group"], 23 * M, "2018-01-01"),
        (setup["supplier"], setup["subsidiary"], 29 * M, "2022-12-31"),
        (setup["supplier"], setup["group"], 31 * M, "2017-12-31"),
    ]:
        ContractFactory(supplier=supplier, customer=customer, amount=amount, signed_on=day)
    pair = (setup["region"].pk, setup["group"].pk)
    both = contract_totals(
        [pair, (other_region.pk, other_group.pk)], first_year=2018, last_year=2022
    )
    alone = contract_totals([pair], first_year=2018, last_year=2022)
    # On PostgreSQL one pair's totals come from the statement written once per process
    # (volume._one_pair_sql); several pairs' from the ORM's: the same figures.
    assert alone == {
        (*pair, 2018): 23 * M,
        (*pair, 2019): 8 * M,
        (*pair, 2021): 7 * M,
        (*pair, 2022): 29 * M,
    }
    assert alone == {key: total for key, total in both.items() if key[:2] == pair}
    assert both[(other_region.pk, other_group.pk, 2020)] == 17 * M


def test_a_later_volume_get_reads_the_pair_by_its_kept_statement(setup, people, api_as):
    from unittest import mock

    from roadmap_portal.insights.api_views import RoadmapViewSet, pairs

    pairs.clear()
    roadmap = setup["roadmap"]
    url = f"/api/v1/roadmaps/{roadmap.pk}/volume/"
    staff = api_as(people["staff"])
    first = staff.get(url).json()
    assert len(pairs.kept) == 1
    ReportedVolume.objects.create(roadmap=roadmap, year=2019, amount=M, source="Ministry")
    with mock.patch.object(RoadmapViewSet, "get_queryset", side_effect=AssertionError("built")):
        again = staff.get(url)
    assert again.status_code == 200
    year = next(y for y in again.json()["years"] if y["year"] == 2019)
    assert year["reported"] == "1000000.00" and again.json() != first
    assert again.json() == api_as(people["reviewer"]).get(url).json()
    # Each reader's own statement: outside the scope the roadmap is still missing.
    assert api_as(people["other_staff"]).get(url).status_code == 404
    assert len(pairs.kept) == 3
