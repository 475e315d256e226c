"""Who hears about a message in an offer's conversation.

A message for everyone goes to the other side: one written by the supplier's member to the
staff whose scope holds the offer now (the region's staff, the corporation's reviewers, the
certification body's officers, by the offer's stage), one written by staff or an
administrator to the supplier's members. An internal note goes to the other staff of the
author's side who see the offer, never to the supplier. The author is never told about
their own message. Each person hears in the app, and by e-mail at once, in the daily digest
or not at all as they chose for the ``offer_message`` event.
"""

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from roadmap_portal.choices import Role
from roadmap_portal.models import NotificationEvent
from roadmap_portal.notifications.services import notify

from .choices import NOTE_AUDIENCE_OF_ROLE
from .models import Message
from .selectors import staff_recipients_q

EXCERPT_LENGTH = 140


def message_recipients(message: Message):
    """The active people a message notifies (see the module's docstring)."""
    offer = message.offer
    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(pk=message.author_id)
        .select_related("profile")
        .order_by("pk")
    )
    if message.is_internal:
        roles = [
            role for role, audience in NOTE_AUDIENCE_OF_ROLE.items() if audience == message.audience
        ]
        return people.filter(staff_recipients_q(offer), profile__role__in=roles)
    if message.author_role == Role.SUPPLIER:
        return people.filter(staff_recipients_q(offer))
    return people.filter(profile__role=Role.SUPPLIER, profile__supplier_id=offer.supplier_id)


def notify_message(message_id: int) -> int:
    message = (
        Message.objects.select_related(
            "author",
            "offer",
            "offer__supplier",
            "offer__roadmap",
            "offer__roadmap__corporation",
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return 0
    offer = message.offer
    author = message.author.get_full_name() or message.author.get_username()
    excerpt = Truncator(" ".join(message.body.split())).chars(EXCERPT_LENGTH)

    def text():
        values = {"author": author, "offer": offer.name, "excerpt": excerpt}
        if message.is_internal:
            return _("Internal note by %(author)s on “%(offer)s”: %(excerpt)s") % values
        return _("%(author)s wrote on “%(offer)s”: %(excerpt)s") % values

    return notify(
        recipients=message_recipients(message),
        event=NotificationEvent.OFFER_MESSAGE,
        key=f"offer_message:{message.pk}",
        message=text,
        url=reverse("suppliers:offer-detail", args=[offer.pk]) + f"#message-{message.pk}",
        obj=offer,
    )
