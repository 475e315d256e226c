"""Writes of conversations. Each service states the rule it enforces."""

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from roadmap_portal.exceptions import RoleNotAllowed
from roadmap_portal.input_limits import check_free_text
from roadmap_portal.outbox.services import NOTIFICATIONS, publish
from roadmap_portal.scope import scope_of
from suppliers.validators import pdf_stored_name, validate_pdf_upload

from .choices import Audience
from .models import Message, MessageAttachment
from .selectors import conversation_offers_for, note_audience_of
from .tasks import notify_offer_message

# Files one message may carry, each a PDF within MAX_UPLOAD_BYTES.
MAX_ATTACHMENTS = 5


def clean_body(body: str | None) -> str:
    """The message as kept: line breaks as ``\\n``, outer blank space trimmed."""
    return (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def message_post(
    *, offer_id: int, user: Any, body: str, internal: bool = False, uploads: Iterable = ()
) -> Message:
    """Post a message in an offer's conversation, or an internal note.

    The offer must be in the author's conversation scope (else ``Offer.DoesNotExist``: 404;
    partners have none). An internal note is for the author's side only and is written by
    region staff, corporate reviewers and certification officers (else ``RoleNotAllowed``:
    403); supplier members and administrators post to everyone. The text is plain, not empty
    and within ``INPUT_TEXT_MAX_LENGTH``; at most ``MAX_ATTACHMENTS`` files, each a PDF within
    ``MAX_UPLOAD_BYTES`` (the datasheet rules), stored under generated names in the default
    storage. Everything is checked before anything is written: the message, its attachments
    and the notification task commit together or not at all (files already stored are
    removed again). The other side is notified after commit (``notifications``).
    """
    offer = conversation_offers_for(user).get(pk=offer_id)
    scope = scope_of(user)
    audience = Audience.EVERYONE
    if internal:
        audience = note_audience_of(user)
        if audience is None:
            raise RoleNotAllowed(
                _(
                    "Internal notes are kept by region staff, corporate reviewers and "
                    "certification officers for their own side; post your message to everyone "
                    "on the offer instead."
                )
            )
    body = clean_body(body)
    if not body:
        raise ValidationError({"body": [_("Write the message: it is empty.")]})
    check_free_text(body, field="body")
    uploads = [upload for upload in uploads if upload is not None]
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationError(
            {
                "attachments": [
                    ngettext(
                        "%(count)d files were sent; a message carries at most %(limit)d file.",
                        "%(count)d files were sent; a message carries at most %(limit)d files.",
                        MAX_ATTACHMENTS,
                    )
                    % {"count": len(uploads), "limit": MAX_ATTACHMENTS}
                ]
            }
        )
    for upload in uploads:
        validate_pdf_upload(upload, field="attachments")

    stored: list[str] = []
    try:
        attachments = []
        for upload in uploads:
            upload.seek(0)
            name = default_storage.save(f"conversations/{offer.pk}/{uuid.uuid4().hex}.pdf", upload)
            stored.append(name)
            attachments.append(
                MessageAttachment(
                    file=name,
                    original_name=pdf_stored_name(upload.name, default="attachment.pdf"),
                    size=upload.size,
                )
            )
        with transaction.atomic():
            message = Message.objects.create(
                offer=offer,
                author=user,
                author_role=scope.role or "",
                audience=audience,
                body=body,
            )
            for attachment in attachments:
                attachment.message = message
            MessageAttachment.objects.bulk_create(attachments)
            _notify(message.pk)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    message.offer = offer
    return message


def _notify(message_id: int) -> None:
    """Publish the message's notifications to the outbox, in the message's transaction."""
    publish(
        notify_offer_message,
        key=f"notify_offer_message:{message_id}",
        kwargs={"message_id": message_id},
        queue=NOTIFICATIONS,
    )
