"""A person's API tokens: issued for username and password, expiring, listed and revoked.

Tokens are django-rest-knox's: stored as a SHA-512 digest with a 15-character prefix to find
them, several per person, each with its own expiry (``API_TOKEN_LIFETIME_DAYS``). A token
past its expiry answers 401 and is deleted. Clients send ``Authorization: Token KEY``.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from roadmap_portal.models import ApiKey

from .exceptions import Conflict

LOCKED_OUT = OpenApiResponse(
    description=(
        "Too many failed sign-ins for this username from this address, from this address "
        "for any usernames, or for this username from any addresses: locked for the "
        "cool-off (`Retry-After` seconds; each further attempt starts it again)."
    ),
    response={
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
)


def _live() -> Q:
    """A token that still works: no expiry, or one still ahead."""
    return Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())


def live_tokens_of(user: Any) -> QuerySet[AuthToken]:
    """The person's tokens that still work, newest first."""
    return AuthToken.objects.filter(user=user).filter(_live())


def delete_expired_tokens() -> int:
    """Delete every person's tokens that no longer work (beat's hourly task: the token check
    reads only the token presented). Returns how many."""
    deleted, _rows = AuthToken.objects.exclude(_live()).delete()
    return deleted


def revoke_token_of(user: Any, token_key: str) -> bool:
    """Revoke one of the person's live tokens (the API's DELETE and the profile page)."""
    deleted, _rows = live_tokens_of(user).filter(token_key=token_key).delete()
    return bool(deleted)


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("Username"), max_length=150)
    password = serializers.CharField(
        label=_("Password"),
        max_length=4096,
        style={"input_type": "password"},
        trim_whitespace=False,
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The Django request, not DRF's wrapper: axes marks a locked-out sign-in on it, and
        # its middleware answers 429 for it.
        request = self.context["request"]._request
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                _("Unable to log in with provided credentials."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send it as `Authorization: Token KEY`."))
    id = serializers.CharField(help_text=_("The token's prefix: names it in the token list."))
    expiry = serializers.DateTimeField(help_text=_("After this time the token answers 401."))


class TokenSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="token_key", read_only=True)
    current = serializers.SerializerMethodField(
        help_text=_("Whether this request was authenticated with this token.")
    )

    class Meta:
        model = AuthToken
        fields = ["id", "created", "expiry", "current"]

    def get_current(self, token: AuthToken) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, AuthToken) and auth.digest == token.digest


class ObtainTokenView(APIView):
    """Issue a token for a username and password."""

    # A wrong token or key in the header is still a 401, as everywhere.
    permission_classes = [permissions.AllowAny]
    serializer_class = CredentialsSerializer

    @extend_schema(
        summary="Issue an API token for a username and password",
        description=(
            "Each call issues a new token, valid for `API_TOKEN_LIFETIME_DAYS` days (30 by "
            "default); the key is shown only here. List and revoke your tokens at "
            "`/api/v1/auth/tokens/`. 409 when you already hold the maximum of live tokens "
            "(`API_TOKENS_PER_USER`, 10 by default). Failed sign-ins are counted per "
            "username and address, per address and per username: past the limits the "
            "answer is 429 with `Retry-After`, the right password included."
        ),
        request=CredentialsSerializer,
        responses={200: IssuedTokenSerializer, 429: LOCKED_OUT},
        parameters=[
            OpenApiParameter(
                "Retry-After",
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[429],
                description="Seconds until the lock ends.",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        credentials = CredentialsSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        user = credentials.validated_data["user"]
        if live_tokens_of(user).count() >= settings.API_TOKENS_PER_USER:
            raise Conflict(
                _(
                    "You hold %(count)d live tokens, the most allowed: revoke one at "
                    "/api/v1/auth/tokens/ first."
                )
                % {"count": settings.API_TOKENS_PER_USER}
            )
        instance, key = AuthToken.objects.create(user=user)
        body = {"token": key, "id": instance.token_key, "expiry": instance.expiry}
        return Response(IssuedTokenSerializer(body).data, status=status.HTTP_200_OK)


class SignedInPerson(permissions.IsAuthenticated):
    """A person signed in with a token or a session: a partner key does not manage its
    account's tokens (403)."""

    message = _("A partner key cannot manage tokens: sign in with a token or a session.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and not isinstance(request.auth, ApiKey)


class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your own API tokens: list them (no keys, only their prefixes) and revoke any of them."""

    permission_classes = [SignedInPerson]
    serializer_class = TokenSerializer
    lookup_field = "token_key"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-f]{1,15}"
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self) -> QuerySet[AuthToken]:
        return live_tokens_of(self.request.user).order_by("-created", "token_key")

    def perform_destroy(self, instance: AuthToken) -> None:
        revoke_token_of(self.request.user, instance.token_key)


class KnoxTokenScheme(OpenApiAuthenticationExtension):
    target_class = "roadmap_portal.api.authentication.PersonTokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A person's token: `Token KEY`, from `POST /api/v1/auth/token/`; it expires "
                "after `API_TOKEN_LIFETIME_DAYS` days."
            ),
        }
