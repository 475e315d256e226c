"""What each webhook event says, and who may hear it: the object must be in the owner's scope.

Each function takes ids, builds the payload and calls ``webhook_event``; calling one twice
for the same occurrence delivers nothing twice.
"""

from django.urls import reverse

from procurement.models import Contract, Tender
from procurement.selectors import contracts_visible_to, tenders_visible_to
from roadmap_portal.models import Report
from roadmap_portal.selectors import reports_visible_to
from suppliers.choices import OfferStatus
from suppliers.models import OfferTransition
from suppliers.selectors import offers_visible_to, public_comment

from .models import WebhookEvent
from .services import webhook_event


def _company(supplier):
    return {"id": supplier.pk, "name": supplier.name, "inn": supplier.inn}


def offer_transition_event(transition_id):
    """``offer.registered`` / ``offer.excluded`` after an offer's transition to that status."""
    events = {
        OfferStatus.REGISTERED: WebhookEvent.OFFER_REGISTERED,
        OfferStatus.EXCLUDED: WebhookEvent.OFFER_EXCLUDED,
    }
    history = (
        OfferTransition.objects.select_related(
            "offer", "offer__supplier", "offer__supplier__region", "offer__roadmap"
        )
        .filter(pk=transition_id)
        .first()
    )
    if history is None or history.to_status not in events:
        return 0
    offer = history.offer
    event = events[history.to_status]
    payload = {
        "offer": {
            "id": offer.pk,
            "name": offer.name,
            "okpd2": offer.okpd2,
            "status": history.to_status,
            "supplier": _company(offer.supplier),
            "region": offer.supplier.region.code,
            "roadmap": offer.roadmap_id,
            "corporation": offer.roadmap.corporation_id,
        },
        "transition": {
            "action": history.action,
            "from": history.from_status,
            "to": history.to_status,
            # Partners own the endpoints: what the history shows them (the exclusion reason
            # that the register publishes, no reviewer's remark).
            "comment": public_comment(history),
            "at": history.created,
        },
    }
    return webhook_event(
        event,
        f"{event}:{history.pk}",
        payload,
        lambda user: offers_visible_to(user).filter(pk=offer.pk).exists(),
    )


def tender_event(tender_id, event):
    """``tender.opened`` or ``tender.awarded`` (with the award: winner, amount, date)."""
    tender = Tender.objects.select_related("customer").filter(pk=tender_id).first()
    if tender is None:
        return 0
    payload = {
        "tender": {
            "id": tender.pk,
            "number": tender.number,
            "title": tender.title,
            "customer": {"id": tender.customer_id, "name": tender.customer.short_name},
            "categories": tender.categories,
            "published_on": tender.published_on,
            "deadline": tender.deadline,
            "estimated_value": tender.estimated_value,
            "status": tender.status,
        }
    }
    contract = None
    if event == WebhookEvent.TENDER_AWARDED:
        contract = (
            Contract.objects.select_related("supplier")
            .filter(tender_id=tender.pk)
            .order_by("id")
            .first()
        )

    def payload_for(user):
        if event != WebhookEvent.TENDER_AWARDED:
            return payload
        # The award names the winner only to an owner whose scope holds the contract (a key
        # of another region sees the tender awarded, not to whom).
        visible = (
            contract is not None and contracts_visible_to(user).filter(pk=contract.pk).exists()
        )
        award = (
            {
                "supplier": _company(contract.supplier),
                "amount": contract.amount,
                "signed_on": contract.signed_on,
                "contract": contract.pk,
            }
            if visible
            else None
        )
        return {**payload, "award": award}

    return webhook_event(
        event,
        f"{event}:{tender.pk}",
        payload_for,
        lambda user: tenders_visible_to(user).filter(pk=tender.pk).exists(),
    )


def report_ready_event(report_id):
    """``report.ready`` for a finished report, with the API path of its PDF."""
    report = Report.objects.select_related("region").filter(pk=report_id, status="done").first()
    if report is None:
        return 0
    payload = {
        "report": {
            "id": report.pk,
            "year": report.year,
            "scope": report.scope,
            "roadmap": report.roadmap_id,
            "region": report.region.code if report.region_id else None,
            "corporation": report.corporation_id,
            "language": report.language,
            "url": reverse("reports-detail", args=[report.pk]),
        }
    }
    return webhook_event(
        WebhookEvent.REPORT_READY,
        f"{WebhookEvent.REPORT_READY}:{report.pk}",
        payload,
        lambda user: reports_visible_to(user).filter(pk=report.pk).exists(),
    )
