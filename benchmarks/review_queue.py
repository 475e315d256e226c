"""Review queue at scale: 100,000 offers of one corporation group, first page with the
counts per stage, through the selector and the HTML page, against raw SQL of that page.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/review_queue.py [--offers 100000]

Creates its rows once (bulk_create in batches) in the database DATABASE_URL names and
reuses them on later runs. Prints medians in milliseconds and the ratios to raw SQL.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from certification.filtersets import ReviewQueueFilterSet  # noqa: E402
from certification.selectors import review_queue, stage_counts  # noqa: E402
from roadmap_portal.accounts.models import Profile  # noqa: E402
from roadmap_portal.models import Corporation, Region, Roadmap  # noqa: E402
from roadmap_portal.paginators import IdsFirstPaginator  # noqa: E402
from suppliers.models import Offer, Supplier  # noqa: E402
from suppliers.pipeline import REVIEW_STAGES  # noqa: E402
from suppliers.validators import inn_with_checksum, ogrn_with_checksum  # noqa: E402

TITLE = "Benchmark roadmap (review queue)"
STATUSES = [*REVIEW_STAGES, "registered", "rejected", "excluded", "draft", "submitted"]
BATCH = 5_000


def build(total):
    from django.contrib.auth import get_user_model

    region, _ = Region.objects.get_or_create(code="RU-BNC", defaults={"name": "Bench Oblast"})
    corporation, _ = Corporation.objects.get_or_create(
        inn=inn_with_checksum(770_000_001),
        defaults={"name": "Bench Corp PJSC", "short_name": "Bench"},
    )
    roadmap, _ = Roadmap.objects.get_or_create(
        title=TITLE,
        defaults={
            "region": region,
            "corporation": corporation,
            "signed_on": datetime.date(2020, 1, 1),
            "start_year": 2020,
            "end_year": 2030,
            "status": "active",
        },
    )
    user, _ = get_user_model().objects.get_or_create(username="bench.reviewer")
    Profile.objects.update_or_create(
        user=user, defaults={"role": "reviewer", "corporation": corporation, "language": "en"}
    )
    existing = Offer.objects.filter(roadmap=roadmap).count()
    if existing >= total:
        return user, existing
    suppliers = list(Supplier.objects.filter(region=region))
    if len(suppliers) < 500:
        stems = range(880_000_000 + len(suppliers), 880_000_000 + 500)
        Supplier.objects.bulk_create(
            [
                Supplier(
                    name=f"Bench supplier {n}",
                    inn=inn_with_checksum(n),
                    ogrn=ogrn_with_checksum(102_700_000_000 + n % 1_000_000),
                    region=region,
                    verification_status="verified",
                )
                for n in stems
            ]
        )
        suppliers = list(Supplier.objects.filter(region=region))
    rng = random.Random(42)
    now = timezone.now()
    okpd2 = ["28.14.11.000", "27.11.22.000", "26.51.52.130", "27.40.39.110", "20.59.59.000"]
    remaining = total - existing
    while remaining > 0:
        size = min(BATCH, remaining)
        with transaction.atomic():
            Offer.objects.bulk_create(
                [
                    Offer(
                        supplier=rng.choice(suppliers),
                        roadmap=roadmap,
                        name=f"Bench product {existing + i}",
                        okpd2=rng.choice(okpd2),
                        import_substitution=rng.random() < 0.4,
                        status=rng.choice(STATUSES),
                        status_changed=now - datetime.timedelta(minutes=rng.randint(0, 200_000)),
                    )
                    for i in range(size)
                ],
                batch_size=BATCH,
            )
        existing += size
        remaining -= size
        print(f"  created {existing} offers", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE suppliers_offer")
    return user, existing


def selector_page(user):
    """What the queue view reads: counts per stage, the row count and the first page."""
    base = review_queue(user)
    filterset = ReviewQueueFilterSet({}, queryset=base)
    counts = stage_counts(base)
    page = IdsFirstPaginator(filterset.qs, 25).get_page(1)
    rows = [(o.pk, o.name, o.supplier.name, o.supplier.region.code, o.status) for o in page]
    return counts, page.paginator.count, rows


RAW_COUNTS = """
SELECT o.status, COUNT(o.id) FROM suppliers_offer o
JOIN roadmap_portal_roadmap r ON r.id = o.roadmap_id
WHERE r.corporation_id = %s AND o.status = ANY(%s) GROUP BY o.status
"""
RAW_TOTAL = """
SELECT COUNT(*) FROM suppliers_offer o JOIN roadmap_portal_roadmap r ON r.id = o.roadmap_id
WHERE r.corporation_id = %s AND o.status = ANY(%s)
"""
RAW_PAGE = """
SELECT o.id, o.name, s.name, g.code, o.status, c.short_name FROM suppliers_offer o
JOIN roadmap_portal_roadmap r ON r.id = o.roadmap_id
JOIN roadmap_portal_corporation c ON c.id = r.corporation_id
JOIN suppliers_supplier s ON s.id = o.supplier_id
JOIN roadmap_portal_region g ON g.id = s.region_id
WHERE r.corporation_id = %s AND o.status = ANY(%s)
ORDER BY o.status_changed, o.id LIMIT 25
"""


def raw_page(group_id):
    stages = list(REVIEW_STAGES)
    with connection.cursor() as cursor:
        cursor.execute(RAW_COUNTS, [group_id, stages])
        counts = dict(cursor.fetchall())
        cursor.execute(RAW_TOTAL, [group_id, stages])
        total = cursor.fetchone()[0]
        cursor.execute(RAW_PAGE, [group_id, stages])
        rows = cursor.fetchall()
    return counts, total, rows


def median_ms(func, repeat):
    func()  # warm up caches and the scope cached on the user
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL.")
    print(f"database {connection.settings_dict['NAME']}; building {args.offers} offers")
    user, total = build(args.offers)
    group_id = user.profile.corporation_id
    selector_counts, selector_total, _rows = selector_page(user)
    raw_counts, raw_total, _raw = raw_page(group_id)
    assert selector_total == raw_total and selector_counts == {
        s: raw_counts.get(s, 0) for s in REVIEW_STAGES
    }, "the selector and the raw SQL disagree"

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(user)

    def page():
        response = client.get("/certification/queue/")
        assert response.status_code == 200, response.status_code

    raw = median_ms(lambda: raw_page(group_id), args.repeat)
    selector = median_ms(lambda: selector_page(user), args.repeat)
    html = median_ms(page, args.repeat)
    print(f"offers in the database: {total}; in the review stages: {raw_total}")
    print(f"raw SQL (counts + total + first page):  {raw:8.1f} ms")
    print(f"selector (same reads through the ORM):  {selector:8.1f} ms  ratio {selector / raw:.2f}")
    print(f"HTML page /certification/queue/:        {html:8.1f} ms  ratio {html / raw:.2f}")


if __name__ == "__main__":
    main()
