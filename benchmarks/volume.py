"""Cooperation-volume benchmark: 5,000,000 contracts in PostgreSQL.

Times the volume of a roadmap series through ``roadmap_portal.insights.volume`` against the same
``GROUP BY`` written as raw SQL, in the same run, and the PDF render of a region report
with 50 suppliers. Prints medians and ratios.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rp_volume .venv/bin/python benchmarks/volume.py

The database must be a scratch one (its name must contain ``bench`` or ``rp_volume``):
the script migrates it and fills it. Contracts are generated once (``--reset`` regenerates)
with ``INSERT ... SELECT generate_series`` in chunks.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rp_volume")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from procurement.models import Contract  # noqa: E402
from roadmap_portal.models import (  # noqa: E402
    Corporation,
    Region,
    Report,
    ReportedVolume,
    Roadmap,
    RoadmapTarget,
)
from suppliers.models import Supplier  # noqa: E402
from suppliers.validators import inn_with_checksum, ogrn_with_checksum  # noqa: E402

CONTRACTS = 5_000_000
CHUNK = 1_000_000
M = Decimal(1_000_000)

RAW_SQL = """
    SELECT EXTRACT(YEAR FROM c.signed_on)::int AS year, SUM(c.amount) AS total
    FROM procurement_contract c
    JOIN suppliers_supplier s ON s.id = c.supplier_id
    JOIN roadmap_portal_corporation k ON k.id = c.customer_id
    WHERE s.region_id = %s AND (k.id = %s OR k.parent_id = %s)
      AND c.signed_on BETWEEN %s AND %s
    GROUP BY 1 ORDER BY 1
"""


def median_ms(func, runs):
    func()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def supplier(region, n):
    stem = 900_000_000 + region.pk * 10_000 + n
    obj, _ = Supplier.objects.get_or_create(
        inn=inn_with_checksum(stem),
        defaults={
            "name": f"Bench supplier {region.code} {n}",
            "ogrn": ogrn_with_checksum(int(f"102{stem:09d}"[:12])),
            "region": region,
            "verification_status": "verified",
        },
    )
    return obj


def corporation(name, stem, parent=None):
    obj, _ = Corporation.objects.get_or_create(
        inn=inn_with_checksum(stem),
        defaults={"name": name, "short_name": name, "parent": parent},
    )
    return obj


def build_reference():
    home, _ = Region.objects.get_or_create(code="RU-BEA", defaults={"name": "Bench region A"})
    other, _ = Region.objects.get_or_create(code="RU-BEB", defaults={"name": "Bench region B"})
    report_region, _ = Region.objects.get_or_create(
        code="RU-BEC", defaults={"name": "Bench region C"}
    )
    group = corporation("Bench group", 880_000_001)
    subs = [corporation(f"Bench subsidiary {i}", 880_000_010 + i, group) for i in range(5)]
    stranger = corporation("Bench other group", 880_000_100)
    first, _ = Roadmap.objects.get_or_create(
        region=home,
        corporation=group,
        start_year=2014,
        defaults={
            "title": "Bench roadmap 2014-2017",
            "signed_on": datetime.date(2014, 1, 1),
            "end_year": 2017,
            "status": "completed",
        },
    )
    second, _ = Roadmap.objects.get_or_create(
        region=home,
        corporation=group,
        start_year=2018,
        defaults={
            "title": "Bench roadmap 2018-2025",
            "signed_on": datetime.date(2018, 1, 1),
            "end_year": 2025,
            "status": "active",
            "previous": first,
        },
    )
    for year in range(2018, 2026):
        RoadmapTarget.objects.get_or_create(
            roadmap=second, year=year, defaults={"amount": 1000 * M}
        )
    ReportedVolume.objects.get_or_create(
        roadmap=first, year=2014, defaults={"amount": 150 * M, "source": "bench"}
    )
    suppliers = [supplier(home, i) for i in range(100)] + [supplier(other, i) for i in range(100)]
    return home, group, subs, stranger, second, suppliers, report_region


def fill_contracts(suppliers, customers, reset):
    existing = Contract.objects.count()
    if existing >= CONTRACTS and not reset:
        print(f"{existing:,} contracts already there (use --reset to regenerate)")
        return
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procurement_contract RESTART IDENTITY CASCADE")
    supplier_ids = [s.pk for s in suppliers]
    customer_ids = [c.pk for c in customers]
    start = time.perf_counter()
    for offset in range(0, CONTRACTS, CHUNK):
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO procurement_contract
                    (supplier_id, customer_id, number, subject, amount, signed_on, created, updated)
                SELECT (%s::bigint[])[1 + (g * 7919) %% %s],
                       (%s::bigint[])[1 + (g * 104729) %% %s],
                       '', '',
                       ((g * 2654435761) %% 100000000) / 100.0 + 1000,
                       DATE '2014-01-01' + ((g * 48271) %% 4383)::int,
                       now(), now()
                FROM generate_series(%s::bigint, %s::bigint) AS g
                """,
                [
                    supplier_ids,
                    len(supplier_ids),
                    customer_ids,
                    len(customer_ids),
                    offset + 1,
                    min(offset + CHUNK, CONTRACTS),
                ],
            )
        print(
            f"  {min(offset + CHUNK, CONTRACTS):,} contracts ({time.perf_counter() - start:.0f} s)"
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE procurement_contract")
    print(f"generated {CONTRACTS:,} contracts in {time.perf_counter() - start:.1f} s")


def bench_volume(home, group, roadmap, runs):
    from roadmap_portal.insights.volume import contract_totals, roadmap_volume

    series = roadmap_volume(roadmap)
    first, last = series.years[0].year, series.years[-1].year

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                RAW_SQL,
                [
                    home.pk,
                    group.pk,
                    group.pk,
                    datetime.date(first, 1, 1),
                    datetime.date(last, 12, 31),
                ],
            )
            return dict(cursor.fetchall())

    def aggregate_only():
        return contract_totals([(home.pk, group.pk)], first_year=first, last_year=last)

    raw_rows = raw()
    orm_rows = {y: v for (_, _, y), v in aggregate_only().items()}
    assert raw_rows == orm_rows, "the selector and the raw SQL disagree"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procurement_contract c JOIN suppliers_supplier s "
            "ON s.id = c.supplier_id WHERE s.region_id = %s",
            [home.pk],
        )
        matched_region = cursor.fetchone()[0]
    print(
        f"series {first}-{last}; growth {series.growth_factor}; contracts of the region's "
        f"suppliers: {matched_region:,}"
    )
    raw_ms = median_ms(raw, runs)
    aggregate_ms = median_ms(aggregate_only, runs)
    selector_ms = median_ms(lambda: roadmap_volume(roadmap), runs)
    print(f"raw SQL GROUP BY           median {raw_ms:9.1f} ms")
    print(
        f"contract_totals (ORM)      median {aggregate_ms:9.1f} ms   ratio {aggregate_ms / raw_ms:.2f}"
    )
    print(
        f"roadmap_volume (selector)  median {selector_ms:9.1f} ms   ratio {selector_ms / raw_ms:.2f}"
        "   (series + contracts + targets + reported)"
    )


