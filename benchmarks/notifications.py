"""Throughput of notifications and their e-mail delivery, in process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rp_bench \\
        .venv/bin/python benchmarks/notifications.py [--recipients 10000] [--backend file]

Builds a throwaway test database (its name prefixed ``test_``), makes N users, then
measures: ``notify()`` for all of them (in-app rows and pending deliveries, bulk), the
batch sender (``deliver_pending``: one connection per batch) and the per-delivery task
(``deliver_email``: one claim and one connection per e-mail), and checks that running the
sender again sends nothing. E-mail goes to Django's locmem backend or to files.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--per-task-sample", type=int, default=1_000)
    parser.add_argument("--backend", choices=["locmem", "file"], default="locmem")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outdir = None
    if args.backend == "file":
        outdir = tempfile.mkdtemp(prefix="rp-mail-")
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = outdir
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, outdir)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _sent_count(outdir):
    from django.core import mail

    if outdir is None:
        return len(getattr(mail, "outbox", []))
    return sum(
        path.read_text(errors="replace").count("\nMessage-ID: ") for path in Path(outdir).iterdir()
    )


def run(args, outdir):
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from roadmap_portal.models import Delivery, Notification
    from roadmap_portal.notifications.services import notify
    from roadmap_portal.tasks import deliver_email, deliver_pending

    n = args.recipients
    User = get_user_model()
    User.objects.bulk_create(
        (User(username=f"bench{i}", email=f"bench{i}@example.org") for i in range(n)),
        batch_size=2000,
    )
    recipients = User.objects.filter(username__startswith="bench").order_by("pk")

    print(f"database: {connection.vendor}, e-mail backend: {args.backend}, recipients: {n}")

    # 1) notify: N in-app notifications and N pending deliveries; 2) after commit, the
    # batch tasks (eager here) send them all.
    with transaction.atomic():
        start = time.perf_counter()
        created = notify(
            recipients=recipients,
            event="tender_opened",
            key="bench:tender:1",
            message=lambda: "Tender T-1 is open in your categories.",
            url="/procurement/tenders/1/",
        )
        made = time.perf_counter() - start
        start = time.perf_counter()
    sent_batch = time.perf_counter() - start
    assert created == n, created
    sent = _sent_count(outdir)
    assert sent == n, f"sent {sent}, expected {n}"
    assert Delivery.objects.filter(status="sent").count() == n

    # 3) again: nothing is sent twice.
    start = time.perf_counter()
    again = deliver_pending.apply(args=[n]).get()
    notified_again = notify(
        recipients=recipients,
        event="tender_opened",
        key="bench:tender:1",
        message=lambda: "Tender T-1 is open in your categories.",
    )
    rerun = time.perf_counter() - start
    assert again["sent"] == 0 and notified_again == 0 and _sent_count(outdir) == n

    # 4) the per-delivery task path on a sample, each e-mail its own claim and connection.
    sample = min(args.per_task_sample, n)
    with transaction.atomic():
        Delivery.objects.filter(
            pk__in=Delivery.objects.order_by("pk").values("pk")[:sample]
        ).update(status="pending", attempts=0, sent_at=None)
    ids = list(Delivery.objects.filter(status="pending").values_list("pk", flat=True))
    start = time.perf_counter()
    for delivery_id in ids:
        deliver_email.apply(args=[delivery_id]).get()
    per_task = time.perf_counter() - start

    rate_make = n / made
    rate_batch = n / sent_batch
    rate_task = sample / per_task
    end_to_end = n / (made + sent_batch)
    print(f"notify() for {n} recipients:         {made:8.2f} s  {rate_make:10.0f} notifications/s")
    print(f"batch delivery (deliver_pending):  {sent_batch:8.2f} s  {rate_batch:10.0f} e-mails/s")
    print(
        f"end to end (notify + deliver):     {made + sent_batch:8.2f} s  {end_to_end:10.0f} notifications/s"
    )
    print(f"per-delivery task (sample {sample}):  {per_task:8.2f} s  {rate_task:10.0f} e-mails/s")
    print(f"second run (sweep + notify again): {rerun:8.2f} s  sent 0, created 0")
    print(f"ratio batch / per-delivery task:   {rate_batch / rate_task:8.2f}x")
    print(f"ratio making / sending:            {rate_make / rate_batch:8.2f}x")
    print(f"in-app rows: {Notification.objects.count()}, deliveries: {Delivery.objects.count()}")


if __name__ == "__main__":
    main()
