"""Conversations on an offer: questions, answers and internal notes, with PDF attachments.

Messages and their attachments are append-only records (PostgreSQL refuses an ``UPDATE`` or
``DELETE`` of their rows, ``roadmap_portal.append_only``): what was said stays as said.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from roadmap_portal.choices import Role

from .choices import Audience


class Message(models.Model):
    offer = models.ForeignKey(
        "suppliers.Offer",
        verbose_name=_("product offer"),
        on_delete=models.PROTECT,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    author_role = models.CharField(_("author's role"), max_length=20, choices=Role.choices)
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    body = models.TextField(_("message"))
    created = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["offer", "created"], name="conversation_offer_created"),
        ]

    def __str__(self):
        return f"{self.offer_id}: {self.body[:60]}"

    @property
    def is_internal(self) -> bool:
        return self.audience != Audience.EVERYONE


class MessageAttachment(models.Model):
    """A PDF sent with a message, kept in the default storage under a generated name."""

    message = models.ForeignKey(
        Message, verbose_name=_("message"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size, bytes"))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("message attachment")
        verbose_name_plural = _("message attachments")

    def __str__(self):
        return self.original_name
