"""New rows in one COPY (roadmap_portal.db.copy): the values arrive as written, defaults
fill the rest, the ids come back in order, and a bad row leaves nothing behind."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from roadmap_portal.db.copy import copy_insert
from suppliers.models import Offer
from tests.factories import RoadmapFactory, SupplierFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_values_defaults_and_ids_come_back_as_written():
    supplier, roadmap = SupplierFactory(), RoadmapFactory()
    tricky = "tab\there, new\nline, cr\rreturn, back\\slash \\N and «кириллица»"
    rows = [
        {
            "supplier": supplier,
            "roadmap_id": roadmap.pk,
            "name": tricky,
            "description": "",
            "okpd2": "27.11.22.000",
            "import_substitution": True,
            "capacity_per_year": Decimal("1250.50"),
            "unit_price": None,
        },
        {"supplier_id": supplier.pk, "roadmap_id": roadmap.pk, "name": "Plain", "okpd2": "28.1"},
    ]
    before = datetime.datetime.now(datetime.UTC)
    with transaction.atomic():
        ids = copy_insert(Offer, rows)
    assert ids == sorted(ids) and len(set(ids)) == 2
    first, second = Offer.objects.get(pk=ids[0]), Offer.objects.get(pk=ids[1])
    assert first.name == tricky and first.description == ""
    assert first.import_substitution is True and first.unit_price is None
    assert first.capacity_per_year == Decimal("1250.50")
    assert (second.name, second.okpd2, second.status) == ("Plain", "28.1", "draft")
    assert second.import_substitution is False and second.replaces == ""
    assert second.created == second.updated == second.status_changed
    assert second.created >= before
    # The sequence moved past them: the next row gets the next id.
    assert (
        Offer.objects.create(supplier=supplier, roadmap=roadmap, name="Next", okpd2="28").pk
        > ids[1]
    )


def test_a_bad_row_leaves_none_of_them():
    supplier, roadmap = SupplierFactory(), RoadmapFactory()
    rows = [
        {"supplier_id": supplier.pk, "roadmap_id": roadmap.pk, "name": "Good", "okpd2": "28"},
        {
            "supplier_id": supplier.pk + 10_000,
            "roadmap_id": roadmap.pk,
            "name": "Bad",
            "okpd2": "28",
        },
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        copy_insert(Offer, rows)
    assert not Offer.objects.filter(name__in=["Good", "Bad"]).exists()
    assert copy_insert(Offer, []) == []
