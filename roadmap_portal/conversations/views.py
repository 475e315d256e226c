"""The conversation on an offer's page: posting a message and downloading its files.

The thread itself is shown in the offer's timeline (``templatetags.conversation_tags``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from roadmap_portal.exceptions import RoleNotAllowed
from roadmap_portal.storage import stored_file_response

from .forms import MessageForm
from .selectors import conversation_offers_for, message_attachments_visible_to
from .services import message_post

# The text of a message that was refused, kept for the form on the offer's page.
DRAFT_KEY = "conversation_draft:{offer}"


def _offer_url(pk, anchor="conversation"):
    return f"{reverse('suppliers:offer-detail', args=[pk])}#{anchor}"


def _error_text(exc):
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return " ".join(str(m) for errors in exc.message_dict.values() for m in errors)
        return " ".join(str(m) for m in exc.messages)
    return str(getattr(exc, "message", exc))


@login_required
@require_POST
def message_create(request, offer_pk):
    """POST ``body`` (plain text), ``internal`` (a note for the author's side) and PDF
    ``attachments``; back to the offer's timeline, with the error said when refused."""
    offer = get_object_or_404(conversation_offers_for(request.user), pk=offer_pk)
    form = MessageForm(request.POST, request.FILES)
    body = request.POST.get("body", "")
    if not form.is_valid():
        errors = " ".join(str(m) for field in form.errors.values() for m in field)
        messages.error(request, _("The message was not sent: %(errors)s") % {"errors": errors})
        request.session[DRAFT_KEY.format(offer=offer.pk)] = body
        return redirect(_offer_url(offer.pk, "message-form"))
    try:
        message = message_post(
            offer_id=offer.pk,
            user=request.user,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data.get("internal", False),
            uploads=form.cleaned_data["attachments"],
        )
    except (ValidationError, RoleNotAllowed) as exc:
        messages.error(
            request, _("The message was not sent: %(errors)s") % {"errors": _error_text(exc)}
        )
        request.session[DRAFT_KEY.format(offer=offer.pk)] = body
        return redirect(_offer_url(offer.pk, "message-form"))
    request.session.pop(DRAFT_KEY.format(offer=offer.pk), None)
    if message.is_internal:
        messages.success(request, _("Your internal note was added."))
    else:
        messages.success(request, _("Your message was sent."))
    return redirect(_offer_url(offer.pk, f"message-{message.pk}"))


@login_required
@require_GET
def attachment_download(request, offer_pk, attachment_pk):
    """A message's file, for whoever reads the message; 404 for anyone else."""
    attachment = get_object_or_404(
        message_attachments_visible_to(request.user),
        pk=attachment_pk,
        message__offer_id=offer_pk,
    )
    return stored_file_response(attachment.file, filename=attachment.original_name)
