"""Bulk actions of the register: thin, ``register_entries_bulk_transition`` decides each
entry; the results show above the register page the form came from."""

from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.views.decorators.http import require_POST

from roadmap_portal import bulk

from .services import register_entries_bulk_transition


@login_required
@require_POST
def register_bulk(request):
    return bulk.run_from_form(
        request,
        register_entries_bulk_transition,
        default=reverse("certification:register"),
        user=request.user,
        action=request.POST.get("action", ""),
        comment=request.POST.get("comment", ""),
    )
