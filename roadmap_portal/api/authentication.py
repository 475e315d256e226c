"""How API callers prove who they are.

* People: ``Authorization: Token KEY`` (django-rest-knox), checked in one query by
  :class:`PersonTokenAuthentication`.
* Partners: ``Authorization: Api-Key KEY``; the key's prefix finds the row, its hash proves it.
"""

import binascii
import functools
import hashlib
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import authentication, exceptions

from roadmap_portal.db.postgresql.base import run_statement
from roadmap_portal.models import ApiKey

PREFIX_LENGTH = 8


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key():
    """A new key: (full key to show once, prefix, hash to store)."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


@functools.cache
def _token_select() -> tuple[str, list[str], list[str]]:
    """The SQL of the token check (the tokens with a prefix, each with its person's row) and
    the attribute names of its token and person columns.

    Written once per process from the two models' columns: the same query knox makes with
    ``filter(token_key=...).select_related("user")``, without building and compiling the
    queryset on every request (that was about 0.34 ms of the 0.40 ms of CPU the check took,
    the SQL alone 0.06 ms)."""
    user_model = get_user_model()
    quote = connections[router.db_for_read(AuthToken)].ops.quote_name
    token_table, user_table = quote(AuthToken._meta.db_table), quote(user_model._meta.db_table)
    columns = [
        f"{table}.{quote(field.column)}"
        for table, model in ((token_table, AuthToken), (user_table, user_model))
        for field in model._meta.concrete_fields
    ]
    user_fk = AuthToken._meta.get_field("user")
    # Table and column names from the models' metadata, quoted; the key is a parameter.
    sql = (
        f"SELECT {', '.join(columns)} FROM {token_table} "  # noqa: S608
        f"JOIN {user_table} ON {user_table}.{quote(user_model._meta.pk.column)} = "
        f"{token_table}.{quote(user_fk.column)} "
        f"WHERE {token_table}.{quote(AuthToken._meta.get_field('token_key').column)} = %s"
    )
    token_names = [field.attname for field in AuthToken._meta.concrete_fields]
    user_names = [field.attname for field in user_model._meta.concrete_fields]
    return sql, token_names, user_names


def tokens_with_key(token_key: str) -> list[AuthToken]:
    """The tokens whose prefix is ``token_key``, each with its person loaded (one query)."""
    user_model = get_user_model()
    database = router.db_for_read(AuthToken)
    sql, token_names, user_names = _token_select()
    connection = connections[database]
    with connection.cursor() as cursor:
        run_statement(connection, cursor, sql, [token_key])
        rows = cursor.fetchall()
    tokens = []
    for row in rows:
        token = AuthToken.from_db(database, token_names, row[: len(token_names)])
        token.user = user_model.from_db(database, user_names, row[len(token_names) :])
        tokens.append(token)
    return tokens


class PersonTokenAuthentication(TokenAuthentication):
    """knox's token check in one query: the token, found by its prefix, with its person.

    knox also reads all of the person's other tokens on every request, to delete those past
    their expiry: a second query per request. Here the hourly task
    ``roadmap_portal.tasks.delete_expired_tokens`` deletes them. The token presented is
    still refused and deleted at once when it has expired, as knox does. The query itself is
    written once per process (:func:`tokens_with_key`); the rest is knox's own check.
    """

    def authenticate_credentials(self, token: bytes):
        msg = _("Invalid token.")
        # A header that is not UTF-8 or holds a NUL is no token (PostgreSQL refuses a NUL in
        # a parameter): the same 401 as a wrong one, not a server error.
        try:
            key = token.decode("utf-8")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed(msg) from error
        if "\x00" in key:
            raise exceptions.AuthenticationFailed(msg)
        for auth_token in tokens_with_key(key[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(key)
            except (TypeError, binascii.Error) as error:
                raise exceptions.AuthenticationFailed(msg) from error
            if hmac.compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        if auth_token.expiry is None or auth_token.expiry >= timezone.now():
            return False
        username = auth_token.user.get_username()
        auth_token.delete()
        token_expired.send(sender=self.__class__, username=username, source="auth_token")
        return True


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give the key as “Api-Key KEY”."))
        key = header[1]
        if "\x00" in key:  # PostgreSQL refuses a NUL in a parameter: no key has one
            raise exceptions.AuthenticationFailed(_("The API key is wrong, expired or revoked."))
        prefix = key.split(".", 1)[0]
        now = timezone.now()
        api_key = (
            ApiKey.objects.select_related("user")
            .filter(prefix=prefix, revoked__isnull=True)
            .filter(Q(expires__isnull=True) | Q(expires__gt=now))
            .first()
        )
        if api_key is None or not hmac.compare_digest(api_key.hashed_key, hash_key(key)):
            raise exceptions.AuthenticationFailed(_("The API key is wrong, expired or revoked."))
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed(_("The API key's account is disabled."))
        ApiKey.objects.filter(pk=api_key.pk).update(last_used=now)
        user = api_key.user
        user._api_key = api_key
        return user, api_key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "roadmap_portal.api.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Partner key: `Api-Key KEY`.",
        }
