"""seed_scale: a tiny scale on the test database is complete and consistent."""

import io
import os
import subprocess
import sys
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from certification.models import Certificate, RegisterEntry
from certification.services import certificate_problem
from procurement.eligibility import evaluate_many
from procurement.models import Contract, Tender
from roadmap_portal import okpd2
from roadmap_portal.demo.management.commands.seed_scale import SCALES
from roadmap_portal.models import CertificationBody, Corporation, Demand, Region, Roadmap
from suppliers import pipeline
from suppliers.models import Offer, OfferTransition, Supplier
from suppliers.validators import validate_inn, validate_ogrn
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db
TINY = SCALES["tiny"]


def seed(*args):
    out = io.StringIO()
    call_command("seed_scale", "--scale", "tiny", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded():
    return seed()


def test_counts_per_table(seeded):
    assert "Scale tiny generated in" in seeded
    assert Region.objects.count() == TINY.regions
    assert Corporation.objects.filter(parent__isnull=True).count() == TINY.groups
    assert Corporation.objects.filter(parent__isnull=False).count() == TINY.subsidiaries
    assert CertificationBody.objects.count() == TINY.bodies
    assert Supplier.objects.count() == TINY.suppliers
    assert Offer.objects.count() == TINY.offers
    assert Tender.objects.count() == TINY.tenders
    assert Contract.objects.count() == TINY.contracts
    assert Demand.objects.count() == TINY.demands
    current = TINY.regions * TINY.roadmaps_per_region
    assert Roadmap.objects.filter(start_year=2021).count() == current
    assert Roadmap.objects.filter(status="active").exists()
    assert Roadmap.objects.filter(status="completed", next__isnull=False).exists()
    statuses = set(Offer.objects.values_list("status", flat=True))
    assert {"draft", "submitted", "forwarded", "rejected", "registered", "excluded"} <= statuses
    assert RegisterEntry.objects.exists() and Certificate.objects.exists()
    assert set(Tender.objects.values_list("status", flat=True)) >= {"open", "awarded"}


def test_every_history_follows_the_pipeline_and_ends_in_the_status(seeded):
    history = defaultdict(list)
    for t in OfferTransition.objects.order_by("offer_id", "created", "id"):
        history[t.offer_id].append(t)
    checked = 0
    for offer in Offer.objects.all():
        steps = history.get(offer.pk, [])
        state = "draft"
        for step in steps:
            allowed = pipeline.find(step.action, step.from_status)
            assert step.from_status == state, (offer.pk, step.action)
            assert allowed is not None and allowed.target == step.to_status, (offer.pk, step)
            assert step.created <= timezone.now()
            state = step.to_status
        assert state == offer.status, (offer.pk, [s.action for s in steps], offer.status)
        if steps:
            assert offer.status_changed == steps[-1].created
            checked += 1
    assert checked > TINY.offers // 2


def test_registered_offers_are_in_the_register_with_valid_certificates(seeded):
    today = timezone.localdate()
    registered = Offer.objects.filter(status="registered").select_related("roadmap__corporation")
    assert registered.exists()
    for offer in registered:
        active = offer.register_entries.filter(excluded_on__isnull=True)
        assert active.count() == 1, offer.pk
        entry = active.get()
        assert entry.corporation_id == offer.roadmap.corporation_id
        assert (entry.supplier_id, entry.okpd2) == (offer.supplier_id, offer.okpd2)
        if offer.roadmap.corporation.required_body_id:
            assert entry.certificate is not None, offer.pk
            assert certificate_problem(entry.certificate, offer, on=today) is None, offer.pk
        else:
            assert entry.certificate is None
    certified_entries = RegisterEntry.objects.filter(
        excluded_on__isnull=True, corporation__required_body__isnull=False
    )
    assert certified_entries.exists()
    for offer in Offer.objects.filter(status="excluded"):
        entries = list(offer.register_entries.all())
        assert entries and all(e.excluded_on for e in entries), offer.pk
    for offer in Offer.objects.exclude(status__in=["registered", "excluded"]):
        assert not offer.register_entries.exists(), offer.pk
    numbers = list(RegisterEntry.objects.values_list("corporation_id", "number"))
    assert len(numbers) == len(set(numbers))


def test_identifiers_are_valid_and_unique(seeded):
    inns = list(Supplier.objects.values_list("inn", flat=True))
    assert len(inns) == len(set(inns))
    for inn in inns + list(Corporation.objects.values_list("inn", flat=True)):
        validate_inn(inn)
    corporation_inns = list(Corporation.objects.values_list("inn", flat=True))
    assert len(corporation_inns) == len(set(corporation_inns))
    for ogrn in Supplier.objects.values_list("ogrn", flat=True):
        validate_ogrn(ogrn)
    for code in Offer.objects.values_list("okpd2", flat=True):
        okpd2.validate(code)
    for categories in Tender.objects.values_list("categories", flat=True):
        assert categories
        for code in categories:
            okpd2.validate(code)


def test_offers_and_contracts_stay_inside_roadmaps(seeded):
    links = set(Roadmap.objects.values_list("region_id", "corporation_id"))
    for offer in Offer.objects.select_related("supplier", "roadmap"):
        assert offer.roadmap.region_id == offer.supplier.region_id
        if offer.status not in ("draft", "submitted", "withdrawn"):
            assert offer.supplier.verification_status == "verified", offer.pk
    groups = dict(Corporation.objects.values_list("id", "parent_id"))
    for contract in Contract.objects.select_related("supplier", "tender"):
        group = groups[contract.customer_id] or contract.customer_id
        assert (contract.supplier.region_id, group) in links, contract.pk
        assert contract.signed_on <= timezone.localdate()
        if contract.tender_id:
            assert contract.tender.customer_id == contract.customer_id
            assert contract.tender.status == "awarded"


def test_some_supplier_is_eligible_for_an_open_tender(seeded):
    tenders = list(Tender.objects.filter(status="open").select_related("customer"))
    results = evaluate_many(tenders=tenders, suppliers=Supplier.objects.all())
    assert any(result.eligible for result in results.values())


def test_refuses_seeded_database_without_reset(seeded):
    with pytest.raises(CommandError, match="--reset"):
        seed()
    assert Offer.objects.count() == TINY.offers
    users = get_user_model().objects.filter(username__startswith="scale-").count()
    seed("--reset")
    assert Offer.objects.count() == TINY.offers
    assert Supplier.objects.count() == TINY.suppliers
    assert get_user_model().objects.filter(username__startswith="scale-").count() == users
    # Sequences continue after the generated ids.
    region = Region.objects.create(code="RU-ZZZ", name="Test")
    assert region.pk == TINY.regions + 1


def test_refuses_sqlite(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "manage.py", "seed_scale", "--scale", "tiny"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "needs PostgreSQL" in result.stderr
