"""Search (roadmap_portal/search/selectors.py): scope, Russian stemming, typos, code prefixes, ranking,
highlighting, bounded queries, bad queries; the page, the API, and import substitution."""

import dataclasses
import json

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from roadmap_portal.search import selectors as search
from roadmap_portal.search.selectors import SearchQueryError, search_visible_to, substitutes_for
from tests.factories import (
    CertificateFactory,
    CorporationFactory,
    DemandFactory,
    OfferFactory,
    RegionFactory,
    RoadmapFactory,
    SupplierFactory,
    TenderFactory,
    admin_user,
    user_with_role,
)
from tests.helpers import assert_constant_queries, count_queries

pytestmark = pytest.mark.django_db


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def found(groups, kind):
    """The ids found of ``kind``, in their rank order."""
    return [hit.id for group in groups if group.kind == kind for hit in group.hits]


@pytest.fixture
def world(db):
    region = RegionFactory(name="Томская область")
    group = CorporationFactory()
    roadmap = RoadmapFactory(region=region, corporation=group)
    pumps = SupplierFactory(name="ООО «Сибирские насосы»", region=region)
    valves = SupplierFactory(name="АО «Томские задвижки»", region=region)
    pump = OfferFactory(
        supplier=pumps,
        roadmap=roadmap,
        name="Насос центробежный консольный",
        description="Для перекачки воды",
        okpd2="28.13.14.110",
        replaces="Grundfos NB",
        status="submitted",
    )
    valve = OfferFactory(
        supplier=valves,
        roadmap=roadmap,
        name="Задвижка клиновая стальная",
        description="Для трубопроводов, в том числе насосных станций",
        okpd2="28.14.13.131",
        status="forwarded",
    )
    draft = OfferFactory(
        supplier=valves,
        roadmap=roadmap,
        name="Насос вихревой секретный",
        okpd2="28.13.14.120",
        status="draft",
    )
    return {
        "region": region,
        "group": group,
        "roadmap": roadmap,
        "pumps": pumps,
        "valves": valves,
        "pump": pump,
        "valve": valve,
        "draft": draft,
        "admin": admin_user("search-root"),
        "pumps_member": user_with_role("supplier", supplier=pumps),
        "valves_member": user_with_role("supplier", supplier=valves),
        "staff": user_with_role("region_staff", region=region),
        "reviewer": user_with_role("reviewer", corporation=group),
        "other_reviewer": user_with_role("reviewer", corporation=CorporationFactory()),
    }


# --- the engine -------------------------------------------------------------------------


def test_a_supplier_never_finds_another_suppliers_drafts(world):
    pumps_sees = found(search_visible_to(world["pumps_member"], "насос"), "offers")
    assert pumps_sees == [world["pump"].pk]
    valves_sees = found(search_visible_to(world["valves_member"], "насос"), "offers")
    assert world["draft"].pk in valves_sees and world["pump"].pk not in valves_sees
    staff_sees = found(search_visible_to(world["staff"], "насос"), "offers")
    assert world["draft"].pk not in staff_sees
    # Nor another supplier as an organisation.
    assert found(search_visible_to(world["pumps_member"], "задвижки"), "suppliers") == []


def test_an_inflected_russian_form_finds_the_base_word(world):
    groups = search_visible_to(world["staff"], "насосами")
    assert found(groups, "offers")[0] == world["pump"].pk
    assert found(groups, "suppliers") == [world["pumps"].pk]


def test_a_typo_finds_the_row(world):
    assert found(search_visible_to(world["staff"], "нассос центробежный"), "offers") == [
        world["pump"].pk
    ]
    assert found(search_visible_to(world["staff"], "задвижга"), "offers") == [world["valve"].pk]


def test_a_partial_inn_ogrn_or_okpd2_finds_the_row(world):
    # The factories' INNs and OGRNs differ in their last digits only.
    inn = world["pumps"].inn
    assert found(search_visible_to(world["admin"], inn[:9]), "suppliers") == [world["pumps"].pk]
    assert len(found(search_visible_to(world["admin"], inn[:6]), "suppliers")) == 2
    ogrn = world["valves"].ogrn
    assert found(search_visible_to(world["admin"], ogrn[:12]), "suppliers") == [world["valves"].pk]
    by_class = found(search_visible_to(world["staff"], "28.13"), "offers")
    assert by_class == [world["pump"].pk]


