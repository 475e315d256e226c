"""How API callers prove who they are.

* People: ``Authorization: Token KEY`` (django-rest-knox), checked in one query by
  :class:`PersonTokenAuthentication`.
* Partners: ``Authorization: Api-Key KEY``; the key's prefix finds the row, its hash proves it.
"""

import hashlib
import hmac
import secrets

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from knox.signals import token_expired
from rest_framework import authentication, exceptions

from roadmap_portal.models import ApiKey

PREFIX_LENGTH = 8


def hash_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key():
    """A new key: (full key to show once, prefix, hash to store)."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    return key, prefix, hash_key(key)


class PersonTokenAuthentication(TokenAuthentication):
    """knox's token check in one query: the token, found by its prefix, with its person.

    knox also reads all of the person's other tokens on every request, to delete those past
    their expiry: a second query per request. Here the hourly task
    ``roadmap_portal.tasks.delete_expired_tokens`` deletes them. The token presented is
    still refused and deleted at once when it has expired, as knox does.
    """

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
