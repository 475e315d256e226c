"""Supplier registration (web and API), verification and the supplier list's scope."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from roadmap_portal.accounts.models import Profile
from suppliers.models import Supplier
from suppliers.validators import inn_with_checksum, ogrn_with_checksum
from tests.factories import SupplierFactory, UserFactory
from tests.helpers import assert_scope

pytestmark = pytest.mark.django_db

NEW_INN = inn_with_checksum(701799001)
NEW_OGRN = ogrn_with_checksum(102701799001)


def registration_data(world, **overrides):
    data = {
        "first_name": "Ivan",
        "last_name": "Petrov",
        "email": "ivan@example.org",
        "name": "Tomsk Motors LLC",
        "inn": NEW_INN,
        "ogrn": NEW_OGRN,
        "region": world.tomsk.code,
        "kind": "manufacturer",
        "phone": "+7 3822 000000",
        "org_email": "",
        "address": "",
        "website": "",
    }
    data.update(overrides)
    return data


PASSWORDS = {"password1": "Tomsk-Motors-2026!", "password2": "Tomsk-Motors-2026!"}


@pytest.fixture(autouse=True)
def fresh_registration_budgets():
    """The hourly budgets of the registration form live in the cache: each test starts anew."""
    from django.core.cache import cache

    cache.clear()


def _link(message):
    return re.search(r"http://\S+/suppliers/register/confirm/\S+/", message.body).group(0)


# --- web registration --------------------------------------------------------------------


def test_login_page_links_to_registration(client):
    response = client.get(reverse("login"))
    assert reverse("suppliers:register").encode() in response.content


def test_registration_asks_to_confirm_the_address_then_creates_account_and_signs_in(
    client, world, mailoutbox
):
    response = client.post(reverse("suppliers:register"), registration_data(world))
    assert response.status_code == 200
    assert "Check your e-mail" in response.content.decode()
    # Nothing is saved before the address is confirmed.
    assert not Supplier.objects.filter(inn=NEW_INN).exists()
    assert not get_user_model().objects.filter(email="ivan@example.org").exists()
    [message] = mailoutbox
    assert message.to == ["ivan@example.org"]
    link = _link(message).removeprefix("http://127.0.0.1:8000")
    page = client.get(link)
    assert page.status_code == 200
    assert "Tomsk Motors LLC" in page.content.decode()
    response = client.post(link, PASSWORDS)
    assert response.status_code == 302, response.content[:2000]
    assert response.url == reverse("suppliers:offer-list")
    supplier = Supplier.objects.get(inn=NEW_INN)
    assert supplier.verification_status == "pending"
    assert supplier.region == world.tomsk
    assert supplier.email == "ivan@example.org"
    # The sign-in name is the e-mail address.
    profile = Profile.objects.get(user__username="ivan@example.org")
    assert profile.role == "supplier" and profile.supplier == supplier
    page = client.get(reverse("suppliers:offer-list"))
    assert page.status_code == 200
    assert b"Tomsk Motors LLC" in page.content
    # The link works once: the account exists now.
    client.logout()
    again = client.get(link)
    assert again.status_code == 302
    assert again.url == reverse("login")


def test_registration_answers_the_same_whether_the_address_has_an_account(
    client, world, mailoutbox
):
    UserFactory(username="ivan.p", email="Ivan@Example.org")
    users = get_user_model().objects.count()
    taken = client.post(reverse("suppliers:register"), registration_data(world))
    fresh = client.post(
        reverse("suppliers:register"), registration_data(world, email="newcomer@example.org")
    )
    assert taken.status_code == fresh.status_code == 200

    def without_address(response, address):
        return response.content.decode().replace(address, "ADDRESS")

    def csrf_free(text):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert csrf_free(without_address(taken, "ivan@example.org")) == csrf_free(
        without_address(fresh, "newcomer@example.org")
    )
    # The owner of the address that has an account is told so, and nothing is created.
    exists, new = mailoutbox
    assert exists.to == ["ivan@example.org"] and new.to == ["newcomer@example.org"]
    assert exists.subject == new.subject
    assert "already has an account" in exists.body
    assert "/suppliers/register/confirm/" not in exists.body
    assert not Supplier.objects.filter(inn=NEW_INN).exists()
    assert get_user_model().objects.count() == users


def test_registration_link_is_signed_and_expires(client, world, mailoutbox, settings):
    client.post(reverse("suppliers:register"), registration_data(world))
    link = _link(mailoutbox[0]).removeprefix("http://127.0.0.1:8000")
    tampered = link[:-3] + ("x" if link[-3] != "x" else "y") + link[-2:]
    response = client.get(tampered)
    assert response.status_code == 400
    assert "link is not valid" in response.content.decode()
    settings.REGISTRATION_LINK_HOURS = 0
    response = client.post(link, PASSWORDS)
    assert response.status_code == 400
    assert not Supplier.objects.filter(inn=NEW_INN).exists()


def test_registration_with_a_registered_inn_says_so_and_saves_nothing(client, world, mailoutbox):
    data = registration_data(world, inn=world.supplier.inn)
    response = client.post(reverse("suppliers:register"), data)
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert mailoutbox == []
    assert Supplier.objects.filter(inn=world.supplier.inn).count() == 1


def test_registration_reports_bad_identifiers_on_their_fields(client, world):
    data = registration_data(world, inn="7017004462", ogrn="10270008542")
    response = client.post(reverse("suppliers:register"), data)
    form = response.context["form"]
    assert "check digit" in form.errors["inn"][0]
    assert "13 digits" in form.errors["ogrn"][0]
    assert not Supplier.objects.filter(name="Tomsk Motors LLC").exists()


def test_confirmation_checks_the_passwords(client, world, mailoutbox):
    client.post(reverse("suppliers:register"), registration_data(world))
    link = _link(mailoutbox[0]).removeprefix("http://127.0.0.1:8000")
    response = client.post(link, {**PASSWORDS, "password2": "different-Pass-1"})
    assert response.status_code == 200
    assert "differ" in response.context["form"].errors["password2"][0]
    response = client.post(link, {"password1": "Ab-1", "password2": "Ab-1"})
    assert "too short" in response.context["form"].errors["password2"][0]
    assert not get_user_model().objects.filter(username="ivan@example.org").exists()


def test_one_address_gets_at_most_three_messages_an_hour(client, world, mailoutbox, settings):
    assert settings.REGISTRATION_MAILS_PER_HOUR == 3
    answers = [
        client.post(reverse("suppliers:register"), registration_data(world)) for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [200] * 5
    pages = {
        re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", a.content.decode()) for a in answers
    }
    assert len(pages) == 1  # the answer past the budget is the same page
    assert "Check your e-mail" in pages.pop()
    assert len(mailoutbox) == 3


def test_one_client_makes_at_most_twenty_requests_an_hour(client, world, mailoutbox, settings):
    assert settings.REGISTRATION_REQUESTS_PER_HOUR == 20
    for n in range(20):
        data = registration_data(world, email=f"person{n}@example.org")
        assert client.post(reverse("suppliers:register"), data).status_code == 200
    refused = client.post(reverse("suppliers:register"), registration_data(world))
    assert refused.status_code == 429
    assert "Too many registrations" in refused.content.decode()
    assert len(mailoutbox) == 20
    # Another client is not held back.
    other = client.post(
        reverse("suppliers:register"), registration_data(world), REMOTE_ADDR="192.0.2.8"
    )
    assert other.status_code == 200


def test_registration_answer_and_mail_are_in_russian(world, mailoutbox):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    response = client.post(reverse("suppliers:register"), registration_data(world))
    assert "Проверьте почту" in response.content.decode()
    assert mailoutbox[0].subject == "Ваша регистрация на портале дорожных карт"
    assert "Здравствуйте, Ivan!" in mailoutbox[0].body


# --- API: list and register --------------------------------------------------------------


def test_supplier_api_lists_by_scope(api_as, world):
    def names(user):
        response = api_as(user).get("/api/v1/suppliers/")
        assert response.status_code == 200
        return {row["name"] for row in response.json()["results"]}

    assert names(world.member) == {"Mikran"}
    assert names(world.staff) == {"Mikran", "NII PP"}
    assert names(world.kaluga_staff) == {"Kaluga Turbine Works"}
    assert names(world.admin) == {"Mikran", "NII PP", "Kaluga Turbine Works"}
    row = api_as(world.staff).get(f"/api/v1/suppliers/{world.supplier.pk}/").json()
    assert {"id", "name", "inn", "ogrn", "region", "kind", "verification_status"} <= set(row)
    assert row["region"] == "RU-TOM"


def test_supplier_api_filters_pending(api_as, world):
    SupplierFactory(region=world.tomsk, name="Newcomer", verification_status="pending")
    response = api_as(world.staff).get("/api/v1/suppliers/?verification_status=pending")
    assert [row["name"] for row in response.json()["results"]] == ["Newcomer"]


def test_supplier_detail_out_of_scope_is_404(api_as, world):
    assert (
        api_as(world.kaluga_staff).get(f"/api/v1/suppliers/{world.supplier.pk}/").status_code == 404
    )
    assert api_as(world.member).get(f"/api/v1/suppliers/{world.neighbour.pk}/").status_code == 404


def test_api_registration_by_a_person_without_a_role(api, api_as, world):
    person = UserFactory(username="person")
    body = {
        "name": "Tomsk Motors LLC",
        "inn": NEW_INN,
        "ogrn": NEW_OGRN,
        "region": "RU-TOM",
        "kind": "manufacturer",
        "email": "office@example.org",
    }
    assert api.post("/api/v1/suppliers/", body, format="json").status_code == 401
    response = api_as(world.staff).post("/api/v1/suppliers/", body, format="json")
    assert response.status_code == 403
    response = api_as(person).post("/api/v1/suppliers/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["verification_status"] == "pending"
    person.refresh_from_db()
    assert person.profile.role == "supplier"
    assert person.profile.supplier_id == response.json()["id"]


def test_api_registration_rejects_duplicate_and_bad_identifiers(api_as, world):
    person = UserFactory(username="person")
    body = {
        "name": "Copy",
        "inn": world.supplier.inn,
        "ogrn": NEW_OGRN,
        "region": "RU-TOM",
        "kind": "manufacturer",
    }
    response = api_as(person).post("/api/v1/suppliers/", body, format="json")
    assert response.status_code == 400
    assert "already registered" in response.json()["inn"][0]
    body.update(inn="70170A4461", ogrn="1027000854243")
    response = api_as(person).post("/api/v1/suppliers/", body, format="json")
    assert response.status_code == 400
    assert "digits only" in response.json()["inn"][0]
    assert "check digit" in response.json()["ogrn"][0]
    assert not Profile.objects.filter(user=person).exists()


def test_admin_registers_a_supplier_without_becoming_its_member(api_as, world):
    body = {
        "name": "By admin",
        "inn": NEW_INN,
        "ogrn": NEW_OGRN,
        "region": "RU-KLU",
        "kind": "research",
    }
    response = api_as(world.admin).post("/api/v1/suppliers/", body, format="json")
    assert response.status_code == 201
    assert not Profile.objects.filter(user=world.admin).exists()


# --- verification -------------------------------------------------------------------------


def test_verify_endpoint_scope_and_roles(api, api_as, world):
    pending = SupplierFactory(region=world.tomsk, verification_status="pending")
    url = f"/api/v1/suppliers/{pending.pk}/verify/"
    response = assert_scope(
        url=url,
        method="post",
        data={"verified": True, "comment": ""},
        anonymous_client=api,
        wrong_role=api_as(world.reviewer),
        out_of_scope=api_as(world.kaluga_staff),
        allowed=api_as(world.staff),
    )
    assert response.json()["verification_status"] == "verified"
    pending.refresh_from_db()
    assert pending.verified_by == world.staff and pending.verified_at is not None
    # A supplier's own member cannot verify it.
    assert (
        api_as(world.member)
        .post(f"/api/v1/suppliers/{world.supplier.pk}/verify/", {"verified": True}, format="json")
        .status_code
        == 403
    )


def test_rejection_needs_a_reason(api_as, world):
    pending = SupplierFactory(region=world.tomsk, verification_status="pending")
    url = f"/api/v1/suppliers/{pending.pk}/verify/"
    response = api_as(world.staff).post(url, {"verified": False}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()
    response = api_as(world.staff).post(
        url, {"verified": False, "comment": "OGRN belongs to another company"}, format="json"
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.verification_status == "rejected"
    assert pending.verification_comment == "OGRN belongs to another company"


def test_web_verification_by_region_staff(client, world):
    pending = SupplierFactory(region=world.tomsk, name="Newcomer", verification_status="pending")
    client.force_login(world.staff)
    listing = client.get(reverse("suppliers:supplier-list") + "?verification_status=pending")
    assert listing.status_code == 200
    assert b"Newcomer" in listing.content and b"Mikran" not in listing.content
    detail = client.get(reverse("suppliers:supplier-detail", args=[pending.pk]))
    assert b'id="verify-form"' in detail.content
    url = reverse("suppliers:supplier-verify", args=[pending.pk])
    response = client.post(url, {"decision": "reject", "comment": ""}, follow=True)
    assert "Say why" in response.content.decode()
    pending.refresh_from_db()
    assert pending.verification_status == "pending"
    client.post(url, {"decision": "verify", "comment": ""})
    pending.refresh_from_db()
    assert pending.verification_status == "verified"


def test_web_supplier_pages_are_scoped(client, world):
    client.force_login(world.kaluga_staff)
    assert (
        client.get(reverse("suppliers:supplier-detail", args=[world.supplier.pk])).status_code
        == 404
    )
    response = client.post(
        reverse("suppliers:supplier-verify", args=[world.supplier.pk]), {"decision": "verify"}
    )
    assert response.status_code == 404
    client.force_login(world.reviewer)
    response = client.post(
        reverse("suppliers:supplier-verify", args=[world.supplier.pk]),
        {"decision": "reject", "comment": "no"},
        follow=True,
    )
    assert response.status_code == 200
    world.supplier.refresh_from_db()
    assert world.supplier.verification_status == "verified"