def test_a_part_of_a_certificate_or_tender_number_finds_it(world):
    certificate = CertificateFactory(number="РОСС RU.АЯ46.Н12345", supplier=world["pumps"])
    tender = TenderFactory(number="ТМ-2026-0042", customer=world["group"])
    assert found(search_visible_to(world["admin"], "Н1234"), "certificates") == [certificate.pk]
    assert found(search_visible_to(world["admin"], "2026-004"), "tenders") == [tender.pk]


def test_the_name_ranks_above_a_mention_in_the_description(world):
    # «насос» is in the pump's name and only in the valve's description («насосных»).
    assert found(search_visible_to(world["staff"], "насос"), "offers") == [
        world["pump"].pk,
        world["valve"].pk,
    ]


def test_matched_words_are_marked_and_user_text_escaped(world):
    world["pump"].name = "<script>alert(1)</script> Насос «Б&М»"
    world["pump"].save()
    (group,) = [g for g in search_visible_to(world["staff"], "насосы") if g.kind == "offers"]
    title = str(group.hits[0].title)
    assert title == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Насос</mark> «Б&amp;М»"
    code = str(
        [g for g in search_visible_to(world["staff"], "28.13") if g.kind == "offers"][0]
        .hits[0]
        .subtitle
    )
    assert code.startswith("<mark>28.13</mark>.14.110 · ")


def test_each_group_counts_all_its_matches_and_shows_the_first(world):
    for n in range(7):
        OfferFactory(
            supplier=world["pumps"], roadmap=world["roadmap"], name=f"Насос {n}", status="tested"
        )
    (offers,) = [g for g in search_visible_to(world["admin"], "насос") if g.kind == "offers"]
    assert (offers.count, len(offers.hits)) == (10, 5)
    assert offers.more_url == "/suppliers/offers/?search=%D0%BD%D0%B0%D1%81%D0%BE%D1%81"
    client = Client()
    client.force_login(world["admin"])
    html = client.get("/search/", {"q": "насос"}).content.decode()
    assert 'href="?q=%D0%BD%D0%B0%D1%81%D0%BE%D1%81&amp;kind=offers"' in html
    assert 'href="/suppliers/offers/?search=%D0%BD%D0%B0%D1%81%D0%BE%D1%81"' in html
    one_kind = client.get("/search/", {"q": "насос", "kind": "offers"}).content.decode()
    assert one_kind.count('class="list-group-item search-hit"') == 10


@pytest.mark.parametrize(
    "query, message",
    [
        ("", "Type at least 2 characters to search."),
        ("  я ", "Type at least 2 characters to search."),
        ("я" * 101, "A search query is at most 100 characters; this one has 101."),
    ],
)
def test_an_empty_or_too_long_query_is_refused_with_a_reason(world, query, message):
    with pytest.raises(SearchQueryError) as exc:
        search_visible_to(world["admin"], query)
    assert str(exc.value) == message


def test_the_indexes_serve_the_matches(world):
    """With sequential scans priced out, the planner reaches the rows through the search
    indexes of the migrations (the query's expressions are the indexes')."""
    from roadmap_portal.search.selectors import KINDS_BY_KEY, _matching

    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for kind, query in (("offers", "насос"), ("suppliers", "54010"), ("demands", "28.1")):
            qs = _matching(KINDS_BY_KEY[kind], world["admin"], query)
            plans[kind] = qs.order_by().explain()
    assert "offer_search_document" in plans["offers"]
    assert "offer_name_trgm" in plans["offers"]
    # The INN's prefix goes through the unique INN's own index (Django's ``_like`` one, with
    # varchar_pattern_ops), which a second index on the same column would only repeat.
    assert "Index Cond: (((inn)::text ~>=~ '54010'::text)" in plans["suppliers"]
    assert "supplier_ogrn_prefix" in plans["suppliers"]
    assert "demand_category_prefix" in plans["demands"]


