import functools
from collections.abc import Callable
from http import HTTPStatus

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import translation


def _profile_language(user) -> str | None:
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return profile.language if profile is not None else None


def _signed_in_session(request: HttpRequest, user) -> bool:
    """Whether the session signs ``user`` in (an API token authenticates no session)."""
    session = getattr(request, "session", None)
    return session is not None and session.get(SESSION_KEY) == str(user.pk)


class UserLanguageMiddleware:
    """A signed-in user's saved language (``Profile.language``).

    At sign-in, by any way in (the login page, a registration or invitation link, the admin),
    the saved language is applied: the response that signs the person in sets the language
    cookie to it. Afterwards the cookie (set by the RU/EN buttons, which also save the choice
    in the profile) wins; without a cookie (a new browser session) the saved language is used.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        signed_in_as = user.pk if user is not None and user.is_authenticated else None
        if signed_in_as is not None and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            language = _profile_language(user)
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.pk != signed_in_as
            and _signed_in_session(request, user)
        ):
            language = _profile_language(user)  # signed in by this request
            if language:
                set_language_cookie(response, language)
        return response


def set_language_cookie(response, language: str) -> None:
    """Django's language cookie, as ``set_language`` writes it: the next pages are in
    ``language`` before and after signing in."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


# What a view may set on its answer to change or drop django-csp's policy for it.
_POLICY_OF_ITS_OWN = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt",
    "_csp_exempt_ro",
)


@functools.cache
def _settings_policies() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """``(header, policy, excluded path prefixes)`` of the settings' policy and report-only
    policy, as django-csp writes them for an answer that changes neither."""
    policies = []
    for header, name, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
    ):
        policy = build_policy(report_only=report_only)
        if policy:
            prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            policies.append((header, policy, tuple(prefixes)))
    return tuple(policies)


@receiver(setting_changed)
def _policy_changed(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.cache_clear()


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the settings' policy written once per process.

    django-csp builds the header from the settings on every answer (about a tenth of a 304's
    time in Python). An answer with a nonce, or whose view updated, replaced or dropped the
    policy, still gets django-csp's own; any other gets the policy it would write, kept."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _POLICY_OF_ITS_OWN
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (
            HTTPStatus.INTERNAL_SERVER_ERROR,
            HTTPStatus.NOT_FOUND,
        ):
            return response  # Django's debug pages, as django-csp leaves them
        for header, policy, excluded in _settings_policies():
            if header not in response and not request.path_info.startswith(excluded):
                response[header] = policy
        # As django-csp: a nonce asked for after the header was written is an error.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response
