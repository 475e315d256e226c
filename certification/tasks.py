"""Celery tasks of certification: thin wrappers around services, safe to run twice.

The expiry reminders are the notification layer's
(``roadmap_portal.notifications.tasks.send_expiry_reminders``)."""

import datetime

from celery import shared_task
from django.utils.dateparse import parse_date

from .services import lapse_certificates as lapse


def _day(on):
    if on is None or isinstance(on, datetime.date):
        return on
    return parse_date(str(on))


@shared_task(bind=True, max_retries=3, default_retry_delay=60)
def lapse_certificates(self, on=None):
    """Daily: certificates past their term expire and their offers leave the register."""
    return lapse(on=_day(on))
