"""The home page: each role's waiting work, and the system's health or the partner's keys."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from roadmap_portal.scope import scope_of

from .agenda import home_agenda
from .home_pages import admin_health, partner_overview


@login_required
def home(request):
    """The user's waiting work; the system's health for an administrator, their keys and
    webhook endpoints for a partner (``home_pages``)."""
    context = {"agenda": home_agenda(request.user)}
    scope = scope_of(request.user)
    if scope.is_admin:
        context["health"] = admin_health()
    elif scope.is_partner:
        context["partner"] = partner_overview(request.user)
    return render(request, "roadmap_portal/home.html", context)
