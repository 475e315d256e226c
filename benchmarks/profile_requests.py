"""Where a request's fixed time goes: the benchmark's hot calls under a profiler.

    DATABASE_URL=postgres://... python benchmarks/profile_requests.py --scale small [--calls N]
        [--only PATTERN] [--top 25] [--pyinstrument]

Each call (the API register and offers cursor pages, one offer's detail, a roadmap's volume
series, the region staff's dashboard) runs once to warm up, then ``--calls`` times (default
200) under ``cProfile``; the frames with the most cumulative time are printed, per call.
``--pyinstrument`` prints pyinstrument's call tree instead (``pip install pyinstrument``,
in the ``dev`` extra). The database must already be seeded (``benchmarks/run.py`` does it).
"""

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def calls(bench):
    """(name, callable) of the profiled requests, as benchmarks/run.py makes them."""
    from benchmarks.run import PAGE
    from certification.models import RegisterEntry
    from roadmap_portal.models import Roadmap
    from suppliers.models import Offer, Supplier

    offer = Offer.objects.filter(status="registered").order_by("id").first()
    roadmap = Roadmap.objects.filter(previous__isnull=False, status="active").order_by("id").first()
    # The benchmark's "cursor, last page": the page holding the last 50 rows.
    last = {m: max(0, m.objects.count() - PAGE - 1) for m in (RegisterEntry, Offer)}
    _row, register_cursor = bench.cursor_at(RegisterEntry, last[RegisterEntry])
    _row, offers_cursor = bench.cursor_at(Offer, last[Offer])
    size = {"page_size": PAGE}
    inn = Supplier.objects.order_by("id").values_list("inn", flat=True).first()[:7]
    return [
        (
            "API register, cursor, first page",
            lambda: bench.api_get(bench.admin, "/api/v1/register/", {"mode": "cursor", **size}),
        ),
        (
            "API register, cursor page",
            lambda: bench.api_get(
                bench.admin, "/api/v1/register/", {"cursor": register_cursor, **size}
            ),
        ),
        (
            "API offers, cursor page",
            lambda: bench.api_get(
                bench.admin, "/api/v1/offers/", {"cursor": offers_cursor, **size}
            ),
        ),
        (
            "API search ?q=<7 digits of an INN>&kind=suppliers",
            lambda: bench.api_get(bench.admin, "/api/v1/search/", {"q": inn, "kind": "suppliers"}),
        ),
        ("API one offer", lambda: bench.api_get(bench.admin, f"/api/v1/offers/{offer.pk}/")),
        ("API one offer, 304 to If-None-Match", lambda: not_modified(bench, offer)),
        (
            "API roadmap volume series",
            lambda: bench.api_get(bench.admin, f"/api/v1/roadmaps/{roadmap.pk}/volume/"),
        ),
        ("page /dashboard/ (region staff)", lambda: bench.page_get(bench.staff, "/dashboard/")),
        *eligibility_calls(bench),
    ]


def not_modified(bench, offer):
    """One offer's detail asked again with the ETag it answered (a 304)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(bench.admin)
    path = f"/api/v1/offers/{offer.pk}/"
    etag = client.get(path)["ETag"]

    def call():
        response = client.get(path, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304, response.status_code
        return response

    return call


def eligibility_calls(bench):
    """The eligibility operations of benchmarks/run.py: one tender's eligible suppliers,
    one supplier across the open tenders, and the API's check of one pair."""
    from procurement.eligibility import supplier_tenders, suppliers_for_tender
    from procurement.models import Tender
    from suppliers.models import Supplier

    supplier_id, first_open, broadest = bench.eligibility_subjects()

    def across_open_tenders():
        supplier = Supplier.objects.get(pk=supplier_id)
        tenders = Tender.objects.filter(status="open").order_by("deadline", "id")
        return supplier_tenders(supplier, tenders)

    return [
        (
            "API tender eligibility of one supplier",
            lambda: bench.api_get(
                bench.admin,
                f"/api/v1/tenders/{first_open.pk}/eligibility/",
                {"supplier": supplier_id},
            ),
        ),
        ("eligibility: one supplier x all open tenders", lambda: across_open_tenders),
        (
            "eligible suppliers for one tender",
            lambda: lambda: suppliers_for_tender(broadest, Supplier.objects.all()),
        ),
    ]


def short(path):
    for marker in ("site-packages/", "/lib/python3", str(ROOT) + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def profile_cprofile(fn, count, top):
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(count):
        fn()
    profiler.disable()
    each = (time.perf_counter() - started) / count
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append((cumtime, tottime, ncalls, f"{short(filename)}:{line}({name})"))
    rows.sort(reverse=True)
    lines = [f"  {each * 1000:.2f} ms a call under the profiler ({count} calls)"]
    lines.append(f"  {'cum ms/call':>11} {'own ms/call':>11} {'calls/call':>10}  frame")
    for cumtime, tottime, ncalls, where in rows[:top]:
        lines.append(
            f"  {cumtime / count * 1000:11.2f} {tottime / count * 1000:11.3f} "
            f"{ncalls / count:10.1f}  {where}"
        )
    return "\n".join(lines)


def profile_pyinstrument(fn, count):
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(count):
        fn()
    profiler.stop()
    return profiler.output_text(unicode=True, color=False, show_all=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "small", "federal"], default="small")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", metavar="PATTERN")
    parser.add_argument("--pyinstrument", action="store_true")
    args = parser.parse_args()
    from benchmarks.run import Bench, ensure_database

    ensure_database(args.scale)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # As a web worker starts (roadmap_portal/wsgi.py): URLs imported, the collector settled.
    import roadmap_portal.wsgi  # noqa: F401

    bench = Bench(args.scale, runs=1)
    bench.personas()
    only = re.compile(args.only, re.I) if args.only else None
    for name, make in calls(bench):
        if only and not only.search(name):
            continue
        fn = make()
        for _ in range(5):
            fn()
        print(f"\n== {name}", flush=True)
        out = io.StringIO()
        if args.pyinstrument:
            out.write(profile_pyinstrument(fn, args.calls))
        else:
            out.write(profile_cprofile(fn, args.calls, args.top))
        print(out.getvalue(), flush=True)


if __name__ == "__main__":
    main()