def test_a_reader_without_a_role_finds_nothing(world):
    from tests.factories import UserFactory

    groups = search_visible_to(UserFactory(username="no-role"), "насос")
    assert [(g.kind, g.count, g.hits) for g in groups] == [
        (kind, 0, [])
        for kind in ("offers", "suppliers", "tenders", "demands", "register", "certificates")
    ]


def test_typos_are_looked_for_only_below_the_candidates(world, monkeypatch):

    gate = OfferFactory(
        supplier=world["valves"],
        roadmap=world["roadmap"],
        name="Задвижка шиберная",
        status="tested",
    )
    typo = OfferFactory(
        supplier=world["valves"], roadmap=world["roadmap"], name="Задвижга ручная", status="tested"
    )
    monkeypatch.setattr(search, "CANDIDATES", 3)
    below = found(search_visible_to(world["admin"], "задвижка"), "offers")
    assert sorted(below) == sorted([world["valve"].pk, gate.pk, typo.pk])
    monkeypatch.setattr(search, "CANDIDATES", 2)
    full = found(search_visible_to(world["admin"], "задвижка"), "offers")
    assert sorted(full) == sorted([world["valve"].pk, gate.pk])


# --- the page ---------------------------------------------------------------------------


def test_the_page_groups_and_links_the_results(world):
    client = Client()
    client.force_login(world["staff"])
    response = client.get("/search/", {"q": "насосами"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind="offers"' in html and 'data-kind="suppliers"' in html
    assert f'href="/suppliers/offers/{world["pump"].pk}/"' in html
    assert "<mark>Насос</mark> центробежный" in html
    assert "секретный" not in html
    # Staff see two offers with «насос» (the draft is not theirs to see): all on the page.
    assert "kind=offers" not in html


def test_the_page_says_what_is_wrong_with_the_query(world):
    client = Client()
    client.force_login(world["staff"])
    html = client.get("/search/", {"q": " "}).content.decode()
    assert "Type at least 2 characters to search." in html
    assert 'aria-invalid="true"' in html


def test_the_page_asks_to_sign_in(world):
    response = Client().get("/search/", {"q": "насос"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_query_count_does_not_grow_with_matches(world):
    client = Client()
    client.force_login(world["admin"])

    def make_rows(n):
        for i in range(n):
            supplier = SupplierFactory(name=f"Насосный завод {i}", region=world["region"])
            OfferFactory(supplier=supplier, roadmap=world["roadmap"], name=f"Насос {i}")
            DemandFactory(title=f"Насосы {i}", customer=world["group"])

    queries = assert_constant_queries(make_rows, lambda: client.get("/search/", {"q": "насос"}))
    assert queries <= 12


@pytest.fixture
def scopes_built(monkeypatch):
    """The keys of the kinds whose scope (their selector) a search built, in order."""
    calls = []

    def counted(kind):
        def visible(user):
            calls.append(kind.key)
            return kind.visible(user)

        return dataclasses.replace(kind, visible=visible)

    monkeypatch.setattr(search, "KINDS", tuple(counted(kind) for kind in search.KINDS))
    return calls


def test_a_grouped_search_builds_each_kinds_scope_once(world, scopes_built):
    calls = scopes_built
    groups = search_visible_to(world["staff"], "насос")
    # The pump by its name, the valve by its description ("насосных станций").
    assert found(groups, "offers") == [world["pump"].pk, world["valve"].pk]
    assert sorted(calls) == sorted(kind.key for kind in search.KINDS)


def test_a_region_staff_grouped_search_ranks_in_one_query_and_reads_each_kinds_rows_in_one(
    world,
):
    groups, queries = count_queries(search_visible_to, world["staff"], "насос")
    # The offers (the pump, the valve) and the suppliers ("Сибирские насосы") have rows.
    assert [(g.kind, g.count) for g in groups if g.count] == [("offers", 2), ("suppliers", 1)]
    # The reader's profile (the scope, read once for all six kinds), the one query that ranks
    # and counts every kind, and the rows shown of each of the two kinds with rows.
    assert queries == 4


def test_a_code_search_runs_the_ranking_kept_for_its_reader_and_kinds(world, scopes_built):
    search._code_rankings.clear()
    built = scopes_built
    inn, ogrn = world["pumps"].inn, world["valves"].ogrn
    codes = (inn[:9], inn[:6], ogrn[:12], "28.13", "99999")
    for user in (world["admin"], world["staff"], world["pumps_member"], world["reviewer"]):
        kept = []
        for code in codes:
            groups = search_visible_to(user, code)
            kept.append([(g.kind, g.count, [h.id for h in g.hits]) for g in groups])
        # The reader's first code built the six kinds' scopes; the other codes none.
        assert len(built) == len(search.KINDS)
        built.clear()
        written = []
        for code in codes:
            search._code_rankings.clear()
            groups = search_visible_to(user, code)
            written.append([(g.kind, g.count, [h.id for h in g.hits]) for g in groups])
            # The kept statement, its code put in, is the statement written for the code.
            ranking = search._ranking_of(search.KINDS, user, code, search.GROUP_SIZE)
            kept_ranking = search._ranking(search.KINDS, user, code, search.GROUP_SIZE)
            assert kept_ranking.code == search._ANY_CODE
            params = tuple(
                p.replace(kept_ranking.code, code) if isinstance(p, str) else p
                for p in kept_ranking.params
            )
            assert (kept_ranking.sql, params) == (ranking.sql, ranking.params)
        built.clear()
        assert kept == written
    assert found(search_visible_to(world["staff"], inn[:9]), "suppliers") == [world["pumps"].pk]
    assert found(search_visible_to(world["pumps_member"], "28.13"), "offers") == [world["pump"].pk]
    # Another supplier: its own draft of the class, not the first supplier's offer.
    assert found(search_visible_to(world["valves_member"], "28.13"), "offers") == [
        world["draft"].pk
    ]


def test_a_word_search_is_written_each_time(world):
    search._code_rankings.clear()
    search_visible_to(world["staff"], "насос")
    search_visible_to(world["staff"], "задвижка")
    assert search._code_rankings.kept == {}


# --- the API ---------------------------------------------------------------------------


def test_the_api_answers_grouped_ranked_results_in_scope(world):
    assert APIClient().get("/api/v1/search/", {"q": "насос"}).status_code == 401
    response = api_as(world["pumps_member"]).get("/api/v1/search/", {"q": "насос"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "насос"
    offers = next(g for g in body["groups"] if g["kind"] == "offers")
    assert [r["id"] for r in offers["results"]] == [world["pump"].pk]
    assert offers["count"] == 1
    assert offers["results"][0]["title"] == "<mark>Насос</mark> центробежный консольный"
    assert offers["results"][0]["url"] == f"/suppliers/offers/{world['pump'].pk}/"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_api_answer_is_the_serializers_output(world, language):
    from django.utils import translation

    from roadmap_portal.search.api_views import SearchResultSerializer, search_data

    with translation.override(language):
        groups = search_visible_to(world["admin"], "насос")
        groups[0].capped = True
        groups.append(dataclasses.replace(groups[-1], hits=[], count=0, more_url=""))
        written = search_data("насос", groups)
        expected = SearchResultSerializer({"query": "насос", "groups": groups}).data
    assert sum(len(g["results"]) for g in written["groups"]) >= 2
    assert json.dumps(written, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)


def test_the_api_searches_one_kind(world):
    body = api_as(world["admin"]).get("/api/v1/search/", {"q": "насос", "kind": "suppliers"})
    assert [g["kind"] for g in body.json()["groups"]] == ["suppliers"]


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({}, "q", "This field is required."),
        ({"q": "я"}, "q", "Type at least 2 characters to search."),
        ({"q": "я" * 101}, "q", "Ensure this field has no more than 100 characters."),
        ({"q": "насос", "kind": "bids"}, "kind", '"bids" is not a valid choice.'),
    ],
)
def test_the_api_names_the_bad_parameter(world, params, field, message):
    response = api_as(world["admin"]).get("/api/v1/search/", params)
    assert response.status_code == 400
    assert response.json()[field] == [message]


# --- import substitution -----------------------------------------------------------------


@pytest.fixture
def demand(world):
    return DemandFactory(
        customer=world["group"],
        title="Насосы для водоснабжения",
        category="28.13.1",
        replaces="KSB Etanorm",
    )


def test_substitutes_rank_the_class_and_the_text_within_scope(world, demand):
    other_region = SupplierFactory(name="Чужие насосы", region=RegionFactory())
    OfferFactory(
        supplier=other_region, name="Насос центробежный", okpd2="28.13.14.110", status="registered"
    )
    station = OfferFactory(
        supplier=world["valves"],
        roadmap=world["roadmap"],
        name="Станция водоснабжения модульная",
        okpd2="42.21.13.000",
        status="tested",
    )
    items = substitutes_for(demand, world["staff"])
    # The pump: of the class and similar by name; the station: similar by text only; the
    # valve (another class, no shared word) and the other region's pump are not suggested.
    assert [i.offer.pk for i in items] == [world["pump"].pk, station.pk]
    assert (items[0].same_class, items[0].text_match) == (True, True)
    assert (items[1].same_class, items[1].text_match) == (False, True)
    # Drafts never replace anything, even for their own supplier.
    assert [i.offer.pk for i in substitutes_for(demand, world["valves_member"])] == [station.pk]


def test_the_demand_page_suggests_offers_and_suppliers(world, demand):
    client = Client()
    client.force_login(world["staff"])
    response = client.get(f"/procurement/demands/{demand.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-offer="{world["pump"].pk}"' in html
    assert f'data-supplier="{world["pumps"].pk}"' in html
    assert "секретный" not in html
    outsider = Client()
    outsider.force_login(world["other_reviewer"])
    assert outsider.get(f"/procurement/demands/{demand.pk}/").status_code == 404


def test_the_substitutes_api_is_scoped(world, demand):
    url = f"/api/v1/demands/{demand.pk}/substitutes/"
    assert APIClient().get(url).status_code == 401
    assert api_as(world["other_reviewer"]).get(url).status_code == 404
    response = api_as(world["staff"]).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["demand"] == demand.pk
    assert [o["id"] for o in body["offers"]] == [world["pump"].pk]
    assert [s["id"] for s in body["suppliers"]] == [world["pumps"].pk]
    assert body["suppliers"][0]["offers"] == [world["pump"].pk]


def test_the_substitutes_query_count_does_not_grow_with_candidates(world, demand):
    """The demand page and the substitutes API read the candidates, their suppliers and
    regions in a fixed number of queries, however many offers could replace the item."""
    client = Client()
    client.force_login(world["staff"])
    api = api_as(world["staff"])

    def make_rows(n):
        for i in range(n):
            supplier = SupplierFactory(name=f"Насосный завод {i}", region=world["region"])
            OfferFactory(
                supplier=supplier,
                roadmap=world["roadmap"],
                name=f"Насос водоснабжения {i}",
                okpd2="28.13.14.110",
                status="tested",
            )

    def counts():
        _, by_api = count_queries(api.get, f"/api/v1/demands/{demand.pk}/substitutes/")
        _, by_page = count_queries(client.get, f"/procurement/demands/{demand.pk}/")
        return by_api, by_page

    counts()  # the first requests also fill the process's caches (content types, sessions)
    make_rows(1)
    one = counts()
    make_rows(49)
    assert counts() == one
    assert one[0] <= 3 and one[1] <= 12


def test_a_common_word_ranks_and_counts_the_first_candidates_only(world, monkeypatch):

    monkeypatch.setattr(search, "CANDIDATES", 3)
    for n in range(4):
        OfferFactory(
            supplier=world["pumps"], roadmap=world["roadmap"], name=f"Насос {n}", status="tested"
        )
    (offers,) = [g for g in search_visible_to(world["staff"], "насос") if g.kind == "offers"]
    assert (offers.count, offers.capped, len(offers.hits)) == (3, True, 3)
    body = api_as(world["staff"]).get("/api/v1/search/", {"q": "насос", "kind": "offers"}).json()
    assert (body["groups"][0]["count"], body["groups"][0]["capped"]) == (3, True)
