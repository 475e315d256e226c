"""Reads of conversations, each restricted to the reader's scope.

The offer's scoped selector (``suppliers.selectors.offers_visible_to``) decides who reads an
offer's conversation: an offer out of the reader's scope is 404 for its messages too.
Partners read public data only, so no conversation at all. Of the messages, the supplier's
members read those for everyone; the staff of each side also read their own side's internal
notes (region staff the region's, reviewers the corporation's, officers the certification
body's); administrators read everything.
"""

from django.db.models import Prefetch, Q, QuerySet

from roadmap_portal.choices import Role
from roadmap_portal.scope import reads_internal_records, scope_of
from suppliers.choices import OfferStatus
from suppliers.models import Offer
from suppliers.pipeline import CERTIFICATION, CORPORATE
from suppliers.selectors import offers_visible_to

from .choices import NOTE_AUDIENCE_OF_ROLE, Audience
from .models import Message, MessageAttachment


def conversation_offers_for(user) -> QuerySet[Offer]:
    """The offers whose conversation ``user`` reads and writes in: those in the user's
    scope, none for partners."""
    if not reads_internal_records(user):
        return Offer.objects.none()
    return offers_visible_to(user)


def note_audience_of(user) -> str | None:
    """The audience of an internal note ``user`` writes (their side), or None when they
    have no side to keep one for (supplier members, administrators, partners)."""
    scope = scope_of(user)
    if scope.is_admin:
        return None
    return NOTE_AUDIENCE_OF_ROLE.get(scope.role)


def audiences_read_by(user) -> list[str]:
    """The audiences whose messages ``user`` reads on an offer in their conversation scope."""
    scope = scope_of(user)
    if scope.is_admin:
        return list(Audience.values)
    own = NOTE_AUDIENCE_OF_ROLE.get(scope.role)
    return [Audience.EVERYONE, own] if own else [Audience.EVERYONE]


def messages_visible_to(user) -> QuerySet[Message]:
    """Every message ``user`` may read, on any offer: the one way to reach a message."""
    return Message.objects.filter(
        offer__in=conversation_offers_for(user).values("pk"),
        audience__in=audiences_read_by(user),
    )


def offer_messages_for(user, offer: Offer) -> QuerySet[Message]:
    """The messages of ``offer`` (already in the reader's scope) that ``user`` reads, oldest
    first, with their authors and attachments: two queries whatever their number."""
    return (
        Message.objects.filter(offer=offer, audience__in=audiences_read_by(user))
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.order_by("id"))
        )
        .order_by("created", "id")
    )


def message_attachments_visible_to(user) -> QuerySet[MessageAttachment]:
    """Attachments of the messages ``user`` reads: the only way to reach a stored file."""
    return MessageAttachment.objects.select_related("message").filter(
        message__in=messages_visible_to(user).values("pk")
    )


def staff_recipients_q(offer: Offer) -> Q:
    """Profiles of the staff whose scope holds ``offer`` now, by the same status groups as
    ``offers_visible_to``: the region's staff once it is submitted, the corporation's
    reviewers from forwarding, the certification body's officers from testing."""
    q = Q(pk__in=[])
    if offer.status != OfferStatus.DRAFT:
        q |= Q(profile__role=Role.REGION_STAFF, profile__region_id=offer.supplier.region_id)
    corporation = offer.roadmap.corporation
    if offer.status in CORPORATE:
        q |= Q(profile__role=Role.REVIEWER, profile__corporation_id=corporation.pk)
    if offer.status in CERTIFICATION and corporation.required_body_id:
        q |= Q(
            profile__role=Role.OFFICER, profile__certification_body_id=corporation.required_body_id
        )
    return q
