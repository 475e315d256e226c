"""Celery tasks of conversations: thin wrappers that take ids and call services."""

from celery import shared_task

from roadmap_portal.outbox.services import OutboxTask

from .notifications import notify_message


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_offer_message(self, message_id):
    """Tell the other side of an offer's conversation about a new message."""
    return notify_message(message_id)
