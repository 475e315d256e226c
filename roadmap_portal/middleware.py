from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
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
