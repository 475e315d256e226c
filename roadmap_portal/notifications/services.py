"""Notifications: who hears about what, in the app and by e-mail.

``notify`` makes one in-app row per (recipient, key), so a retried task creates
nothing twice, and one e-mail delivery per notification for those who want it
at once, in one transaction with the tasks that send them (``roadmap_portal.outbox``):
the e-mails of an event exist exactly when its notifications do.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from certification.services import expiry_reminders_due
from procurement.choices import TenderStatus
from procurement.models import Bid, Tender
from roadmap_portal import okpd2
from roadmap_portal.accounts.models import Profile
from roadmap_portal.choices import RoadmapStatus, Role
from roadmap_portal.models import (
    Corporation,
    Demand,
    EmailMode,
    Notification,
    NotificationEvent,
    NotificationPreference,
    Roadmap,
    default_email_mode,
)
from suppliers.choices import OfferStatus, VerificationStatus
from suppliers.models import Offer, Supplier
from suppliers.pipeline import ALIVE

from .delivery import deliveries_create_for


def notify(*, recipients, event, key, message, url="", obj=None):
    """Create a notification for each recipient unless one with ``key`` exists already.

    ``message`` is a callable taking nothing, evaluated in each recipient's language.
    Recipients who want this event by e-mail at once get a pending delivery, sent by a
    task published to the outbox; those who chose the digest get it in the next daily one.
    The notifications, their deliveries and the outbox rows commit together (within the
    caller's transaction when there is one). Returns the number of notifications created.
    """
    users = list(recipients)
    if not users:
        return 0
    user_ids = [user.pk for user in users]
    existing = set(
        Notification.objects.filter(key=key, recipient_id__in=user_ids).values_list(
            "recipient_id", flat=True
        )
    )
    fresh = [user for user in users if user.pk not in existing]
    if not fresh:
        return 0
    fresh_ids = [user.pk for user in fresh]
    modes = email_modes(user_ids=fresh_ids, event=event)
    languages = dict(
        Profile.objects.filter(user_id__in=fresh_ids).values_list("user_id", "language")
    )
    texts = {}
    rows = []
    for user in fresh:
        language = languages.get(user.pk) or settings.LANGUAGE_CODE
        if language not in texts:
            with translation.override(language):
                texts[language] = str(message())
        rows.append(
            Notification(
                recipient_id=user.pk,
                event=event,
                key=key,
                message=texts[language],
                url=url,
                object_type=obj._meta.model_name if obj is not None else "",
                object_id=obj.pk if obj is not None else None,
                email_digest=bool(user.email) and modes[user.pk] == EmailMode.DIGEST,
            )
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                created = Notification.objects.bulk_create(rows, batch_size=1000)
        except IntegrityError:
            # The same event is being notified concurrently: keep whichever rows won (their
            # deliveries are made once, whichever transaction makes them).
            Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
            created = list(
                Notification.objects.filter(
                    key=key, recipient_id__in=[row.recipient_id for row in rows]
                ).only("pk", "recipient_id")
            )
        emails = {user.pk: user.email for user in fresh}
        immediate = [
            row
            for row in created
            if emails.get(row.recipient_id) and modes[row.recipient_id] == EmailMode.IMMEDIATELY
        ]
        if immediate:
            deliveries_create_for(notifications=immediate, event=event)
    return len(created)


def email_modes(*, user_ids, event):
    """Each user's e-mail mode for ``event``: their choice, else the event's default."""
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, event=event).values_list(
            "user_id", "email"
        )
    )
    default = default_email_mode(event)
    return {pk: chosen.get(pk, default) for pk in user_ids}


def preferences_of(user):
    """(event, label, mode) for every event, the user's choice or the default."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "email"))
    return [
        (event.value, event.label, chosen.get(event.value, default_email_mode(event.value)))
        for event in NotificationEvent
    ]


def preferences_save(*, user, modes):
    """Store the user's e-mail mode per event; unknown events or modes are a ValidationError."""
    errors = {}
    for event, mode in modes.items():
        if event not in NotificationEvent.values:
            errors[event] = _("Unknown event.")
        elif mode not in EmailMode.values:
            errors[event] = _("Choose one of: no e-mail, immediately, daily digest.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for event, mode in modes.items():
            NotificationPreference.objects.update_or_create(
                user=user, event=event, defaults={"email": mode}
            )


def users_with_role(role, **scope):
    return (
        get_user_model()
        .objects.filter(
            is_active=True, profile__role=role, **{f"profile__{k}": v for k, v in scope.items()}
        )
        .select_related("profile")
        .order_by("pk")
    )


# --- reads -------------------------------------------------------------------


def notifications_of(user):
    """A person's own notifications, newest first; nobody sees another's."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created", "-id")


def notification_mark_read(*, user, notification_id):
    """Mark one of the user's own notifications read (another's is Notification.DoesNotExist)."""
    notification = notifications_of(user).get(pk=notification_id)
    if not notification.read:
        Notification.objects.filter(pk=notification.pk).update(read=True)
        notification.read = True
    return notification


def notifications_mark_all_read(*, user):
    return notifications_of(user).filter(read=False).update(read=True)


# --- events ------------------------------------------------------------------


def _url(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the page may not be routed in every deployment
        return ""


def supplier_members_for_market(*, customer, categories, offer_statuses=None):
    """Members of verified suppliers that may sell to ``customer``'s group in ``categories``.

    The supplier's region has an active roadmap with the customer's group and the supplier
    has an offer (of ``offer_statuses``, when given) whose OKPD2 code falls under one of the
    categories. One query, whatever the number of suppliers.
    """
    group_id = customer.group_id
    roadmap = Roadmap.objects.filter(
        Corporation.in_group(group_id, "corporation__"),
        region_id=OuterRef("region_id"),
        status=RoadmapStatus.ACTIVE,
    )
    offers = Offer.objects.filter(okpd2.q_falls_under(categories), supplier_id=OuterRef("pk"))
    if offer_statuses is not None:
        offers = offers.filter(status__in=offer_statuses)
    suppliers = Supplier.objects.filter(
        Exists(roadmap), Exists(offers), verification_status=VerificationStatus.VERIFIED
    )
    return users_with_role(Role.SUPPLIER).filter(profile__supplier__in=suppliers.values("pk"))


def notify_tender_opened(tender_id: int) -> int:
    """Tell suppliers who could bid: a registered offer under the tender's categories."""
    tender = Tender.objects.select_related("customer").filter(pk=tender_id).first()
    if tender is None or tender.status not in (TenderStatus.ANNOUNCED, TenderStatus.OPEN):
        return 0
    recipients = supplier_members_for_market(
        customer=tender.customer,
        categories=tender.categories,
        offer_statuses=[OfferStatus.REGISTERED],
    )
    return notify(
        recipients=recipients,
        event=NotificationEvent.TENDER_OPENED,
        key=f"tender_opened:{tender.pk}",
        message=lambda: (
            _(
                "Tender %(number)s “%(title)s” of %(customer)s is open in your categories "
                "until %(deadline)s."
            )
            % {
                "number": tender.number,
                "title": tender.title,
                "customer": tender.customer.short_name,
                "deadline": tender.deadline.isoformat(),
            }
        ),
        url=_url("procurement:tender-detail", tender.pk),
        obj=tender,
    )


def notify_demand_published(demand_id: int) -> int:
    """Tell suppliers whose offers fall under the demand's category (any offer still alive)."""
    demand = Demand.objects.select_related("customer").filter(pk=demand_id).first()
    if demand is None:
        return 0
    recipients = supplier_members_for_market(
        customer=demand.customer, categories=[demand.category], offer_statuses=ALIVE
    )
    return notify(
        recipients=recipients,
        event=NotificationEvent.DEMAND_PUBLISHED,
        key=f"demand_published:{demand.pk}",
        message=lambda: (
            _("%(customer)s needs “%(title)s” (OKPD2 %(category)s).")
            % {
                "customer": demand.customer.short_name,
                "title": demand.title,
                "category": demand.category,
            }
        ),
        url=_url("procurement:demand-detail", demand.pk),
        obj=demand,
    )


def notify_bid_awarded(bid_id: int) -> int:
    """Tell the winning supplier's members that their bid was awarded."""
    bid = Bid.objects.select_related("tender", "tender__customer").filter(pk=bid_id).first()
    if bid is None:
        return 0
    return notify(
        recipients=users_with_role(Role.SUPPLIER, supplier_id=bid.supplier_id),
        event=NotificationEvent.BID_AWARDED,
        key=f"bid_awarded:{bid.pk}",
        message=lambda: (
            _("Your bid on tender %(number)s “%(title)s” was awarded.")
            % {"number": bid.tender.number, "title": bid.tender.title}
        ),
        url=_url("procurement:bid-detail", bid.pk)
        or _url("procurement:tender-detail", bid.tender_id),
        obj=bid,
    )


def expiry_reminders_send(*, on: datetime.date | None = None) -> dict[str, int]:
    """Certificates expiring within 90, 30 and 7 days and on the day remind the supplier's
    members and the reviewers of the corporations whose offers they cover. Each threshold
    is sent once per certificate and term (the key holds both); a renewed certificate, or
    one no longer valid, reminds nobody (``certification.services.expiry_reminders_due``)."""
    sent = 0
    for certificate, left, threshold in expiry_reminders_due(on=on):
        corporation_ids = sorted({o.roadmap.corporation_id for o in certificate.offers.all()})
        # One query: the supplier's members, then the reviewers of those corporations.
        recipients = list(
            get_user_model()
            .objects.filter(is_active=True)
            .filter(
                Q(profile__role=Role.SUPPLIER, profile__supplier_id=certificate.supplier_id)
                | Q(profile__role=Role.REVIEWER, profile__corporation_id__in=corporation_ids)
            )
            .select_related("profile")
            .order_by("pk")
        )
        try:
            url = reverse("certification:certificate-detail", args=[certificate.pk])
        except NoReverseMatch:
            url = ""

        def message(certificate=certificate, left=left):
            if left == 0:
                return _("Certificate %(number)s of %(body)s expires today (%(date)s).") % {
                    "number": certificate.number,
                    "body": certificate.body,
                    "date": certificate.valid_until.isoformat(),
                }
            return _(
                "Certificate %(number)s of %(body)s expires in %(days)d days (on %(date)s)."
            ) % {
                "number": certificate.number,
                "body": certificate.body,
                "days": left,
                "date": certificate.valid_until.isoformat(),
            }

        sent += notify(
            recipients=recipients,
            event="certificate_expiry",
            key=f"cert_expiry:{certificate.pk}:{threshold}:{certificate.valid_until.isoformat()}",
            message=message,
            url=url,
            obj=certificate,
        )
    return {"sent": sent}
