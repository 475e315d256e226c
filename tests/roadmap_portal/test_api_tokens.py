"""A person's API tokens expire, and their owner lists and revokes them."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from roadmap_portal.api.authentication import PersonTokenAuthentication, tokens_with_key
from roadmap_portal.models import ApiKey
from roadmap_portal.tasks import delete_expired_tokens
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _issue(username="alice", password="pass-12345"):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _with(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def test_a_token_lives_for_the_configured_lifetime_then_answers_401(alice, settings):
    issued = _issue()
    expiry = AuthToken.objects.get(user=alice).expiry
    lifetime = expiry - timezone.now()
    assert timedelta(days=settings.API_TOKEN_LIFETIME_DAYS) - lifetime < timedelta(minutes=1)
    assert settings.API_TOKEN_LIFETIME_DAYS == 30
    assert _with(issued["token"]).get("/api/v1/regions/").status_code == 200
    # A day past its expiry the token is refused, and no longer listed or stored.
    AuthToken.objects.filter(user=alice).update(expiry=timezone.now() - timedelta(days=1))
    response = _with(issued["token"]).get("/api/v1/regions/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"
    assert not AuthToken.objects.filter(user=alice).exists()


def test_the_lifetime_comes_from_the_setting(alice, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=2)}
    before = timezone.now()
    issued = _issue()
    # The answer writes the expiry in the portal's time zone, whose date can be a day ahead
    # of UTC's: compare instants, not dates.
    expiry = datetime.fromisoformat(issued["expiry"])
    assert before + timedelta(days=2) <= expiry <= timezone.now() + timedelta(days=2)


def test_tokens_are_stored_as_digests_not_keys(alice):
    issued = _issue()
    row = AuthToken.objects.get(user=alice)
    assert issued["token"] not in (row.digest, row.token_key)
    assert issued["token"].startswith(row.token_key)
    assert issued["id"] == row.token_key


def test_owner_lists_their_tokens_without_keys(alice):
    first, second = _issue(), _issue()
    UserFactory(username="bob")
    _issue("bob")
    response = _with(first["token"]).get("/api/v1/auth/tokens/")
    assert response.status_code == 200
    rows = response.json()
    assert {row["id"] for row in rows} == {first["id"], second["id"]}
    assert [row["current"] for row in rows if row["id"] == first["id"]] == [True]
    assert set(rows[0]) == {"id", "created", "expiry", "current"}
    assert first["token"] not in response.content.decode()


def test_owner_revokes_a_token_and_it_stops_working(alice):
    first, second = _issue(), _issue()
    response = _with(first["token"]).delete(f"/api/v1/auth/tokens/{second['id']}/")
    assert response.status_code == 204
    assert _with(second["token"]).get("/api/v1/regions/").status_code == 401
    assert _with(first["token"]).get("/api/v1/regions/").status_code == 200
    # A token revokes itself too (signing out).
    assert _with(first["token"]).delete(f"/api/v1/auth/tokens/{first['id']}/").status_code == 204
    assert _with(first["token"]).get("/api/v1/regions/").status_code == 401


def test_someone_elses_token_is_not_found_and_stays(alice):
    UserFactory(username="bob")
    mine, bobs = _issue(), _issue("bob")
    response = _with(mine["token"]).delete(f"/api/v1/auth/tokens/{bobs['id']}/")
    missing = _with(mine["token"]).delete("/api/v1/auth/tokens/0123456789abcde/")
    assert response.status_code == 404
    assert response.json() == missing.json() == {"detail": "Not found."}
    assert _with(bobs["token"]).get("/api/v1/regions/").status_code == 200


def test_token_list_needs_a_person_not_a_partner_key(alice, api):
    assert api.get("/api/v1/auth/tokens/").status_code == 401
    from roadmap_portal.api.authentication import generate_key

    key, prefix, hashed = generate_key()
    ApiKey.objects.create(name="k", organisation="o", user=alice, prefix=prefix, hashed_key=hashed)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = client.get("/api/v1/auth/tokens/")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "A partner key cannot manage tokens: sign in with a token or a session."
    }


def test_session_user_sees_their_tokens(alice, client):
    _issue()
    client.force_login(alice)
    response = client.get("/api/v1/auth/tokens/")
    assert response.status_code == 200
    assert [row["current"] for row in response.json()] == [False]


def test_live_tokens_per_person_are_bounded(alice, settings):
    settings.API_TOKENS_PER_USER = 2
    _issue(), _issue()
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "alice", "password": "pass-12345"}, format="json"
    )
    assert response.status_code == 409
    assert "revoke one" in response.json()["detail"]
    assert AuthToken.objects.filter(user=alice).count() == 2


def test_wrong_password_and_missing_fields_are_400_naming_the_field(alice):
    api = APIClient()
    wrong = api.post("/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    missing = api.post("/api/v1/auth/token/", {"username": "alice"}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {"password": ["This field is required."]}


def test_a_request_checks_its_token_in_one_query(alice, django_assert_num_queries):
    issued = _issue()
    AuthToken.objects.create(user=alice, expiry=timedelta(days=-1))
    with django_assert_num_queries(1):
        user, token = PersonTokenAuthentication().authenticate_credentials(issued["token"].encode())
    assert (user, token.token_key) == (alice, issued["token"][: len(token.token_key)])
    # The person's other, expired token is left to the hourly task.
    assert AuthToken.objects.filter(user=alice).count() == 2


def test_the_token_check_loads_the_token_and_its_person_as_the_orm_does(alice):
    """The check's own query gives the same rows, field by field, as knox's queryset."""
    alice.first_name, alice.last_login = "Алиса", timezone.now()
    alice.save()
    issued = _issue()
    AuthToken.objects.create(user=UserFactory(username="bob"))
    token = AuthToken.objects.get(user=alice)
    (loaded,) = tokens_with_key(issued["token"][: len(token.token_key)])
    for field in AuthToken._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(token, field.attname), field.name
    person = get_user_model().objects.get(pk=alice.pk)
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(loaded.user, field.attname) == getattr(person, field.attname), field.name
    assert loaded.user.first_name == "Алиса"
    assert (loaded._state.adding, loaded.user._state.adding) == (False, False)
    assert tokens_with_key("0" * len(token.token_key)) == []


def test_an_inactive_persons_token_and_a_wrong_key_are_refused(alice):
    issued = _issue()
    assert _with(issued["token"][:-4] + "AAAA").get("/api/v1/auth/tokens/").status_code == 401
    alice.is_active = False
    alice.save()
    assert _with(issued["token"]).get("/api/v1/auth/tokens/").status_code == 401


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Token \xe9\xe9abc", "Invalid token."),
        ("Token abc\x00def", "Invalid token."),
        ("Api-Key ab\x00c.def", "The API key is wrong, expired or revoked."),
    ],
    ids=["token-not-utf8", "token-with-nul", "key-with-nul"],
)
def test_a_malformed_credential_is_refused_as_a_wrong_one(header, detail):
    answer = APIClient(raise_request_exception=False).get(
        "/api/v1/regions/", HTTP_AUTHORIZATION=header
    )
    assert (answer.status_code, answer.json()) == (401, {"detail": detail})


def test_the_hourly_task_deletes_the_expired_tokens_and_only_them(alice, settings):
    live = _issue()
    AuthToken.objects.create(user=alice, expiry=timedelta(days=-1))
    AuthToken.objects.create(user=UserFactory(username="bob"), expiry=timedelta(seconds=-1))
    assert delete_expired_tokens() == 2
    assert list(AuthToken.objects.values_list("user__username", flat=True)) == ["alice"]
    assert _with(live["token"]).get("/api/v1/regions/").status_code == 200
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["roadmap_portal.tasks.delete_expired_tokens"]["schedule"].minute == {15}
