"""Eligible suppliers for one tender among 50,000: the service against the raw SQL.

Creates (once) a benchmark region with 50,000 verified suppliers, each with a registered
offer in category 28.14 covered by a valid certificate (every 10th expires before the
tender's deadline, so it is a near miss), then times
``procurement.eligibility.suppliers_for_tender`` (all five checks with their reasons,
eligible and near misses) and one SQL query returning the same eligible ids.

    DATABASE_URL=postgres://... .venv/bin/python benchmarks/eligibility.py [--suppliers N] [--runs R]

Prints the median time of each in milliseconds and their ratio.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from certification.models import Certificate, RegisterEntry  # noqa: E402
from procurement.eligibility import suppliers_for_tender  # noqa: E402
from procurement.models import Tender  # noqa: E402
from roadmap_portal.models import CertificationBody, Corporation, Region, Roadmap  # noqa: E402
from suppliers.models import Offer, Supplier  # noqa: E402
from suppliers.validators import inn_with_checksum, ogrn_with_checksum  # noqa: E402

REGION_CODE = "RU-BEN"
BATCH = 5000

RAW_SQL = """
SELECT s.id
FROM suppliers_supplier s
WHERE s.verification_status = 'verified'
  AND s.region_id = %(region)s
  AND EXISTS (
    SELECT 1 FROM roadmap_portal_roadmap r
    WHERE r.region_id = s.region_id AND r.corporation_id = %(group)s AND r.status = 'active')
  AND EXISTS (
    SELECT 1
    FROM suppliers_offer o
    JOIN roadmap_portal_roadmap orm ON orm.id = o.roadmap_id AND orm.corporation_id = %(group)s
    JOIN certification_registerentry e
      ON e.offer_id = o.id AND e.excluded_on IS NULL AND e.corporation_id = %(group)s
    WHERE o.supplier_id = s.id AND o.status = 'registered' AND o.okpd2 LIKE %(category)s
      AND EXISTS (
        SELECT 1 FROM certification_certificate_offers co
        JOIN certification_certificate c ON c.id = co.certificate_id
        WHERE co.offer_id = o.id AND c.body_id = %(body)s AND c.supplier_id = s.id
          AND c.status = 'valid' AND c.issued_on <= %(today)s AND c.valid_until >= %(deadline)s))
  AND %(tender_open)s
ORDER BY s.name, s.id
"""


def build(n):
    today = timezone.localdate()
    body, _ = CertificationBody.objects.get_or_create(
        short_name="BENCH-CB", defaults={"name": "Benchmark certification body"}
    )
    group, _ = Corporation.objects.get_or_create(
        inn=inn_with_checksum(990_000_001),
        defaults={"name": "Benchmark group", "short_name": "Bench", "required_body": body},
    )
    region, _ = Region.objects.get_or_create(code=REGION_CODE, defaults={"name": "Benchmark"})
    roadmap, _ = Roadmap.objects.get_or_create(
        region=region,
        corporation=group,
        start_year=2020,
        defaults={
            "title": "Benchmark roadmap",
            "signed_on": datetime.date(2020, 1, 1),
            "end_year": 2030,
            "status": "active",
        },
    )
    deadline = today + datetime.timedelta(days=60)
    tender, _ = Tender.objects.get_or_create(
        number="BENCH-0001",
        defaults={
            "customer": group,
            "title": "Benchmark tender",
            "categories": ["28.14"],
            "published_on": today,
            "deadline": deadline,
            "estimated_value": "1000000.00",
            "status": "open",
        },
    )
    have = Supplier.objects.filter(region=region).count()
    started = time.perf_counter()
    for start in range(have, n, BATCH):
        with transaction.atomic():
            stop = min(start + BATCH, n)
            suppliers = Supplier.objects.bulk_create(
                Supplier(
                    name=f"Benchmark supplier {i:06d}",
                    inn=inn_with_checksum(980_000_000 + i),
                    ogrn=ogrn_with_checksum(102_980_000_000 + i),
                    region=region,
                    verification_status="verified",
                )
                for i in range(start, stop)
            )
            offers = Offer.objects.bulk_create(
                Offer(
                    supplier=s,
                    roadmap=roadmap,
                    name=f"Valve {s.name[-6:]}",
                    okpd2="28.14.13.131",
                    status="registered",
                )
                for s in suppliers
            )
            certificates = Certificate.objects.bulk_create(
                Certificate(
                    number=f"BENCH-{start + k:06d}",
                    body=body,
                    supplier=s,
                    issued_on=today - datetime.timedelta(days=100),
                    valid_until=deadline
                    + datetime.timedelta(days=-1 if (start + k) % 10 == 0 else 365),
                )
                for k, s in enumerate(suppliers)
            )
            Certificate.offers.through.objects.bulk_create(
                Certificate.offers.through(certificate_id=c.pk, offer_id=o.pk)
                for c, o in zip(certificates, offers, strict=True)
            )
            RegisterEntry.objects.bulk_create(
                RegisterEntry(
                    corporation=group,
                    number=start + k + 1,
                    offer=o,
                    supplier_id=o.supplier_id,
                    okpd2=o.okpd2,
                    certificate=c,
                    included_on=today - datetime.timedelta(days=50),
                )
                for k, (o, c) in enumerate(zip(offers, certificates, strict=True))
            )
        print(f"  created suppliers up to {stop}", file=sys.stderr)
    if have < n:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return tender, region, group, body


def median_ms(func, runs):
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suppliers", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tender, region, group, body = build(args.suppliers)
    suppliers = Supplier.objects.filter(region=region)
    today = timezone.localdate()

    def service():
        eligible, near = suppliers_for_tender(tender, suppliers)
        return [e.supplier.pk for e in eligible], len(near)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                RAW_SQL,
                {
                    "region": region.pk,
                    "group": group.pk,
                    "body": body.pk,
                    "category": "28.14%",
                    "today": today,
                    "deadline": tender.deadline,
                    "tender_open": tender.status == "open" and today <= tender.deadline,
                },
            )
            return [row[0] for row in cursor.fetchall()]

    service_ms, (service_ids, near) = median_ms(service, args.runs)
    raw_ms, raw_ids = median_ms(raw, args.runs)
    assert sorted(service_ids) == sorted(raw_ids), "the service and the SQL disagree"
    print(f"suppliers in the region:          {suppliers.count()}")
    print(f"eligible / near misses:           {len(service_ids)} / {near}")
    print(f"service (5 checks + reasons), ms: {service_ms:.1f} (median of {args.runs})")
    print(f"raw SQL (eligible ids only), ms:  {raw_ms:.1f} (median of {args.runs})")
    print(f"ratio service / raw SQL:          {service_ms / raw_ms:.1f}x")


if __name__ == "__main__":
    main()
