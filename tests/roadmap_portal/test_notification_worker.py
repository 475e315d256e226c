"""Killing the worker in the middle of a batch of e-mails: every notification goes out once."""

import os
import time

import pytest

from roadmap_portal.celery import app as celery_app
from roadmap_portal.models import Delivery
from roadmap_portal.notifications.services import notify
from roadmap_portal.notifications.tasks import deliver_pending
from roadmap_portal.outbox.services import NOTIFICATIONS, queue_name
from tests.conftest import Worker, wait_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RECIPIENTS = 60


def sent_ids(log):
    lines = log.read_text().splitlines() if log.exists() else []
    return [line.split(" ", 1)[1] for line in lines if line.startswith("sent ")]


def test_killed_worker_mid_batch_every_notification_exactly_once(celery_worker_process, tmp_path):
    log, pause = tmp_path / "mail.log", tmp_path / "pause"
    os.environ.update(
        EMAIL_BACKEND="tests.email_backends.PausableLogBackend",
        EMAIL_LOG_FILE=str(log),
        EMAIL_PAUSE_FILE=str(pause),
        NOTIFICATION_SENDING_TIMEOUT="1",
    )
    try:
        pause.write_text("25")
        users = [UserFactory(email=f"r{i}@example.org") for i in range(RECIPIENTS)]
        celery_app.control.purge()
        notify(
            recipients=users,
            event="offer_status",
            key="kill-test",
            message=lambda: "Status changed",
        )
        assert Delivery.objects.count() == RECIPIENTS

        queue = queue_name(NOTIFICATIONS)  # where notify() publishes the sending
        first = celery_worker_process
        first.queue = queue
        first.start()
        assert wait_for(lambda: "waiting " in (log.read_text() if log.exists() else ""), 90), (
            first.output()
        )
        first.kill()
        assert len(sent_ids(log)) == 25
        pause.unlink()

        second = Worker(queue).start()
        try:
            time.sleep(1.5)  # the dead worker's claim becomes stale
            deliver_pending.apply_async(args=[200], queue=queue)
            done = wait_for(lambda: len(set(sent_ids(log))) >= RECIPIENTS, 90)
            time.sleep(1)  # anything sent twice would show up now
        finally:
            second.stop()
        assert done, second.output()
    finally:
        for name in (
            "EMAIL_BACKEND",
            "EMAIL_LOG_FILE",
            "EMAIL_PAUSE_FILE",
            "NOTIFICATION_SENDING_TIMEOUT",
        ):
            os.environ.pop(name, None)

    ids = sent_ids(log)
    assert len(ids) == RECIPIENTS and len(set(ids)) == RECIPIENTS
    assert Delivery.objects.filter(status="sent").count() == RECIPIENTS