def bench_pdf(report_region, group, runs):
    from roadmap_portal.insights.reports import render_report

    roadmap, _ = Roadmap.objects.get_or_create(
        region=report_region,
        corporation=group,
        start_year=2020,
        defaults={
            "title": "Bench report roadmap",
            "signed_on": datetime.date(2020, 1, 1),
            "end_year": 2025,
            "status": "active",
        },
    )
    suppliers = [supplier(report_region, i) for i in range(50)]
    year = 2024
    if not Contract.objects.filter(supplier__region=report_region).exists():
        Contract.objects.bulk_create(
            Contract(
                supplier=s,
                customer=group,
                amount=Decimal(1_000_000 + i * 12_345),
                signed_on=datetime.date(y, 3, 1),
            )
            for i, s in enumerate(suppliers)
            for y in range(2020, 2025)
        )
    report = Report(
        scope="region",
        region=report_region,
        subject_key=f"region:{report_region.pk}",
        year=year,
        language="ru",
    )
    pdf_ms = median_ms(lambda: render_report(report), runs)
    html, pdf = render_report(report)
    print(
        f"region report PDF, 50 suppliers: median {pdf_ms:.0f} ms "
        f"({len(pdf) / 1024:.0f} KiB, {html.count('<tr>')} table rows)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reset", action="store_true", help="regenerate the contracts")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or not ("bench" in name or "rp_volume" in name):
        sys.exit(f"Refusing to fill {name!r}: point DATABASE_URL at a scratch PostgreSQL database.")
    call_command("migrate", verbosity=0)
    home, group, subs, stranger, roadmap, suppliers, report_region = build_reference()
    fill_contracts(suppliers, [group, *subs, stranger], args.reset)
    bench_volume(home, group, roadmap, args.runs)
    bench_pdf(report_region, group, max(3, args.runs // 2))


if __name__ == "__main__":
    main()
