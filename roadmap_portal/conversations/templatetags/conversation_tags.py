"""The offer's timeline: its transitions and the conversation's messages, by time."""

from django import template
from django.conf import settings

from roadmap_portal.scope import reads_internal_records

from ..choices import Audience
from ..forms import MessageForm
from ..selectors import note_audience_of, offer_messages_for
from ..services import MAX_ATTACHMENTS
from ..views import DRAFT_KEY

register = template.Library()


@register.simple_tag(takes_context=True)
def offer_timeline(context, offer, history):
    """What the offer page's ``#history`` shows: ``entries`` (each with ``kind``
    ``transition`` or ``message`` and its ``row``) interleaved by time, and the message form
    when the reader takes part in the conversation (partners read the history only)."""
    request = context["request"]
    user = request.user
    rows = [("transition", row) for row in history]
    timeline = {"entries": [], "form": None}
    if reads_internal_records(user):
        rows += [("message", message) for message in offer_messages_for(user, offer)]
        audience = note_audience_of(user)
        draft = request.session.pop(DRAFT_KEY.format(offer=offer.pk), None)
        timeline.update(
            form=MessageForm(initial={"body": draft} if draft else None, auto_id="message-%s"),
            note_label=Audience(audience).label if audience else "",
            max_attachments=MAX_ATTACHMENTS,
            max_upload_mb=round(settings.MAX_UPLOAD_BYTES / 1_048_576, 1),
        )
    # Transitions first at the same instant: a return's comment before the answer to it.
    order = {"transition": 0, "message": 1}
    rows.sort(key=lambda item: (item[1].created, order[item[0]], item[1].pk))
    timeline["entries"] = [{"kind": kind, "row": row} for kind, row in rows]
    return timeline
