"""The outbox's sweep, run by beat every minute."""

from celery import shared_task

from .services import sweep


@shared_task
def relay_outbox() -> dict[str, int]:
    """Hand to the broker the outbox rows still pending (the broker was away at commit) or
    handed over long ago and not done (their worker died); forget rows done long ago."""
    return sweep()
