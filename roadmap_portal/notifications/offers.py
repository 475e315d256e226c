"""Who hears about an offer's transition (the notification layer's subscriber of
``offer.transitioned``: ``roadmap_portal.notifications.tasks.notify_offer_transition``)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from roadmap_portal.choices import Role
from roadmap_portal.notifications.services import notify, users_with_role
from suppliers.choices import OfferStatus
from suppliers.models import OfferTransition
from suppliers.pipeline import waiting_role


def notify_transition(transition_id: int) -> int:
    history = (
        OfferTransition.objects.select_related(
            "offer", "offer__supplier", "offer__roadmap", "offer__roadmap__corporation"
        )
        .filter(pk=transition_id)
        .first()
    )
    if history is None:
        return 0
    offer = history.offer
    try:
        url = reverse("suppliers:offer-detail", args=[offer.pk])
    except Exception:  # the offer page may not be routed in every deployment
        url = ""
    to_status = OfferStatus(history.to_status)
    created = notify(
        recipients=users_with_role(Role.SUPPLIER, supplier_id=offer.supplier_id),
        event="offer_status",
        key=f"offer_status:{history.pk}",
        message=lambda: (
            _("“%(offer)s” is now %(status)s.") % {"offer": offer.name, "status": to_status.label}
            + (f" {_('Comment')}: {history.comment}" if history.comment else "")
        ),
        url=url,
        obj=offer,
    )
    corporation = offer.roadmap.corporation
    queue = []
    waiting = waiting_role(
        to_status, certification_required=corporation.required_body_id is not None
    )
    if waiting == Role.REGION_STAFF:
        queue = users_with_role(Role.REGION_STAFF, region_id=offer.supplier.region_id)
    elif waiting == Role.REVIEWER:
        queue = users_with_role(Role.REVIEWER, corporation_id=corporation.pk)
    elif waiting == Role.OFFICER:
        queue = users_with_role(Role.OFFICER, certification_body_id=corporation.required_body_id)
    created += notify(
        recipients=queue,
        event="queue_work",
        key=f"queue_work:{history.pk}",
        message=lambda: (
            _("New work: “%(offer)s” of %(supplier)s is %(status)s.")
            % {"offer": offer.name, "supplier": offer.supplier.name, "status": to_status.label}
        ),
        url=url,
        obj=offer,
    )
    return created
