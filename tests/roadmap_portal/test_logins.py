"""Password guessing is locked out on every way in: the HTML login, the admin login and the
token endpoint, per account and address, per address across accounts, per account across
addresses."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 5


@pytest.fixture
def alice():
    return UserFactory(username="alice", is_staff=True, is_superuser=True)


def _html_login(client, username, password, path="/accounts/login/"):
    return client.post(path, {"username": username, "password": password})


def _token(client, username, password, address="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def test_html_login_locks_the_account_from_that_address_after_five_failures(alice):
    client = Client()
    for _ in range(LIMIT - 1):
        response = _html_login(client, "alice", "wrong")
        assert response.status_code == 200
        assert b"The username or password is wrong" in response.content
    locked = _html_login(client, "alice", "wrong")
    assert locked.status_code == 429
    assert "15 minutes" in locked.content.decode()
    assert 'id="locked-out"' in locked.content.decode()
    # The right password does not help while the lock holds, and no session is made.
    again = _html_login(client, "alice", "pass-12345")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_is_locked_out_too(alice):
    client = Client()
    for _ in range(LIMIT - 1):
        assert _html_login(client, "alice", "wrong", "/admin/login/").status_code == 200
    assert _html_login(client, "alice", "wrong", "/admin/login/").status_code == 429
    assert _html_login(client, "alice", "pass-12345", "/admin/login/").status_code == 429
    # The lock is one for every way in: the portal's login refuses the account as well.
    assert _html_login(client, "alice", "pass-12345").status_code == 429


def test_token_endpoint_answers_429_with_retry_after_and_the_json_error_shape(alice):
    api = APIClient()
    for _ in range(LIMIT - 1):
        response = _token(api, "alice", "wrong")
        assert response.status_code == 400
    locked = _token(api, "alice", "wrong")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert locked["Content-Type"] == "application/json"
    assert locked.json() == {
        "detail": "Too many failed sign-in attempts: the account is locked for 15 minutes."
    }
    assert _token(api, "alice", "pass-12345").status_code == 429


def test_the_lock_is_per_address_for_one_account(alice):
    api = APIClient()
    for _ in range(LIMIT):
        _token(api, "alice", "wrong", address="10.0.0.1")
    assert _token(api, "alice", "pass-12345", address="10.0.0.1").status_code == 429
    # Alice at her own office is not locked out by a guesser elsewhere.
    assert _token(api, "alice", "pass-12345", address="10.0.0.2").status_code == 200


def test_one_address_guessing_many_accounts_is_locked_out(settings):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    api = APIClient()
    UserFactory(username="bob")
    for n in range(limit - 1):
        assert _token(api, f"nobody{n}", "wrong").status_code == 400
    assert _token(api, "nobody-last", "wrong").status_code == 429
    # Every account from that address is refused now, an existing one with its password too.
    assert _token(api, "bob", "pass-12345").status_code == 429
    assert _token(api, "bob", "pass-12345", address="10.0.0.9").status_code == 200


def test_one_account_guessed_from_many_addresses_is_locked_out(settings, alice):
    limit = settings.LOGIN_ACCOUNT_FAILURE_LIMIT
    api = APIClient()
    for n in range(limit - 1):
        assert (
            _token(api, "alice", "wrong", address=f"10.1.{n // 250}.{n % 250 + 1}").status_code
            == 400
        )
    assert _token(api, "alice", "wrong", address="10.2.0.1").status_code == 429
    assert _token(api, "alice", "pass-12345", address="10.3.0.1").status_code == 429


def test_successful_logins_are_not_counted_and_the_lock_ends_after_the_cool_off(alice, settings):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    client = Client()
    for _ in range(LIMIT):
        _html_login(client, "alice", "wrong")
    assert _html_login(client, "alice", "pass-12345").status_code == 429
    # 15 minutes later (the failures aged past the cool-off) the right password signs in.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = _html_login(client, "alice", "pass-12345")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_lockout_page_is_translated(alice):
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    for _ in range(LIMIT):
        response = _html_login(client, "alice", "wrong")
    assert response.status_code == 429
    assert "заблокирован" in response.content.decode()


def test_the_test_clients_login_passes_a_request_for_axes(alice):
    """Axes needs the request of every authentication: a test that signs in with a password
    through the test client passes one (``force_login`` needs none)."""
    from axes.backends import AxesBackendRequestParameterRequired
    from django.http import HttpRequest

    client = Client()
    with pytest.raises(AxesBackendRequestParameterRequired):
        client.login(username="alice", password="pass-12345")
    assert client.login(request=HttpRequest(), username="alice", password="pass-12345") is True
    assert client.get("/").status_code == 200


def test_behind_a_proxy_the_forwarded_client_address_is_counted(alice, settings):
    """With LOGIN_TRUSTED_PROXY_COUNT=1 (one reverse proxy), every request comes from the
    proxy's address; the lock follows the client's address the proxy forwards."""
    settings.LOGIN_TRUSTED_PROXY_COUNT = 1
    api = APIClient()

    def token(password, forwarded):
        return api.post(
            "/api/v1/auth/token/",
            {"username": "alice", "password": password},
            REMOTE_ADDR="10.9.9.9",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(LIMIT):
        # A guesser varies what it claims; the proxy appends where it really came from.
        token("wrong", f"192.0.2.{n}, 203.0.113.7")
    assert token("pass-12345", "203.0.113.7").status_code == 429
    assert token("pass-12345", "198.51.100.4").status_code == 200
    # Without the proxy's entry (not through the proxy), the connection's address counts.
    assert token("pass-12345", "").status_code == 200
