"""A row per piece of work that must leave the database (see ``roadmap_portal.outbox``)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A Celery task to run, written in the transaction of the change that causes it.

    ``key`` names the work once and for all: publishing it again is a no-op, and the task
    run for it is marked done, so a redelivery of the same task does nothing.
    """

    key = models.CharField(_("key"), max_length=255, unique=True)
    task = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    queue = models.CharField(_("queue"), max_length=50, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("handed to the broker"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("hand-offs"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(
                fields=["dispatched_at", "created"],
                condition=Q(done_at__isnull=True),
                name="outbox_not_done",
            )
        ]

    def __str__(self) -> str:
        return self.key
