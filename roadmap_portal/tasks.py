"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task
from django.db import connection


@shared_task
def ping_database(region_code):
    """Reads the database from a worker: used by the health check and the worker test."""
    from .models import Region

    region = Region.objects.filter(code=region_code).values_list("name", flat=True).first()
    return {"region": region, "vendor": connection.vendor}


@shared_task(bind=True, max_retries=5, default_retry_delay=10)
def notify_offer_transition(self, transition_id):
    """Tell the supplier's members about a status change and the next queue about new work."""
    from suppliers.notifications import notify_transition

    return notify_transition(transition_id)
