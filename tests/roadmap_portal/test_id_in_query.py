"""``IdInQuery``: a scope named by the ids of a query run once, ``= ANY(ARRAY(query))`` on
PostgreSQL, holding exactly the rows ``IN (query)`` holds."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from roadmap_portal.expressions import IdInQuery
from roadmap_portal.models import Roadmap
from suppliers.models import Offer
from suppliers.selectors import offers_visible_to
from tests.factories import CorporationFactory, OfferFactory, RoadmapFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_the_ids_of_a_query_hold_the_rows_the_subquery_holds():
    group = CorporationFactory()
    mine = [OfferFactory(roadmap=RoadmapFactory(corporation=group)) for _ in range(3)]
    OfferFactory(roadmap=RoadmapFactory())
    roadmaps = Roadmap.objects.filter(corporation=group).values("pk")
    with CaptureQueriesContext(connection) as queries:
        found = set(Offer.objects.filter(Q(IdInQuery("roadmap_id", roadmaps))))
    assert found == set(mine) == set(Offer.objects.filter(roadmap_id__in=roadmaps))
    assert len(queries) == 1
    assert '"suppliers_offer"."roadmap_id" = ANY(ARRAY(SELECT' in queries[0]["sql"]


def test_no_row_of_an_empty_query():
    OfferFactory()
    assert not Offer.objects.filter(Q(IdInQuery("roadmap_id", Roadmap.objects.none().values("pk"))))


def test_a_reviewers_offers_are_named_through_the_groups_roadmaps_without_a_join():
    group = CorporationFactory()
    offer = OfferFactory(roadmap=RoadmapFactory(corporation=group), status="forwarded")
    OfferFactory(roadmap=RoadmapFactory(), status="forwarded")
    reviewer = user_with_role("reviewer", corporation=group)
    qs = offers_visible_to(reviewer).select_related(None)
    assert list(qs) == [offer]
    sql = str(qs.query)
    assert "= ANY(ARRAY(SELECT" in sql
    assert 'JOIN "roadmap_portal_roadmap"' not in sql
