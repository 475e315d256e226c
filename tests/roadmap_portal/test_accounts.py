"""Accounts: password reset and change, the profile (language kept and applied at sign-in, own
API tokens), invitations (single use, expiring, scoped) and deactivation that keeps history."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from roadmap_portal.accounts.models import Invitation, Profile
from roadmap_portal.accounts.services import invitation_create
from suppliers.models import OfferTransition
from suppliers.services import offer_transition
from tests.factories import (
    CertificationBodyFactory,
    CorporationFactory,
    OfferFactory,
    RegionFactory,
    SupplierFactory,
    UserFactory,
    admin_user,
    user_with_role,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "pass-12345"
NEW_PASSWORD = "Kedr-Tomsk-2026!"


@pytest.fixture(autouse=True)
def fresh_counts():
    """The hourly mail counts start from zero in each test."""
    cache.clear()


def _client(user=None, language="en"):
    client = Client()
    client.cookies["django_language"] = language
    if user is not None:
        client.force_login(user)
    return client


def _link(message, pattern):
    found = re.findall(pattern, message.body)
    assert len(found) == 1, message.body
    return found[0]


# --- password reset and change ---------------------------------------------------------


def test_login_page_links_to_the_password_reset():
    page = _client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/" id="forgot-password"' in page


def test_reset_mails_a_link_that_sets_a_new_password_once():
    alice = UserFactory(username="alice", email="alice@example.org")
    client = _client()
    response = client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.org"]
    assert mail.outbox[0].subject == "A new password for the Roadmap Portal"
    path = _link(mail.outbox[0], r"http://testserver(/accounts/reset/\S+/)")

    form = client.get(path, follow=True)
    assert form.status_code == 200
    assert 'id="password-reset-confirm-form"' in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == "/accounts/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD) is True

    again = client.get(path, follow=True).content.decode()
    assert 'id="password-reset-invalid"' in again


def test_reset_answers_the_same_for_an_address_without_an_account():
    UserFactory(username="alice", email="alice@example.org")
    known = _client().post("/accounts/password_reset/", {"email": "alice@example.org"})
    unknown = _client().post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [message.to for message in mail.outbox] == [["alice@example.org"]]


def test_one_address_gets_at_most_three_reset_mails_an_hour_with_the_same_answer():
    UserFactory(username="alice", email="alice@example.org")
    client = _client()
    answers = [
        client.post("/accounts/password_reset/", {"email": "alice@example.org"})["Location"]
        for _ in range(5)
    ]
    assert answers == ["/accounts/password_reset/done/"] * 5
    assert len(mail.outbox) == 3


def test_reset_sends_nothing_to_a_deactivated_person():
    UserFactory(username="gone", email="gone@example.org", is_active=False)
    _client().post("/accounts/password_reset/", {"email": "gone@example.org"})
    assert mail.outbox == []


def test_password_change_needs_the_old_password():
    alice = UserFactory(username="alice")
    client = _client(alice)
    wrong = client.post(
        "/accounts/password_change/",
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert 'id="id_old_password-error"' in wrong.content.decode()
    right = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert right["Location"] == "/accounts/password_change/done/"
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD) is True


def test_password_pages_speak_russian():
    page = _client(language="ru").get("/accounts/password_reset/").content.decode()
    assert "Забыли пароль?" in page


# --- profile and language --------------------------------------------------------------


def test_profile_saves_name_and_language():
    user = user_with_role("administrator", username="anna")
    client = _client(user)
    response = client.post(
        "/accounts/profile/",
        {"first_name": "Анна", "last_name": "Иванова", "email": user.email, "language": "ru"},
    )
    assert response["Location"] == "/accounts/profile/"
    assert response.cookies["django_language"].value == "ru"
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.profile.language) == ("Анна", "Иванова", "ru")


def test_changing_the_email_needs_the_password_and_moves_an_email_sign_in_name():
    user = user_with_role("administrator", username="old@example.org")
    user.email = "old@example.org"
    user.save()
    client = _client(user)
    data = {"first_name": "", "last_name": "", "email": "new@example.org", "language": "en"}
    refused = client.post("/accounts/profile/", data)
    assert refused.status_code == 400
    assert 'id="id_current_password_error"' in refused.content.decode()
    accepted = client.post("/accounts/profile/", {**data, "current_password": PASSWORD})
    assert accepted.status_code == 302
    user.refresh_from_db()
    assert (user.username, user.email) == ("new@example.org", "new@example.org")


def test_an_address_of_another_account_is_refused():
    UserFactory(username="bob", email="bob@example.org")
    user = user_with_role("administrator", username="anna")
    response = _client(user).post(
        "/accounts/profile/",
        {
            "email": "BOB@example.org",
            "language": "en",
            "current_password": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "Another account uses this address." in response.content.decode()


def test_the_language_buttons_keep_the_choice_in_the_profile():
    user = user_with_role("administrator", username="anna", language="ru")
    client = _client(user, language="ru")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert Profile.objects.get(user=user).language == "en"


def test_an_anonymous_language_choice_changes_no_profile():
    user = user_with_role("administrator", username="anna", language="ru")
    Client().post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert Profile.objects.get(user=user).language == "ru"


def test_the_saved_language_is_applied_at_sign_in_over_the_browser_cookie():
    user_with_role("administrator", username="anna", language="en")
    client = _client(language="ru")
    response = client.post("/accounts/login/", {"username": "anna", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    home = client.get("/")
    assert home.content.decode().count('<html lang="en">') == 1


def test_a_new_browser_session_opens_in_the_saved_language():
    user = user_with_role("administrator", username="anna", language="ru")
    first = _client(language="ru")
    first.post("/accounts/login/", {"username": "anna", "password": PASSWORD})
    first.post("/i18n/setlang/", {"language": "en", "next": "/"})
    # Another browser: no cookie at all.
    second = Client()
    second.post("/accounts/login/", {"username": "anna", "password": PASSWORD})
    assert second.cookies["django_language"].value == "en"
    assert '<html lang="en">' in second.get("/accounts/profile/").content.decode()
    assert Profile.objects.get(user=user).language == "en"


def test_profile_lists_and_revokes_only_own_tokens():
    user = user_with_role("administrator", username="anna")
    other = UserFactory(username="bob")
    mine, _key = AuthToken.objects.create(user=user)
    theirs, _key = AuthToken.objects.create(user=other)
    client = _client(user)
    page = client.get("/accounts/profile/").content.decode()
    assert mine.token_key in page
    assert theirs.token_key not in page
    client.post(f"/accounts/profile/tokens/{theirs.token_key}/revoke/")
    assert AuthToken.objects.filter(user=other).count() == 1
    client.post(f"/accounts/profile/tokens/{mine.token_key}/revoke/")
    assert AuthToken.objects.filter(user=user).count() == 0


def test_profile_links_to_preferences_and_password_change():
    page = _client(user_with_role("administrator", username="anna")).get("/accounts/profile/")
    body = page.content.decode()
    assert 'href="/notifications/preferences/"' in body
    assert 'href="/accounts/password_change/"' in body


# --- invitations -----------------------------------------------------------------------


@pytest.fixture
def root():
    return admin_user()


def _invite(client, **data):
    return client.post("/accounts/invitations/new/", data)


def _accept(client, path, first="Ivan", last="Petrov"):
    return client.post(
        path,
        {
            "first_name": first,
            "last_name": last,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )


def test_an_administrator_invites_a_reviewer_who_joins_signed_in(root):
    group = CorporationFactory()
    response = _invite(
        _client(root), email="ivan@example.org", role="reviewer", corporation=group.pk
    )
    assert response["Location"] == "/accounts/invitations/"
    assert mail.outbox[0].to == ["ivan@example.org"]
    path = _link(mail.outbox[0], r"http://[^/\s]+(/accounts/invitation/\S+/)")
    invitee = Client()
    page = invitee.get(path)
    assert page.status_code == 200
    joined = _accept(invitee, path)
    assert joined["Location"] == "/"
    user = User.objects.get(username="ivan@example.org")
    assert (user.profile.role, user.profile.corporation_id) == ("reviewer", group.pk)
    assert invitee.session["_auth_user_id"] == str(user.pk)
    invitation = Invitation.objects.get()
    assert invitation.user_id == user.pk
    assert "ivan@example.org" not in invitation.token_hash


def test_a_used_link_says_so():
    inviter = admin_user()
    invitation_create(
        inviter=inviter,
        email="ivan@example.org",
        role="officer",
        scope_row=CertificationBodyFactory(),
    )
    path = _link(mail.outbox[0], r"http://[^/\s]+(/accounts/invitation/\S+/)")
    assert _accept(Client(), path).status_code == 302
    again = _accept(Client(), path, first="Someone")
    assert again.status_code == 410
    assert 'data-status="accepted"' in again.content.decode()
    assert User.objects.filter(username="ivan@example.org").count() == 1


def test_an_expired_link_says_so(root):
    invitation_create(
        inviter=root, email="ivan@example.org", role="region_staff", scope_row=RegionFactory()
    )
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    path = _link(mail.outbox[0], r"http://[^/\s]+(/accounts/invitation/\S+/)")
    page = Client().get(path)
    assert page.status_code == 410
    assert "This invitation link has expired." in page.content.decode()
    assert _accept(Client(), path).status_code == 410
    assert User.objects.filter(username="ivan@example.org").exists() is False


def test_a_revoked_or_resent_invitation_stops_the_old_link(root):
    region = RegionFactory()
    invitation = invitation_create(
        inviter=root, email="ivan@example.org", role="region_staff", scope_row=region
    )
    first = _link(mail.outbox[0], r"http://[^/\s]+(/accounts/invitation/\S+/)")
    client = _client(root)
    client.post(f"/accounts/invitations/{invitation.pk}/resend/")
    second = _link(mail.outbox[1], r"http://[^/\s]+(/accounts/invitation/\S+/)")
    assert Client().get(first).status_code == 400
    assert Client().get(second).status_code == 200
    client.post(f"/accounts/invitations/{invitation.pk}/revoke/")
    revoked = Client().get(second)
    assert revoked.status_code == 410
    assert 'data-status="revoked"' in revoked.content.decode()


def test_the_administrators_list_shows_each_status(root):
    invitation_create(
        inviter=root, email="a@example.org", role="region_staff", scope_row=RegionFactory()
    )
    expired = invitation_create(
        inviter=root, email="b@example.org", role="region_staff", scope_row=RegionFactory()
    )
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    page = _client(root).get("/accounts/invitations/").content.decode()
    assert re.findall(r'data-status="(\w+)"', page) == ["expired", "pending"]


def test_a_supplier_member_invites_a_colleague_into_their_own_organisation():
    supplier = SupplierFactory()
    member = user_with_role("supplier", username="m@example.org", supplier=supplier)
    response = _invite(
        _client(member), email="col@example.org", role="supplier", supplier=supplier.pk
    )
    assert response.status_code == 302
    path = _link(mail.outbox[0], r"http://[^/\s]+(/accounts/invitation/\S+/)")
    _accept(Client(), path)
    colleague = User.objects.get(username="col@example.org")
    assert colleague.profile.supplier_id == supplier.pk


def test_an_invitation_out_of_the_inviters_scope_is_refused():
    supplier, other = SupplierFactory(), SupplierFactory()
    member = user_with_role("supplier", username="m@example.org", supplier=supplier)
    client = _client(member)
    response = _invite(client, email="x@example.org", role="supplier", supplier=other.pk)
    assert response.status_code == 400
    assert 'id="id_supplier_error"' in response.content.decode()
    staff_role = _invite(
        client, email="x@example.org", role="region_staff", region=supplier.region_id
    )
    assert staff_role.status_code == 400
    assert Invitation.objects.count() == 0
    assert mail.outbox == []
    with pytest.raises(PermissionDenied):
        invitation_create(inviter=member, email="x@example.org", role="supplier", scope_row=other)


def test_an_invitation_into_another_organisation_answers_as_one_into_no_organisation():
    """The invitation form's scope fields are scoped like every other relation of a request
    (tests/test_scope_matrix.py exempts this form: its scope field depends on the role)."""
    supplier, other = SupplierFactory(), SupplierFactory()
    member = user_with_role("supplier", username="m2@example.org", supplier=supplier)
    client = _client(member)
    hidden = _invite(client, email="y@example.org", role="supplier", supplier=other.pk)
    missing = _invite(client, email="y@example.org", role="supplier", supplier=999_999)
    assert (hidden.status_code, missing.status_code) == (400, 400)

    def error(response):
        body = response.content.decode()
        start = body.index('id="id_supplier_error"')
        return body[start : body.index("</", start)]

    assert error(hidden) == error(missing)
    assert other.name not in hidden.content.decode()
    assert Invitation.objects.count() == 0


def test_region_staff_cannot_open_the_invitation_pages():
    staff = user_with_role("region_staff", username="staff", region=RegionFactory())
    assert _client(staff).get("/accounts/invitations/new/").status_code == 403
    assert _client(staff).get("/accounts/invitations/").status_code == 403


def test_an_address_with_an_account_is_not_invited(root):
    UserFactory(username="ivan", email="ivan@example.org")
    response = _invite(
        _client(root), email="IVAN@example.org", role="region_staff", region=RegionFactory().pk
    )
    assert response.status_code == 400
    assert "This address already has an account." in response.content.decode()
    assert Invitation.objects.count() == 0


# --- deactivation ----------------------------------------------------------------------


def test_deactivating_a_member_keeps_their_history_and_signs_them_out():
    supplier = SupplierFactory()
    member = user_with_role("supplier", username="m@example.org", supplier=supplier)
    colleague = user_with_role("supplier", username="c@example.org", supplier=supplier)
    offer = OfferFactory(supplier=supplier)
    offer_transition(offer_id=offer.pk, user=colleague, action="submit")
    AuthToken.objects.create(user=colleague)
    colleague_client = _client(colleague)

    response = _client(member).post(f"/accounts/people/{colleague.pk}/deactivate/")
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_active is False
    assert OfferTransition.objects.get(offer=offer).actor_id == colleague.pk
    assert AuthToken.objects.filter(user=colleague).count() == 0
    assert colleague_client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")
    refused = Client().post("/accounts/login/", {"username": "c@example.org", "password": PASSWORD})
    assert refused.status_code == 200
    assert "_auth_user_id" not in refused.client.session


def test_a_member_of_another_organisation_cannot_be_deactivated():
    outsider = user_with_role("supplier", username="o@example.org", supplier=SupplierFactory())
    member = user_with_role("supplier", username="m@example.org", supplier=SupplierFactory())
    response = _client(member).post(f"/accounts/people/{outsider.pk}/deactivate/")
    assert response.status_code == 404
    outsider.refresh_from_db()
    assert outsider.is_active is True


def test_the_django_admin_deactivates_but_never_deletes_people(root):
    person = UserFactory(username="someone")
    client = _client(root)
    assert client.get(f"/admin/auth/user/{person.pk}/delete/").status_code == 403
    assert client.post(f"/admin/auth/user/{person.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=person.pk).exists() is True


def test_a_supplier_member_lists_only_their_organisations_invitations(root):
    mine, other = SupplierFactory(), SupplierFactory()
    member = user_with_role("supplier", username="m@example.org", supplier=mine)
    invitation_create(inviter=root, email="a@example.org", role="supplier", scope_row=mine)
    invitation_create(inviter=root, email="b@example.org", role="supplier", scope_row=other)
    page = _client(member).get("/accounts/invitations/").content.decode()
    assert re.findall(r'<td class="text-break">([^<]+)</td>', page) == ["a@example.org"]
