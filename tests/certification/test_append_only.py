"""The record cannot be rewritten: the offer history, the stage records, the register and
the certificates' events are written by the pipeline, shown read-only in the admin, and
PostgreSQL itself refuses an UPDATE or DELETE of their rows."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.db import InternalError, connection, transaction
from django.db.models import Model, ProtectedError
from django.urls import reverse
from django.utils import timezone

from certification.models import (
    Certificate,
    CertificateEvent,
    ProductTest,
    ReadinessEvaluation,
    RegisterEntry,
    RegisterEntryEvent,
    RequirementCheck,
)
from certification.services import certificate_issue, certificate_renew, certificate_set_status
from roadmap_portal.conversations.models import Message, MessageAttachment
from suppliers.models import Offer, OfferTransition
from suppliers.services import offer_transition
from tests.certification.conftest import make_offer
from tests.factories import admin_user

pytestmark = pytest.mark.django_db

# Each append-only table and a change that would rewrite one of its rows.
REWRITES: dict[type[Model], str] = {
    OfferTransition: "to_status = 'registered', actor_id = NULL",
    RequirementCheck: "outcome = 'not_met'",
    ReadinessEvaluation: "findings = 'Not ready at all.'",
    ProductTest: "result = 'failed'",
    CertificateEvent: "reason = 'rewritten'",
    RegisterEntryEvent: "reason = 'rewritten'",
    RegisterEntry: "number = number + 1000",
}
APPEND_ONLY = list(REWRITES)
# Append-only too, their rewrites refused in tests/conversations/.
CONVERSATIONS = [Message, MessageAttachment]


@pytest.fixture
def record(world):
    """An offer taken by the pipeline to the register, then its certificate renewed: every
    append-only table holds rows written by the services."""
    offer = make_offer(world, status="registered")
    old = Certificate.objects.get(offers=offer)
    today = timezone.localdate()
    new = certificate_renew(
        certificate_id=old.pk,
        user=world.officer,
        number="IGC-RENEWED-1",
        issued_on=today,
        valid_until=today + datetime.timedelta(days=365),
    )
    return SimpleNamespace(offer=offer, old_certificate=old, certificate=new)


def first_row(model: type[Model], offer: Offer) -> Model:
    lookups = {
        OfferTransition: {"offer": offer},
        RequirementCheck: {"offer": offer},
        ReadinessEvaluation: {"offer": offer},
        ProductTest: {"offer": offer},
        CertificateEvent: {"certificate__offers": offer},
        RegisterEntryEvent: {"entry__offer": offer},
        RegisterEntry: {"offer": offer},
    }
    return model.objects.filter(**lookups[model]).order_by("id").first()


def snapshot(model: type[Model], pk: int) -> dict:
    return model.objects.filter(pk=pk).values().get()


def raw_sql(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_pipeline_writes_every_record(world, record):
    """The services still write their rows, each once and complete."""
    offer = record.offer
    assert list(offer.history.values_list("action", flat=True)) == [
        "submit",
        "forward",
        "accept",
        "confirm_readiness",
        "pass_tests",
        "certify",
        "register",
    ]
    accept = offer.history.get(action="accept")
    # The history row is written once, with what the stage recorded.
    assert [r["code"] for r in accept.data["requirements"]] == ["STO-1", "STO-2"]
    assert sorted(accept.requirement_checks.values_list("requirement__code", "outcome")) == [
        ("STO-1", "met"),
        ("STO-2", "met"),
    ]
    readiness = ReadinessEvaluation.objects.get(offer=offer)
    assert readiness.transition == offer.history.get(action="confirm_readiness")
    test = ProductTest.objects.get(offer=offer)
    assert test.transition == offer.history.get(action="pass_tests")
    entry = RegisterEntry.objects.get(offer=offer)
    assert entry.certificate == record.certificate
    assert list(entry.events.values_list("kind", "certificate", "transition")) == [
        ("included", record.old_certificate.pk, offer.history.get(action="register").pk),
        ("certificate_replaced", record.certificate.pk, None),
    ]
    assert list(record.old_certificate.events.values_list("kind", "status", "actor")) == [
        ("renewed", "valid", world.officer.pk)
    ]
    assert list(record.certificate.events.values_list("kind", "status", "data")) == [
        ("issued", "valid", {"offers": [offer.pk], "renews": record.old_certificate.pk})
    ]


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_postgresql_refuses_an_update(model, record):
    row = first_row(model, record.offer)
    before = snapshot(model, row.pk)
    with pytest.raises(InternalError, match="is append-only: UPDATE refused|inclusion"):
        raw_sql(f"UPDATE {model._meta.db_table} SET {REWRITES[model]} WHERE id = %s", [row.pk])
    assert snapshot(model, row.pk) == before


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_postgresql_refuses_a_delete(model, record):
    row = first_row(model, record.offer)
    before = snapshot(model, row.pk)
    with pytest.raises(InternalError, match="is append-only: DELETE refused"):
        raw_sql(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [row.pk])  # noqa: S608
    assert snapshot(model, row.pk) == before


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_the_orm_cannot_rewrite_either(model, record):
    """``.update()`` and ``.delete()`` from code (a shell, a data fix) are refused the same."""
    row = first_row(model, record.offer)
    before = snapshot(model, row.pk)
    with pytest.raises(InternalError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(
            **{"reason": "x"}
            if model in (CertificateEvent, RegisterEntryEvent)
            else {"created": timezone.now() - datetime.timedelta(days=400)}
            if model is not RegisterEntry
            else {"included_on": datetime.date(2000, 1, 1)}
        )
    with pytest.raises(InternalError, match="append-only"), transaction.atomic():
        # The delete collector stops at nothing here (the children are protected or none):
        # the row's own DELETE is the one refused.
        connection.cursor().execute(
            f"DELETE FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608
            [row.pk],
        )
    assert snapshot(model, row.pk) == before


def test_a_register_entry_is_excluded_once_and_reinstated_as_a_new_entry(world, record):
    offer, reviewer = record.offer, world.gaz_reviewer
    entry = RegisterEntry.objects.get(offer=offer)
    offer_transition(offer_id=offer.pk, user=reviewer, action="exclude", comment="Defects.")
    entry.refresh_from_db()
    assert entry.excluded_on == timezone.localdate()
    assert entry.exclusion_reason == "Defects."
    assert list(entry.events.values_list("kind", "reason")) == [
        ("included", ""),
        ("certificate_replaced", ""),
        ("excluded", "Defects."),
    ]
    before = snapshot(RegisterEntry, entry.pk)
    # An excluded entry is final: not even the reason or the date changes.
    for change in ("exclusion_reason = 'Nothing happened.'", "excluded_on = NULL"):
        with pytest.raises(InternalError, match="excluded and final"):
            raw_sql(f"UPDATE certification_registerentry SET {change} WHERE id = %s", [entry.pk])
    assert snapshot(RegisterEntry, entry.pk) == before
    offer_transition(offer_id=offer.pk, user=reviewer, action="reinstate", comment="Fixed.")
    entries = RegisterEntry.objects.filter(offer=offer).order_by("number")
    assert [(e.pk == entry.pk, e.excluded_on is None) for e in entries] == [
        (True, False),
        (False, True),
    ]


def test_an_entry_in_force_moves_only_to_another_certificate(world, record):
    entry = RegisterEntry.objects.get(offer=record.offer)
    with pytest.raises(InternalError, match="exclusion reason needs the exclusion"):
        raw_sql(
            "UPDATE certification_registerentry SET exclusion_reason = 'x' WHERE id = %s",
            [entry.pk],
        )
    raw_sql(
        "UPDATE certification_registerentry SET certificate_id = %s WHERE id = %s",
        [record.old_certificate.pk, entry.pk],
    )
    entry.refresh_from_db()
    assert entry.certificate_id == record.old_certificate.pk


def test_parents_of_the_record_cannot_be_deleted(world, record):
    """A cascade would delete the record: offers, certificates and users who acted are
    protected instead."""
    with pytest.raises(ProtectedError):
        Offer.objects.filter(pk=record.offer.pk).delete()
    with pytest.raises(ProtectedError):
        get_user_model().objects.filter(pk=world.gaz_reviewer.pk).delete()
    with pytest.raises(ProtectedError):
        Certificate.objects.filter(pk=record.certificate.pk).delete()
    assert Offer.objects.filter(pk=record.offer.pk).exists()
    assert record.offer.history.count() == 7


def test_certificate_status_changes_are_recorded(world, record):
    certificate_set_status(
        certificate_id=record.certificate.pk,
        user=world.officer,
        status="suspended",
        reason="Inspection failed.",
    )
    certificate_set_status(
        certificate_id=record.certificate.pk, user=world.officer, status="valid", reason=""
    )
    assert list(record.certificate.events.values_list("kind", "status", "reason", "actor")) == [
        ("issued", "valid", "", world.officer.pk),
        ("suspended", "suspended", "Inspection failed.", world.officer.pk),
        ("reinstated", "valid", "", world.officer.pk),
    ]
    # The renewed certificate is still valid: the entry moved back to it, on the record.
    entry = RegisterEntry.objects.get(offer=record.offer)
    assert (entry.excluded_on, entry.certificate_id) == (None, record.old_certificate.pk)
    assert list(entry.events.values_list("kind", "certificate", "actor", "reason")) == [
        ("included", record.old_certificate.pk, world.gaz_reviewer.pk, ""),
        ("certificate_replaced", record.certificate.pk, world.officer.pk, ""),
        ("certificate_replaced", record.old_certificate.pk, world.officer.pk, "Inspection failed."),
    ]


def test_issue_records_the_event(world):
    offer = make_offer(world, status="tested")
    today = timezone.localdate()
    certificate = certificate_issue(
        user=world.officer,
        number="IGC-NEW-1",
        supplier=world.supplier,
        offers=[offer],
        issued_on=today,
        valid_until=today + datetime.timedelta(days=30),
    )
    assert list(certificate.events.values_list("kind", "actor", "data")) == [
        ("issued", world.officer.pk, {"offers": [offer.pk], "renews": None})
    ]


# --- the admin -----------------------------------------------------------------------------


def admin_url(model: type[Model], view: str, *args: int) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


@pytest.fixture
def superuser_client(client):
    client.force_login(admin_user())
    return client


@pytest.mark.parametrize("model", APPEND_ONLY, ids=lambda m: m.__name__)
def test_admin_shows_but_never_adds_changes_or_deletes(model, record, superuser_client):
    client = superuser_client
    row = first_row(model, record.offer)
    before = snapshot(model, row.pk)
    count = model.objects.count()
    assert client.get(admin_url(model, "changelist")).status_code == 200
    page = client.get(admin_url(model, "change", row.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(admin_url(model, "add")).status_code == 403
    assert client.post(admin_url(model, "add"), {}).status_code == 403
    assert client.post(admin_url(model, "change", row.pk), {}).status_code == 403
    assert client.get(admin_url(model, "delete", row.pk)).status_code == 403
    assert client.post(admin_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    bulk = client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    # The changelist offers no delete action: the row stays.
    assert bulk.status_code == 200
    assert model.objects.count() == count
    assert snapshot(model, row.pk) == before


def test_admin_offer_page_lists_the_history_without_edit_or_add(record, superuser_client):
    page = superuser_client.get(admin_url(Offer, "change", record.offer.pk)).content.decode()
    assert "history-TOTAL_FORMS" in page
    assert 'name="history-0-comment"' not in page
    assert "Add another offer transition" not in page


def test_admin_does_not_change_a_certificate_status_unrecorded(record, superuser_client):
    page = superuser_client.get(admin_url(Certificate, "change", record.certificate.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="status"' not in html
    assert 'name="status_reason"' not in html


def test_the_demo_writes_the_record_and_loads_again():
    """The demo's certificates have their issue (and expiry) on record; loading it again
    changes nothing and rewrites no row."""
    from django.core.management import call_command

    call_command("load_demo")
    counts = {model: model.objects.count() for model in APPEND_ONLY}
    assert not Certificate.objects.filter(events__isnull=True).exists()
    assert CertificateEvent.objects.filter(kind="expired").count() == 1
    call_command("load_demo")
    assert {model: model.objects.count() for model in APPEND_ONLY} == counts


def test_every_append_only_table_has_its_trigger_enabled():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE '%%_append_only' AND NOT t.tgisinternal"
        )
        triggers = dict(cursor.fetchall())
    assert triggers == {model._meta.db_table: "O" for model in APPEND_ONLY + CONVERSATIONS}


@pytest.mark.django_db(transaction=True)
def test_truncate_still_empties_the_tables(record):
    """The test suite's flush and ``seed_scale --reset`` empty the tables with TRUNCATE, which
    fires no row trigger."""
    tables = ", ".join(model._meta.db_table for model in APPEND_ONLY)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    assert [model.objects.count() for model in APPEND_ONLY] == [0] * len(APPEND_ONLY)
