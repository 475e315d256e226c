"""Product-list import of 10,000 rows: preview (dry run) and import against a raw COPY.

Run against PostgreSQL (migrated):

    DATABASE_URL=postgres://USER@HOST:5432/NAME .venv/bin/python benchmarks/import_10k.py

It builds a supplier, a roadmap and a 10,000-row XLSX (and the same rows as CSV), times the
service's preview and import, then loads the same rows into the offer table with a raw
PostgreSQL COPY. Everything runs in one transaction that is rolled back at the end, so the
database is left as it was. The target is preview + import of the XLSX under 10 s.

An import right after its preview uses the rows the preview checked; "import, no preview"
is the same file imported into another roadmap without one (an API client that skips the
dry run), which reads and checks the whole file.
"""

import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from roadmap_portal.accounts.models import Profile  # noqa: E402
from roadmap_portal.models import Corporation, Region, Roadmap  # noqa: E402
from suppliers.importing import COLUMNS, offers_import, offers_import_check  # noqa: E402
from suppliers.models import Offer, Supplier  # noqa: E402
from suppliers.validators import inn_with_checksum, ogrn_with_checksum  # noqa: E402

ROWS = int(os.environ.get("IMPORT_BENCH_ROWS", "10000"))
TARGET_SECONDS = 10.0


class Rollback(Exception):
    pass


def sample_rows(count):
    okpd2 = ["27.11.22.000", "26.51.51", "20.59", "27.40.39.110", "28.13.14"]
    return [
        [
            f"Изделие серии АИР-{n:05d}",
            "Электродвигатель асинхронный, IP55, климатическое исполнение У3",
            okpd2[n % len(okpd2)],
            "да" if n % 3 else "нет",
            "Siemens 1LE1" if n % 3 else "",
            f"{10_000_000 + n}",
            1000 + n,
            "шт",
            round(1500 + n * 1.25, 2),
        ]
        for n in range(count)
    ]


def xlsx_of(rows):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([c.label for c in COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_of(rows):
    lines = [";".join(c.field for c in COLUMNS)]
    for row in rows:
        cells = [str(v).replace(".", ",") if isinstance(v, float) else str(v) for v in row]
        lines.append(";".join(cells))
    return "\r\n".join(lines).encode("cp1251")


def setup_scope():
    suffix = f"{time.time_ns() % 10**9:09d}"
    region, _ = Region.objects.get_or_create(code="RU-ZZZ", defaults={"name": "Bench region"})
    corporation = Corporation.objects.create(
        name="Bench corporation", short_name="Bench", inn=inn_with_checksum(int(suffix))
    )
    roadmap = Roadmap.objects.create(
        region=region,
        corporation=corporation,
        title="Bench roadmap",
        signed_on=timezone.localdate(),
        start_year=2024,
        end_year=2030,
        status="active",
    )
    supplier = Supplier.objects.create(
        name="Bench supplier",
        inn=inn_with_checksum(int(suffix) + 1),
        ogrn=ogrn_with_checksum(102700000000 + int(suffix) % 10**6),
        region=region,
        verification_status="verified",
    )
    user = get_user_model().objects.create_user(f"bench-{suffix}", password=None)
    Profile.objects.create(user=user, role="supplier", supplier=supplier, language="en")
    user = get_user_model().objects.get(pk=user.pk)
    return user, supplier, roadmap


def another_roadmap(roadmap, title):
    return Roadmap.objects.create(
        region=roadmap.region,
        corporation=roadmap.corporation,
        title=title,
        signed_on=roadmap.signed_on,
        start_year=2024,
        end_year=2030,
        status="active",
    )


def copy_rows(rows, supplier, roadmap):
    """The same rows through PostgreSQL COPY: the floor any import is measured against."""
    now = timezone.now().isoformat()
    buffer = io.StringIO()
    for r in rows:
        values = [
            str(supplier.pk),
            str(roadmap.pk),
            r[0],
            r[1],
            r[2],
            "t" if r[3] == "да" else "f",
            r[4],
            r[5],
            str(r[6]),
            r[7],
            str(r[8]),
            "draft",
            now,
            now,
            now,
        ]
        buffer.write("\t".join(values) + "\n")
    buffer.seek(0)
    columns = (
        "supplier_id, roadmap_id, name, description, okpd2, import_substitution, replaces, "
        "gisp_number, capacity_per_year, unit, unit_price, status, status_changed, created, "
        "updated"
    )
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {Offer._meta.db_table} ({columns}) FROM STDIN", buffer)


def timed(label, func):
    """Wall time (what the user waits) and this process's CPU time (the database's own
    work is in the wall time only; on a shared machine the two tell load from cost)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = func()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label:<26} {seconds:7.2f} s wall {cpu:6.2f} s cpu {ROWS / seconds:9,.0f} rows/s")
    return result, seconds


def main():
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL=postgres://...")
    rows = sample_rows(ROWS)
    xlsx, csv = xlsx_of(rows), csv_of(rows)
    print(f"{ROWS:,} rows: XLSX {len(xlsx) / 1024:,.0f} KiB, CSV {len(csv) / 1024:,.0f} KiB")
    results = {}
    try:
        with transaction.atomic():
            user, supplier, roadmap = setup_scope()
            check, results["preview"] = timed(
                "XLSX preview (dry run)",
                lambda: offers_import_check(user=user, roadmap_id=roadmap.pk, content=xlsx),
            )
            assert not check.errors and check.count == ROWS, check.errors[:3]
            offers, results["import"] = timed(
                "XLSX import",
                lambda: offers_import(user=user, roadmap_id=roadmap.pk, content=xlsx),
            )
            assert len(offers) == ROWS
            unpreviewed = another_roadmap(roadmap, "Bench roadmap, no preview")
            offers, results["unpreviewed_import"] = timed(
                "XLSX import, no preview",
                lambda: offers_import(user=user, roadmap_id=unpreviewed.pk, content=xlsx),
            )
            assert len(offers) == ROWS
            csv_roadmap = another_roadmap(roadmap, "Bench roadmap CSV")
            _, results["csv_preview"] = timed(
                "CSV preview (dry run)",
                lambda: offers_import_check(
                    user=user, roadmap_id=csv_roadmap.pk, content=csv, filename="b.csv"
                ),
            )
            _, results["csv_import"] = timed(
                "CSV import",
                lambda: offers_import(
                    user=user, roadmap_id=csv_roadmap.pk, content=csv, filename="b.csv"
                ),
            )
            _, results["copy"] = timed(
                "raw PostgreSQL COPY", lambda: copy_rows(rows, supplier, roadmap)
            )
            raise Rollback
    except Rollback:
        pass
    total = results["preview"] + results["import"]
    print()
    print(f"XLSX preview + import: {total:.2f} s (target < {TARGET_SECONDS:.0f} s)")
    print(f"XLSX import / COPY:    {results['import'] / results['copy']:.1f}x")
    print(f"XLSX import, no preview / COPY: {results['unpreviewed_import'] / results['copy']:.1f}x")
    print(f"XLSX (preview + import) / COPY: {total / results['copy']:.1f}x")
    print(f"CSV import / COPY:     {results['csv_import'] / results['copy']:.1f}x")
    print("all rows rolled back")
    sys.exit(0 if total < TARGET_SECONDS else 1)


if __name__ == "__main__":
    main()
