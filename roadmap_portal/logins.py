"""Password guessing: django-axes counts failed sign-ins on every way in (the portal's login,
the admin's login, ``POST /api/v1/auth/token/``) and locks out for a cool-off period.

Three counts, each with its own limit (settings ``LOGIN_FAILURE_LIMIT``,
``LOGIN_ADDRESS_FAILURE_LIMIT``, ``LOGIN_ACCOUNT_FAILURE_LIMIT``):

* one account from one address: a person mistyping, or a guesser at one account;
* one address, any accounts: a guesser spraying passwords over many accounts;
* one account, any addresses: a guesser spread over many addresses.

The two wide counts have higher limits: an office behind one address, or a locked-out person
trying from home, should not be shut out by a few typos of others.
"""

from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext


class TieredLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit per count instead of one limit for all.

    Axes compares one number, the failures, with ``AXES_FAILURE_LIMIT`` (the limit of one
    account from one address). The wide counts are scaled to that limit:
    ``floor(n * limit / wide_limit) >= limit`` exactly when ``n >= wide_limit``.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # One queryset per group of AXES_LOCKOUT_PARAMETERS, in the settings' order:
        # account and address, address, account.
        pair, address, account = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        limit = settings.AXES_FAILURE_LIMIT
        return max(
            pair,
            address * limit // settings.LOGIN_ADDRESS_FAILURE_LIMIT,
            account * limit // settings.LOGIN_ACCOUNT_FAILURE_LIMIT,
        )


def client_address(request: HttpRequest) -> str | None:
    """The address failures are counted for (``AXES_CLIENT_IP_CALLABLE``).

    Directly reached, ``REMOTE_ADDR``. Behind ``LOGIN_TRUSTED_PROXY_COUNT`` reverse proxies
    that each append the address they were reached from to ``X-Forwarded-For``, the entry
    that many places from the right: what stands further left is the client's own claim,
    which anyone can forge.
    """
    count = settings.LOGIN_TRUSTED_PROXY_COUNT
    if count:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        hops = [hop.strip() for hop in forwarded if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")


def _cool_off(request: HttpRequest) -> timedelta:
    return get_cool_off(request) or timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def lockout_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-in attempts: the account is locked for %(minutes)d minute.",
        "Too many failed sign-in attempts: the account is locked for %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """Axes' answer to a locked-out sign-in: 429 with ``Retry-After`` (the cool-off, which
    every further failure starts again); the API's JSON error, or the portal's page."""
    seconds = int(_cool_off(request).total_seconds())
    minutes = max(1, -(-seconds // 60))
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": lockout_message(minutes)}, status=429)
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"minutes": minutes, "message": lockout_message(minutes)},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
