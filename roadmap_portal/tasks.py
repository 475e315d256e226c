"""Celery tasks: thin wrappers that take ids and call services."""

import smtplib

from celery import shared_task
from django.db import connection

from .outbox import OutboxTask


@shared_task
def ping_database(region_code):
    """Reads the database from a worker: used by the health check and the worker test."""
    from .models import Region

    region = Region.objects.filter(code=region_code).values_list("name", flat=True).first()
    return {"region": region, "vendor": connection.vendor}


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_offer_transition(self, transition_id):
    """Tell the supplier's members about a status change and the next queue about new work."""
    from suppliers.notifications import notify_transition

    return notify_transition(transition_id)


@shared_task(
    base=OutboxTask,
    outbox_atomic=False,
    bind=True,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=60,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=10,
)
def deliver_email(self, delivery_id):
    """Send one e-mail delivery; SMTP errors retry with exponential backoff until the
    delivery's last attempt, which is recorded as failed. A redelivery sends nothing twice."""
    from .notification_delivery import delivery_send

    return delivery_send(delivery_id=delivery_id)


@shared_task(base=OutboxTask, outbox_atomic=False)
def deliver_pending(batch_size=200):
    """Send up to ``batch_size`` due e-mail deliveries; also sweeps up ones a dead worker left."""
    from .notification_delivery import deliveries_send_pending

    return deliveries_send_pending(batch_size=batch_size)


@shared_task
def send_daily_digests(day=None):
    """One digest e-mail per person for the notifications of ``day`` (ISO date; yesterday)."""
    import datetime

    from django.utils import timezone

    from .notification_delivery import digests_enqueue

    day = (
        datetime.date.fromisoformat(day)
        if day
        else timezone.localdate() - datetime.timedelta(days=1)
    )
    return digests_enqueue(day=day)


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_tender_opened(self, tender_id):
    from .notifications import notify_tender_opened as service

    return service(tender_id)


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_demand_published(self, demand_id):
    from .notifications import notify_demand_published as service

    return service(demand_id)


@shared_task(base=OutboxTask, bind=True, max_retries=5, default_retry_delay=10)
def notify_bid_awarded(self, bid_id):
    from .notifications import notify_bid_awarded as service

    return service(bid_id)


@shared_task(base=OutboxTask, outbox_atomic=False)
def build_report(report_id):
    """Build one requested report; a failure is recorded on the report, never raised."""
    from .reports import report_build

    return report_build(report_id=report_id)


@shared_task
def build_yearly_reports(year=None):
    """Beat schedule: last year's report for every active roadmap, requested once."""
    from .reports import yearly_reports_request

    return [report.pk for report in yearly_reports_request(year=year)]


@shared_task
def sweep_jobs():
    """Beat schedule: queue again (or fail) report jobs whose worker died or whose message
    never reached a worker."""
    from .reports import reports_sweep

    return {"reports": reports_sweep()}


@shared_task
def heartbeat(sent=None):
    """Beat schedule: stamps ``beat`` with the time beat sent it (``sent``, added when it is
    published) and ``worker`` with now, for /healthz."""
    import datetime

    from django.utils import timezone

    from .health import heartbeat_stamp

    heartbeat_stamp("worker", timezone.now())
    if sent:
        heartbeat_stamp("beat", datetime.datetime.fromisoformat(sent))
    return sent
