"""Bulk actions of the offer, screening and supplier lists: thin, the services decide each
row (``offers_bulk_transition``, ``suppliers_bulk_verify``); the results show above the
list the form came from."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from roadmap_portal import bulk

from .services import offers_bulk_transition, suppliers_bulk_verify


@login_required
@require_POST
def offer_bulk(request):
    return bulk.run_from_form(
        request,
        offers_bulk_transition,
        default=reverse("suppliers:offer-list"),
        user=request.user,
        action=request.POST.get("action", ""),
        comment=request.POST.get("comment", ""),
    )


def _decide(*, user, ids, action, comment):
    if action not in ("verify", "reject"):
        raise ValidationError({"action": _("Choose whether to verify or reject the suppliers.")})
    return suppliers_bulk_verify(user=user, ids=ids, verified=action == "verify", comment=comment)


@login_required
@require_POST
def supplier_bulk(request):
    return bulk.run_from_form(
        request,
        _decide,
        default=reverse("suppliers:supplier-list"),
        user=request.user,
        action=request.POST.get("action", ""),
        comment=request.POST.get("comment", ""),
    )
