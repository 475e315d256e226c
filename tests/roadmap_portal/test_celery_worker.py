"""A real Celery worker process, the real Redis broker and the test database."""

import pytest

from roadmap_portal.celery import app as celery_app
from roadmap_portal.models import Notification
from suppliers.services import offer_transition
from tests.conftest import wait_for
from tests.factories import OfferFactory, RegionFactory, SupplierFactory, user_with_role

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_celery_configuration_is_safe_for_redis():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit


def test_worker_runs_a_task_that_reads_and_writes_the_database(celery_worker_process):
    region = RegionFactory(code="RU-TOM", name="Томская область")
    supplier = SupplierFactory(region=region)
    member = user_with_role("supplier", supplier=supplier)
    staff = user_with_role("region_staff", region=region)
    offer = OfferFactory(supplier=supplier)
    worker = celery_worker_process.start()

    from roadmap_portal.notifications.tasks import notify_offer_transition

    _, history = offer_transition(offer_id=offer.pk, user=member, action="submit")
    # The transition queued its notification after commit; queue it on the worker's queue too
    # and check that the worker read the transition from the database and wrote notifications.
    notify_offer_transition.apply_async(args=[history.pk], queue=worker.queue)
    created = wait_for(
        lambda: Notification.objects.filter(
            recipient=staff, key=f"queue_work:{history.pk}"
        ).exists()
    )
    assert created, worker.output()
    assert (
        Notification.objects.filter(recipient=member, key=f"offer_status:{history.pk}").count() == 1
    )
