"""Celery tasks of certification: thin wrappers around services, safe to run twice."""

import datetime

from celery import shared_task
from django.utils.dateparse import parse_date


def _day(on):
    if on is None or isinstance(on, datetime.date):
        return on
    return parse_date(str(on))


@shared_task(bind=True, max_retries=3, default_retry_delay=60)
def lapse_certificates(self, on=None):
    """Daily: certificates past their term expire and their offers leave the register."""
    from .services import lapse_certificates as lapse

    return lapse(on=_day(on))


@shared_task(bind=True, max_retries=3, default_retry_delay=60)
def send_expiry_reminders(self, on=None):
    """Daily: remind suppliers and reviewers of certificates expiring in 90/30/7 days and today."""
    from .services import expiry_reminders_send

    return expiry_reminders_send(on=_day(on))
