"""Benchmarks on a generated data set: each operation timed next to the raw SQL that returns
the same rows, printed as a table and written to docs/benchmarks.md.

    DATABASE_URL=postgres://... python benchmarks/run.py --scale small

Without DATABASE_URL the database ``roadmap_bench_<scale>`` on 127.0.0.1 is created. An empty
database is migrated and seeded (``seed_scale``) first. Operations whose endpoint or service
does not exist are reported as "n/a (missing)".
"""

import argparse
import datetime
import http.client
import io
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "benchmarks.md"
PAGE = 50
# What a register page answers: the entry with its corporation, offer, supplier, region
# and certificate.
REGISTER_JOINS = (
    "JOIN roadmap_portal_corporation c ON c.id = t.corporation_id "
    "JOIN suppliers_offer o ON o.id = t.offer_id "
    "JOIN suppliers_supplier s ON s.id = t.supplier_id "
    "JOIN roadmap_portal_region rg ON rg.id = s.region_id "
    "LEFT JOIN certification_certificate ce ON ce.id = t.certificate_id"
)
REGISTER_COLUMNS = "t.*, c.short_name, o.name, s.name, rg.code, ce.number, ce.valid_until"


@dataclass
class Result:
    operation: str
    median: float | None = None  # seconds
    p95: float | None = None
    raw: float | None = None
    queries: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self):
        if self.median is None or not self.raw:
            return None
        return self.median / self.raw


class Missing(Exception):
    """The endpoint or service is not there (yet)."""


def missing(name):
    def make():
        raise Missing(name)

    return make


def ms(value):
    return "" if value is None else f"{value * 1000:,.1f} ms"


# An operation whose call takes less than this (seconds) is timed QUICK_RUNS times.
QUICK = 0.05
QUICK_RUNS = 25


def timed(fn, runs, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95


def ensure_database(scale):
    """DATABASE_URL, or a database of our own for the scale, created when missing."""
    if os.environ.get("DATABASE_URL"):
        if not os.environ["DATABASE_URL"].startswith("postgres"):
            sys.exit("benchmarks need PostgreSQL: DATABASE_URL must be postgres://...")
        return
    import psycopg2

    name = f"roadmap_bench_{scale}"
    connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"


class Bench:
    def __init__(self, scale, runs, only=None):
        from django.db import connection

        self.scale = scale
        self.runs = runs
        self.only = re.compile(only, re.I) if only else None
        self.connection = connection
        self.results = []

    # --- plumbing -------------------------------------------------------------------------

    def raw(self, sql, params=None):
        def run():
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        return run

    def raw_all(self, *statements):
        runners = [self.raw(sql, params) for sql, params in statements]

        def run():
            return [r() for r in runners]

        return run

    def count_queries(self, fn):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(self.connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    def wanted(self, operation):
        return self.only is None or bool(self.only.search(operation))

    def measure(self, operation, make, raw=None, runs=None, note=""):
        """Time ``make()`` (the callable to time; it may raise Missing) and ``raw``."""
        if not self.wanted(operation):
            return Result(operation, note="skipped")
        result = Result(operation, note=note)
        try:
            fn = make()
            result.queries = self.count_queries(fn)
            if runs is None:
                # A quick operation runs more often: its median is then that of a process
                # past its first calls (Python specialises a function's code after a few
                # runs), as a server's is, and one slow call weighs less.
                started = time.perf_counter()
                fn()
                quick = time.perf_counter() - started < QUICK
                runs = max(self.runs, QUICK_RUNS) if quick else self.runs
            result.median, result.p95 = timed(fn, runs)
            if raw is not None:
                result.raw, _p95 = timed(raw, runs)
        except Missing as exc:
            result.note = f"n/a (missing: {exc})"
            result.median = result.p95 = result.raw = result.queries = None
        except Exception as exc:  # a broken operation is reported, the others still run
            result.note = f"error: {type(exc).__name__}: {str(exc)[:120]}"
            result.median = result.p95 = result.raw = None
        self.results.append(result)
        self.print_row(result)
        return result

    def api_get(self, user, path, params=None):
        """A callable GETting ``path`` in-process as ``user``; Missing when not routed."""
        from django.urls import Resolver404, resolve
        from rest_framework.test import APIClient

        try:
            resolve(path)
        except Resolver404 as exc:
            raise Missing(path) from exc
        client = APIClient()
        client.force_authenticate(user)

        def call():
            response = client.get(path, params or {})
            if response.status_code == 404 and b"Not Found" in response.content[:200]:
                raise Missing(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            return response

        call()
        return call

    def page_get(self, user, path, params=None):
        from django.test import Client
        from django.urls import Resolver404, resolve

        try:
            resolve(path)
        except Resolver404 as exc:
            raise Missing(path) from exc
        client = Client()
        client.force_login(user)

        def call():
            response = client.get(path, params or {})
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            return response

        call()
        return call

    def print_header(self):
        print(
            f"{'operation':52} {'median':>11} {'p95':>11} {'raw SQL':>11} {'ratio':>7} "
            f"{'queries':>7}  note"
        )

    def print_row(self, r):
        ratio = f"{r.ratio:.2f}x" if r.ratio else ""
        queries = "" if r.queries is None else str(r.queries)
        print(
            f"{r.operation:52} {ms(r.median):>11} {ms(r.p95):>11} {ms(r.raw):>11} "
            f"{ratio:>7} {queries:>7}  {r.note}",
            flush=True,
        )

    # --- fixtures ---------------------------------------------------------------------------

    def personas(self):
        from django.contrib.auth import get_user_model

        from roadmap_portal.accounts.models import Profile

        User = get_user_model()
        self.admin = User.objects.get(username="scale-admin")
        reviewer = Profile.objects.filter(role="reviewer", user__username__startswith="scale-")
        self.reviewer = reviewer.order_by("corporation_id").first().user
        self.group_id = self.reviewer.profile.corporation_id
        staff = Profile.objects.filter(role="region_staff", user__username__startswith="scale-")
        self.staff = staff.order_by("region_id").first().user
        self.region_id = self.staff.profile.region_id
        member = Profile.objects.filter(
            role="supplier",
            user__username__startswith="scale-",
            supplier__verification_status="verified",
        ).order_by("supplier_id")
        self.member = member.first().user
        self.member_supplier_id = self.member.profile.supplier_id

    def sql_value(self, sql, params=None):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return row[0] if row else None

    # --- operations -------------------------------------------------------------------------

    def offers_list(self):
        status, prefix = "registered", "27"
        total = self.sql_value(
            "SELECT count(*) FROM suppliers_offer WHERE status = %s AND okpd2 LIKE %s",
            [status, prefix + "%"],
        )
        last_page = max(1, -(-total // PAGE))
        deep = max(1, int(last_page * 0.9))
        for label, page in (("first page", 1), (f"deep page {deep}", deep)):
            raw = self.raw_all(
                (
                    "SELECT count(*) FROM suppliers_offer WHERE status = %s AND okpd2 LIKE %s",
                    [status, prefix + "%"],
                ),
                (
                    "SELECT o.*, s.name, r.title FROM suppliers_offer o "
                    "JOIN suppliers_supplier s ON s.id = o.supplier_id "
                    "JOIN roadmap_portal_roadmap r ON r.id = o.roadmap_id "
                    "WHERE o.status = %s AND o.okpd2 LIKE %s ORDER BY o.id DESC LIMIT %s OFFSET %s",
                    [status, prefix + "%", PAGE, (page - 1) * PAGE],
                ),
            )
            self.measure(
                f"API offers ?status&okpd2, {label}",
                lambda page=page: self.api_get(
                    self.admin,
                    "/api/v1/offers/",
                    {"status": status, "okpd2": prefix, "page": page, "page_size": PAGE},
                ),
                raw,
                note=f"{total:,} rows match",
            )

    def register_list(self):
        raw = self.raw_all(
            ("SELECT count(*) FROM certification_registerentry WHERE excluded_on IS NULL", None),
            (
                f"SELECT {REGISTER_COLUMNS} FROM certification_registerentry t {REGISTER_JOINS} "
                "WHERE t.excluded_on IS NULL ORDER BY t.corporation_id, t.number LIMIT %s",
                [PAGE],
            ),
        )
        self.measure(
            "API register ?active=true, first page",
            lambda: self.api_get(
                self.admin, "/api/v1/register/", {"active": "true", "page_size": PAGE}
            ),
            raw,
        )

    def cursor_at(self, model, position):
        """The ``?cursor=`` that starts right after the row at ``position`` (0-based) in the
        feeds' (updated, id) order, encoded as the API encodes its next links."""
        from roadmap_portal.api.pagination import KeysetPage

        row = model.objects.order_by("updated", "id").only("updated", "id")[position]
        page = KeysetPage(
            keys=("updated", "id"), page_size=PAGE, request=None, cursor_query_param="cursor"
        )
        return row, page._encode(row, backwards=False)

    def feed_pages(self, label, path, model, table, joins, columns):
        """First and last pages of a whole feed: page numbers (OFFSET and count) against
        cursors (a range read of the (updated, id) index, no count)."""
        total = self.sql_value(f"SELECT count(*) FROM {table}")
        last_page = max(1, -(-total // PAGE))
        select = f"SELECT {columns} FROM {table} t {joins}"
        for name, page in (("first page", 1), (f"last page {last_page:,}", last_page)):
            self.measure(
                f"API {label}, page numbers, {name}",
                lambda page=page: self.api_get(self.admin, path, {"page": page, "page_size": PAGE}),
                self.raw_all(
                    (f"SELECT count(*) FROM {table}", None),
                    (
                        f"{select} ORDER BY t.id DESC LIMIT %s OFFSET %s"
                        if label.startswith("offers")
                        else f"{select} ORDER BY t.corporation_id, t.number LIMIT %s OFFSET %s",
                        [PAGE, (page - 1) * PAGE],
                    ),
                ),
                note=f"{total:,} rows",
            )
        self.measure(
            f"API {label}, cursor, first page",
            lambda: self.api_get(self.admin, path, {"mode": "cursor", "page_size": PAGE}),
            self.raw(f"{select} ORDER BY t.updated, t.id LIMIT %s", [PAGE + 1]),
            note="?mode=cursor",
        )
        if not self.wanted(f"API {label}, cursor, last page"):
            return
        row, cursor = self.cursor_at(model, max(0, total - PAGE - 1))
        self.measure(
            f"API {label}, cursor, last page",
            lambda: self.api_get(self.admin, path, {"cursor": cursor, "page_size": PAGE}),
            self.raw(
                f"{select} WHERE t.updated >= %s AND (t.updated, t.id) > (%s, %s) "
                "ORDER BY t.updated, t.id LIMIT %s",
                [row.updated, row.updated, row.id, PAGE + 1],
            ),
            note=f"the last {PAGE} of {total:,} rows by (updated, id)",
        )

    def cursor_feeds(self):
        from certification.models import RegisterEntry
        from suppliers.models import Offer

        self.feed_pages(
            "register",
            "/api/v1/register/",
            RegisterEntry,
            "certification_registerentry",
            REGISTER_JOINS,
            REGISTER_COLUMNS,
        )
        self.feed_pages(
            "offers",
            "/api/v1/offers/",
            Offer,
            "suppliers_offer",
            "JOIN suppliers_supplier s ON s.id = t.supplier_id "
            "JOIN roadmap_portal_roadmap r ON r.id = t.roadmap_id",
            "t.*, s.name, r.title",
        )

    def tenders_list(self):
        raw = self.raw_all(
            ("SELECT count(*) FROM procurement_tender WHERE status = 'open'", None),
            (
                "SELECT t.*, c.short_name FROM procurement_tender t "
                "JOIN roadmap_portal_corporation c ON c.id = t.customer_id "
                "WHERE t.status = 'open' ORDER BY t.published_on DESC, t.id DESC LIMIT %s",
                [PAGE],
            ),
        )
        self.measure(
            "API tenders ?status=open, first page",
            lambda: self.api_get(
                self.admin, "/api/v1/tenders/", {"status": "open", "page_size": PAGE}
            ),
            raw,
        )

    ELIGIBILITY_SQL = """
        WITH t AS (
            SELECT t.id, t.categories, t.deadline, t.status, coalesce(c.parent_id, c.id) AS grp
            FROM procurement_tender t JOIN roadmap_portal_corporation c ON c.id = t.customer_id
            WHERE {tenders}
        )
        SELECT t.id, s.id, s.verification_status = 'verified',
          EXISTS (SELECT 1 FROM roadmap_portal_roadmap r WHERE r.region_id = s.region_id
                  AND r.corporation_id = t.grp AND r.status = 'active'),
          EXISTS (SELECT 1 FROM suppliers_offer o
                  JOIN certification_registerentry e ON e.offer_id = o.id
                   AND e.excluded_on IS NULL AND e.corporation_id = t.grp
                  JOIN roadmap_portal_corporation g ON g.id = t.grp
                  LEFT JOIN certification_certificate ce ON ce.id = e.certificate_id
                  WHERE o.supplier_id = s.id AND o.status = 'registered'
                    AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(t.categories) cat
                                WHERE o.okpd2 LIKE cat || '%%')
                    AND (g.required_body_id IS NULL
                         OR (ce.status = 'valid' AND ce.valid_until >= t.deadline))),
          t.status = 'open' AND t.deadline >= current_date
        FROM t JOIN suppliers_supplier s ON {suppliers}
    """

    def eligibility_subjects(self):
        """(the verified supplier with the most register entries, the first open tender,
        the broadest open tender: one whole OKPD2 class), as the eligibility rows use them."""
        from procurement.models import Tender

        supplier_id = self.sql_value(
            "SELECT e.supplier_id FROM certification_registerentry e "
            "JOIN suppliers_supplier s ON s.id = e.supplier_id "
            "WHERE e.excluded_on IS NULL AND s.verification_status = 'verified' "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
        first = Tender.objects.filter(status="open").order_by("id").first()
        broadest = (
            Tender.objects.filter(status="open")
            .extra(where=["length(categories->>0) = 2"])
            .order_by("id")
            .first()
        ) or first
        return supplier_id, first, broadest

    def eligibility(self):
        from procurement.models import Tender
        from suppliers.models import Supplier

        supplier_id, tender, broadest = self.eligibility_subjects()
        open_count = Tender.objects.filter(status="open").count()
        self.measure(
            "API tender eligibility of one supplier",
            lambda: self.api_get(
                self.admin,
                f"/api/v1/tenders/{tender.pk}/eligibility/",
                {"supplier": supplier_id},
            ),
            self.raw(
                self.ELIGIBILITY_SQL.format(tenders="t.id = %s", suppliers="s.id = %s"),
                [tender.pk, supplier_id],
            ),
        )

        def across_open_tenders():
            try:
                from procurement.eligibility import supplier_tenders
            except ImportError as exc:
                raise Missing("procurement.eligibility.supplier_tenders") from exc

            def run():
                supplier = Supplier.objects.get(pk=supplier_id)
                tenders = Tender.objects.filter(status="open").order_by("deadline", "id")
                return supplier_tenders(supplier, tenders)

            return run

        # The same rows: the checks of the open tenders in the supplier's offers' categories
        # and groups (every other one has no offer to check), and how many others there are.
        from suppliers.pipeline import CORPORATE

        corporate = ", ".join(f"'{status}'" for status in CORPORATE)
        in_categories = (
            "t.status = 'open' AND EXISTS (SELECT 1 FROM suppliers_offer o "
            "JOIN roadmap_portal_roadmap r ON r.id = o.roadmap_id "
            "WHERE o.supplier_id = %s AND r.corporation_id = coalesce(c.parent_id, c.id) "
            f"AND o.status IN ({corporate}) "
            "AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(t.categories) cat "
            "WHERE o.okpd2 LIKE cat || '%%'))"
        )
        standing = across_open_tenders()()
        self.measure(
            "eligibility: one supplier x all open tenders",
            across_open_tenders,
            self.raw_all(
                (
                    self.ELIGIBILITY_SQL.format(tenders=in_categories, suppliers="s.id = %s"),
                    [supplier_id, supplier_id],
                ),
                ("SELECT count(*) FROM procurement_tender WHERE status = 'open'", None),
            ),
            note=(
                f"{open_count:,} open tenders; {len(standing.may_bid)} eligible, "
                f"{len(standing.may_not)} more in its categories"
            ),
        )
        tender = broadest
        group = tender.customer.parent_id or tender.customer_id
        needs_cert = bool(
            self.sql_value(
                "SELECT required_body_id IS NOT NULL FROM roadmap_portal_corporation WHERE id = %s",
                [group],
            )
        )

        def eligible_suppliers():
            try:
                from procurement.eligibility import suppliers_for_tender
            except ImportError as exc:
                raise Missing("procurement.eligibility.suppliers_for_tender") from exc
            return lambda: suppliers_for_tender(tender, Supplier.objects.all())

        raw = self.raw(
            "SELECT DISTINCT s.id, s.name FROM suppliers_offer o "
            "JOIN suppliers_supplier s ON s.id = o.supplier_id "
            "JOIN certification_registerentry e ON e.offer_id = o.id "
            " AND e.excluded_on IS NULL AND e.corporation_id = %s "
            "LEFT JOIN certification_certificate ce ON ce.id = e.certificate_id "
            "JOIN roadmap_portal_roadmap r ON r.region_id = s.region_id "
            " AND r.corporation_id = %s AND r.status = 'active' "
            "WHERE o.status = 'registered' AND s.verification_status = 'verified' "
            " AND o.okpd2 LIKE ANY(%s) "
            " AND (NOT %s OR (ce.status = 'valid' AND ce.valid_until >= %s)) "
            "ORDER BY s.name",
            [group, group, [c + "%" for c in tender.categories], needs_cert, tender.deadline],
        )
        eligible_count = len(raw())
        self.measure(
            "eligible suppliers for one tender",
            eligible_suppliers,
            raw,
            note=f"categories {','.join(tender.categories)}; {eligible_count} eligible",
        )

    def volume(self):
        from roadmap_portal.models import Roadmap

        roadmap = (
            Roadmap.objects.filter(previous__isnull=False, status="active").order_by("id").first()
        )
        group = roadmap.corporation_id
        raw = self.raw(
            "SELECT extract(year FROM c.signed_on)::int AS year, sum(c.amount) "
            "FROM procurement_contract c "
            "JOIN suppliers_supplier s ON s.id = c.supplier_id "
            "JOIN roadmap_portal_corporation k ON k.id = c.customer_id "
            "WHERE s.region_id = %s AND (k.id = %s OR k.parent_id = %s) "
            "AND c.signed_on BETWEEN %s AND %s GROUP BY 1 ORDER BY 1",
            [
                roadmap.region_id,
                group,
                group,
                datetime.date(roadmap.previous.start_year, 1, 1),
                datetime.date(roadmap.end_year, 12, 31),
            ],
        )
        self.measure(
            "API roadmap volume series",
            lambda: self.api_get(self.admin, f"/api/v1/roadmaps/{roadmap.pk}/volume/"),
            raw,
            note=f"roadmap {roadmap.pk} and its predecessor",
        )

        def aggregation():
            from roadmap_portal.insights.volume import contract_totals

            def run():
                return contract_totals(
                    [(roadmap.region_id, group)],
                    first_year=roadmap.previous.start_year,
                    last_year=roadmap.end_year,
                )

            return run

        self.measure(
            "volume aggregation: the series' GROUP BY",
            aggregation,
            raw,
            note="roadmap_portal.insights.volume.contract_totals, the query behind the series",
        )

    def region_volume_raw(self):
        """The volume series of the region's roadmaps: contracts by roadmap and year."""
        return (
            "SELECT rm.id, extract(year FROM c.signed_on)::int, sum(c.amount) "
            "FROM roadmap_portal_roadmap rm "
            "JOIN suppliers_supplier s ON s.region_id = rm.region_id "
            "JOIN procurement_contract c ON c.supplier_id = s.id "
            "JOIN roadmap_portal_corporation k ON k.id = c.customer_id "
            " AND coalesce(k.parent_id, k.id) = rm.corporation_id "
            "WHERE rm.region_id = %s GROUP BY 1, 2",
            [self.region_id],
        )

    def region_aggregation_raw(self, year=None):
        return self.raw_all(
            self.region_volume_raw(),
            (
                "SELECT o.status, count(*) FROM suppliers_offer o "
                "JOIN roadmap_portal_roadmap rm ON rm.id = o.roadmap_id "
                "WHERE rm.region_id = %s GROUP BY 1",
                [self.region_id],
            ),
        )

    def region_overview_raw(self, year=None):
        """Every figure the region's dashboard (``year`` None) or yearly report shows, by
        hand, one statement each: the volume series' ``GROUP BY``, the contract sum with
        the top suppliers and customers, the funnel from the offers' history (for a report,
        at the year's end and at its start), the offers beyond draft with the import
        substitutes, and the open demands no registered offer of the region answers (the
        first 10 and their count); a report also counts the year's new suppliers and
        certificates."""
        from suppliers.pipeline import FUNNEL

        region = self.region_id
        roadmaps = (
            "SELECT id FROM roadmap_portal_roadmap WHERE region_id = %s AND status <> 'draft'"
        )
        groups = (
            "SELECT corporation_id FROM roadmap_portal_roadmap "
            "WHERE region_id = %s AND status <> 'draft'"
        )
        contracts = (
            "FROM procurement_contract c JOIN suppliers_supplier s ON s.id = c.supplier_id "
            "JOIN roadmap_portal_corporation k ON k.id = c.customer_id "
            f"WHERE s.region_id = %s AND coalesce(k.parent_id, k.id) IN ({groups})"
        )
        contract_params = [region, region]
        if year is not None:
            contracts += " AND c.signed_on BETWEEN %s AND %s"
            contract_params += [datetime.date(year, 1, 1), datetime.date(year, 12, 31)]
        stage = " ".join(f"WHEN '{status}' THEN {i}" for i, status in enumerate(FUNNEL))
        bounds = [None]
        if year is not None:
            bounds = [datetime.date(year + 1, 1, 1), datetime.date(year, 1, 1)]
        statements = [
            self.region_volume_raw(),
            (f"SELECT sum(c.amount) {contracts}", contract_params),  # noqa: S608
            (
                "SELECT s.id, s.name, rg.name, sum(c.amount), count(*) "  # noqa: S608
                f"{contracts.replace('WHERE', 'JOIN roadmap_portal_region rg ON rg.id = s.region_id WHERE', 1)} "
                "GROUP BY s.id, s.name, rg.name ORDER BY 4 DESC, 2 LIMIT 10",
                contract_params,
            ),
            (
                "SELECT k.id, k.short_name, p.short_name, sum(c.amount), count(*) "  # noqa: S608
                f"{contracts.replace('WHERE', 'LEFT JOIN roadmap_portal_corporation p ON p.id = k.parent_id WHERE', 1)} "
                "GROUP BY k.id, k.short_name, p.short_name ORDER BY 4 DESC, 2 LIMIT 10",
                contract_params,
            ),
        ]
        for bound in bounds:
            before = "" if bound is None else " AND h.created < %s"
            statements.append(
                (
                    "SELECT f, count(*) FROM (SELECT (SELECT max(CASE h.to_status "  # noqa: S608
                    f"{stage} ELSE -1 END) FROM suppliers_offertransition h "
                    f"WHERE h.offer_id = o.id{before}) AS f FROM suppliers_offer o "
                    f"WHERE o.roadmap_id IN ({roadmaps})) x GROUP BY f",
                    ([] if bound is None else [bound]) + [region],
                )
            )
        statements.append(
            (
                "SELECT count(*), count(*) FILTER (WHERE import_substitution), "  # noqa: S608
                "count(*) FILTER (WHERE status = 'registered'), count(*) FILTER "
                "(WHERE status = 'registered' AND import_substitution) FROM suppliers_offer "
                f"WHERE roadmap_id IN ({roadmaps}) AND status <> 'draft'",
                [region],
            )
        )
        day = datetime.date.today() if year is None else datetime.date(year, 12, 31)
        demands = (
            "FROM roadmap_portal_demand d "
            "JOIN roadmap_portal_corporation k ON k.id = d.customer_id "
            f"WHERE (d.customer_id IN ({groups}) OR k.parent_id IN ({groups})) "
            "AND (d.deadline IS NULL OR d.deadline >= %s) AND NOT EXISTS (SELECT 1 "
            "FROM suppliers_offer o JOIN suppliers_supplier s ON s.id = o.supplier_id "
            "WHERE o.demand_id = d.id AND o.status = 'registered' AND s.region_id = %s)"
        )
        demand_params = [region, region, day, region]
        statements += [
            (
                f"SELECT d.*, k.short_name {demands} ORDER BY d.deadline, d.id LIMIT 10",  # noqa: S608
                demand_params,
            ),
            (f"SELECT count(*) {demands}", demand_params),  # noqa: S608
        ]
        if year is not None:
            statements += [
                (
                    "SELECT count(*) FILTER (WHERE created >= %s), count(*) "
                    "FROM suppliers_supplier WHERE region_id = %s AND created < %s",
                    [bounds[1], region, bounds[0]],
                ),
                (
                    "SELECT count(DISTINCT ce.id) FROM certification_certificate ce "  # noqa: S608
                    "JOIN certification_certificate_offers co ON co.certificate_id = ce.id "
                    "JOIN suppliers_offer o ON o.id = co.offer_id "
                    f"WHERE o.roadmap_id IN ({roadmaps}) AND ce.issued_on BETWEEN %s AND %s",
                    [region, datetime.date(year, 1, 1), datetime.date(year, 12, 31)],
                ),
            ]
        return self.raw_all(*statements)

    # The search documents, written as the migrations' GIN indexes are (roadmap_portal/search/selectors.py).
    SEARCH_DOCUMENTS = {
        "o": "to_tsvector('russian', coalesce(o.name, '') || ' ' || coalesce(o.description, '') "
        "|| ' ' || coalesce(o.replaces, ''))",
        "s": "to_tsvector('russian', coalesce(s.name, ''))",
        "t": "to_tsvector('russian', coalesce(t.title, '') || ' ' || coalesce(t.description, ''))",
        "d": "to_tsvector('russian', coalesce(d.title, '') || ' ' || coalesce(d.description, '') "
        "|| ' ' || coalesce(d.replaces, ''))",
    }

    def search_sql(self, word):
        """The six grouped reads of the search endpoint for an administrator, by hand, each
        in one statement: the first 1,000 rows holding the words (typos only when the words
        find fewer), ranked by the title's similarity, the first 5 with the count of these
        candidates, joined to what a row shows, with the headline."""
        doc = self.SEARCH_DOCUMENTS
        tsq = "to_tsquery('russian', %s)"
        prefix = f"{word}:*"
        part = f"%{word}%"
        head = f"ts_headline('russian', {{col}}, {tsq}, 'HighlightAll=true')"

        def kind(table, a, title, words, typos, show, joins, words_params, typo_params):
            # Words first; the typos' side (the whole condition) only below 1,000 words.
            sql = (
                f"WITH w AS MATERIALIZED (SELECT {a}.id, word_similarity(%s, {title}) AS r "
                f"FROM {table} {a} WHERE {words} LIMIT 1000), "
                f"c AS (SELECT * FROM w UNION ALL (SELECT {a}.id, word_similarity(%s, {title}) "
                f"FROM {table} {a} WHERE ({words} OR {typos}) AND (SELECT count(*) FROM w) < 1000 "
                f"AND {a}.id NOT IN (SELECT id FROM w) LIMIT 1000) LIMIT 1000), "
                "top AS (SELECT id, r, count(*) OVER () AS total FROM c "
                "ORDER BY r DESC, id DESC LIMIT 5) "
                f"SELECT {show}, {head.format(col=title)}, top.r, top.total FROM top "
                f"JOIN {table} {a} ON {a}.id = top.id {joins} ORDER BY top.r DESC, top.id DESC"
            )
            params = [word, *words_params, word, *words_params, *typo_params, prefix]
            return sql, params

        return [
            kind(
                "suppliers_offer",
                "o",
                "o.name",
                f"{doc['o']} @@ {tsq}",
                "o.name %%> %s",
                "o.id, o.name, o.okpd2, o.status, s.name",
                "JOIN suppliers_supplier s ON s.id = o.supplier_id",
                [prefix],
                [word],
            ),
            kind(
                "suppliers_supplier",
                "s",
                "s.name",
                f"{doc['s']} @@ {tsq}",
                "s.name %%> %s",
                "s.id, s.name, s.inn, s.ogrn, r.name",
                "JOIN roadmap_portal_region r ON r.id = s.region_id",
                [prefix],
                [word],
            ),
            kind(
                "procurement_tender",
                "t",
                "t.title",
                f"({doc['t']} @@ {tsq} OR upper(t.number) LIKE upper(%s))",
                "t.title %%> %s",
                "t.id, t.title, t.number, t.status, cu.name",
                "JOIN roadmap_portal_corporation cu ON cu.id = t.customer_id",
                [prefix, part],
                [word],
            ),
            kind(
                "roadmap_portal_demand",
                "d",
                "d.title",
                f"{doc['d']} @@ {tsq}",
                "d.title %%> %s",
                "d.id, d.title, d.category, cu.name",
                "JOIN roadmap_portal_corporation cu ON cu.id = d.customer_id",
                [prefix],
                [word],
            ),
            (
                # The register: entries of the offers in the register (their own index).
                "WITH w AS MATERIALIZED (SELECT e.id, word_similarity(%s, o.name) AS r "
                "FROM certification_registerentry e JOIN suppliers_offer o ON o.id = e.offer_id "
                f"WHERE {doc['o']} @@ {tsq} AND o.status IN ('registered', 'excluded') "
                "LIMIT 1000), "
                "top AS (SELECT id, r, count(*) OVER () AS total FROM w "
                "ORDER BY r DESC, id DESC LIMIT 5) "
                f"SELECT e.id, o.name, e.okpd2, s.name, cu.name, {head.format(col='o.name')}, "
                "top.r, top.total FROM top JOIN certification_registerentry e ON e.id = top.id "
                "JOIN suppliers_offer o ON o.id = e.offer_id "
                "JOIN suppliers_supplier s ON s.id = e.supplier_id "
                "JOIN roadmap_portal_corporation cu ON cu.id = e.corporation_id "
                "ORDER BY top.r DESC, top.id DESC",
                [word, prefix, prefix],
            ),
            (
                "SELECT ce.id, ce.number, b.short_name, s.name, 1 AS r, count(*) OVER () "
                "FROM certification_certificate ce "
                "JOIN roadmap_portal_certificationbody b ON b.id = ce.body_id "
                "JOIN suppliers_supplier s ON s.id = ce.supplier_id "
                "WHERE upper(ce.number) LIKE upper(%s) ORDER BY ce.id DESC LIMIT 5",
                [part],
            ),
        ]

    def search(self):
        """The navigation's search: one common product word (about 1 offer in 30 of the
        seeded names), as an administrator sees every row; and a partial INN."""
        word = "насосы"
        matches = self.sql_value(
            f"SELECT count(*) FROM suppliers_offer o WHERE {self.SEARCH_DOCUMENTS['o']} "
            "@@ to_tsquery('russian', %s)",
            [f"{word}:*"],
        )
        self.measure(
            f"API search ?q={word}, 6 kinds",
            lambda: self.api_get(self.admin, "/api/v1/search/", {"q": word}),
            self.raw_all(*self.search_sql(word)),
            note=f"{matches:,} offers match",
        )
        typo = "центробежнные"
        self.measure(
            f"API search ?q={typo} (a typo), 6 kinds",
            lambda: self.api_get(self.admin, "/api/v1/search/", {"q": typo}),
            self.raw_all(*self.search_sql(typo)),
        )
        inn = self.sql_value("SELECT inn FROM suppliers_supplier ORDER BY id LIMIT 1")[:7]
        self.measure(
            "API search ?q=<7 digits of an INN>&kind=suppliers",
            lambda: self.api_get(self.admin, "/api/v1/search/", {"q": inn, "kind": "suppliers"}),
            self.raw(
                "SELECT s.id, s.name, s.inn, s.ogrn, r.name, count(*) OVER () "
                "FROM suppliers_supplier s JOIN roadmap_portal_region r ON r.id = s.region_id "
                "WHERE s.inn LIKE %s OR s.ogrn LIKE %s ORDER BY s.id DESC LIMIT 25",
                [inn + "%", inn + "%"],
            ),
        )

    def pages(self):
        self.measure(
            "page /certification/queue/ (reviewer)",
            lambda: self.page_get(self.reviewer, "/certification/queue/"),
            self.raw_all(
                (
                    "SELECT count(*) FROM suppliers_offer o "
                    "JOIN roadmap_portal_roadmap rm ON rm.id = o.roadmap_id "
                    "WHERE rm.corporation_id = %s AND o.status IN "
                    "('forwarded', 'requirements_met', 'readiness_confirmed', 'tested', "
                    "'certified')",
                    [self.group_id],
                ),
                (
                    "SELECT o.*, s.name FROM suppliers_offer o "
                    "JOIN roadmap_portal_roadmap rm ON rm.id = o.roadmap_id "
                    "JOIN suppliers_supplier s ON s.id = o.supplier_id "
                    "WHERE rm.corporation_id = %s AND o.status IN "
                    "('forwarded', 'requirements_met', 'readiness_confirmed', 'tested', "
                    "'certified') ORDER BY o.status_changed, o.id LIMIT %s",
                    [self.group_id, PAGE],
                ),
            ),
        )
        self.measure(
            "page /dashboard/ (region staff)",
            lambda: self.page_get(self.staff, "/dashboard/"),
            self.region_overview_raw(),
            note="raw = each of the page's figures by hand (region_overview_raw)",
        )

    def report(self):
        from roadmap_portal.models import Region, Report

        year = datetime.date.today().year - 1
        region = Region.objects.get(pk=self.region_id)
        report = Report(scope=Report.Scope.REGION, region=region, year=year, language="en")

        def aggregation():
            try:
                from roadmap_portal.insights.reports import report_context
            except ImportError as exc:
                raise Missing("roadmap_portal.insights.reports.report_context") from exc
            return lambda: report_context(report)

        def pdf():
            try:
                from roadmap_portal.insights.reports import render_report
            except ImportError as exc:
                raise Missing("roadmap_portal.insights.reports.render_report") from exc
            return lambda: render_report(report)

        self.measure(
            f"region report {year}: aggregation",
            aggregation,
            self.region_overview_raw(year),
            note=f"{region.code}; raw = each of the report's figures by hand",
        )
        self.measure(f"region report {year}: PDF render", pdf, runs=2, note="WeasyPrint")

    def import_rows(self, count):
        rows = []
        for i in range(count):
            rows.append(
                {
                    "name": f"Изделие для замеров импорта № {i + 1}",
                    "description": "Серийное изделие, поставка по ТУ.",
                    "okpd2": f"27.11.{10 + i % 30}.{i % 1000:03d}",
                    "import_substitution": i % 2 == 0,
                    "replaces": "Siemens" if i % 2 == 0 else "",
                    "gisp_number": "",
                    "capacity_per_year": 100 + i % 900,
                    "unit": "шт.",
                    "unit_price": 1000 + (i % 5000) * 10,
                }
            )
        return rows

    def importing(self, count=10_000):
        from django.db import transaction
        from openpyxl import Workbook

        from roadmap_portal.models import Roadmap
        from suppliers.models import Offer

        try:
            from suppliers.importing import offers_import, offers_import_check
        except ImportError:
            for label in ("preview", "import"):
                self.measure(f"import {count:,}-row XLSX: {label}", missing("suppliers.importing"))
            return
        rows = self.import_rows(count)
        fields = list(rows[0])
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(fields)
        for row in rows:
            sheet.append([row[f] for f in fields])
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
        roadmap = (
            Roadmap.objects.filter(region__suppliers__id=self.member_supplier_id, status="active")
            .order_by("id")
            .first()
        )

        def preview():
            check = offers_import_check(
                user=self.member, roadmap_id=roadmap.pk, content=content, filename="list.xlsx"
            )
            if check.errors:
                raise RuntimeError(f"preview found errors: {check.errors[:2]}")
            return check

        created = []

        def run_import():
            offers = offers_import(
                user=self.member, roadmap_id=roadmap.pk, content=content, filename="list.xlsx"
            )
            created.append(list(offers))

        def cleanup():
            for ids in created:
                Offer.objects.filter(pk__in=ids).delete()
            created.clear()
            vacuum()

        def vacuum():
            # Each run leaves 10,000 dead offers (and the COPY's rolled-back ones): left to
            # autovacuum, repeated runs read ever more dead index entries (the import's
            # duplicate check went from 2 to 250 ms after a few benchmark runs).
            if self.connection.vendor == "postgresql":
                with self.connection.cursor() as cursor:
                    cursor.execute("VACUUM (ANALYZE) suppliers_offer, suppliers_offertransition")

        def copy_rows():
            columns = [
                "supplier_id",
                "roadmap_id",
                *fields,
                "status",
                "status_changed",
                "created",
                "updated",
            ]
            now = datetime.datetime.now(datetime.UTC).isoformat()
            text = io.StringIO()
            import csv

            writer = csv.writer(text, quoting=csv.QUOTE_NONNUMERIC)
            for row in rows:
                writer.writerow(
                    [self.member_supplier_id, roadmap.pk, *[row[f] for f in fields]]
                    + ["draft", now, now, now]
                )
            text.seek(0)
            with transaction.atomic():
                with self.connection.cursor() as cursor:
                    cursor.cursor.copy_expert(
                        f"COPY suppliers_offer ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)",
                        text,
                    )
                transaction.set_rollback(True)

        vacuum()
        r = self.measure(f"import {count:,}-row XLSX: preview", lambda: preview, copy_rows, runs=2)
        if r.median:
            r.note = f"{count / r.median:,.0f} rows/s; raw = COPY of the same rows"
            self.reprint(r)

        durations = []

        def import_and_clean():
            vacuum()  # not timed: the dead rows of the COPY runs
            # Not timed: the preview each import follows in the portal (the upload page and
            # the API's dry run). The import takes its rows; without it the import checks the
            # file itself, and this row timed a preview and an import.
            preview()
            started = time.perf_counter()
            try:
                run_import()
                durations.append(time.perf_counter() - started)
            finally:
                cleanup()  # not timed: the next run imports the same rows again

        r = self.measure(
            f"import {count:,}-row XLSX: import", lambda: import_and_clean, copy_rows, runs=2
        )
        if r.median and durations:
            timed_runs = sorted(durations[-2:])
            r.median, r.p95 = statistics.median(timed_runs), timed_runs[-1]
            r.note = f"{count / r.median:,.0f} rows/s; raw = COPY of the same rows"
            self.reprint(r)

    def reprint(self, result):
        """The row again, with the figures set after ``measure`` (the line above is
        superseded)."""
        self.print_row(result)

    def throughput(self, seconds=10, threads=8, baseline=None):
        """Requests/s on one offer's detail from gunicorn: the configuration of before this
        work (``CONN_MAX_AGE=0``, a new database connection a request) next to today's
        (persistent connections), the code of ``baseline`` (a git revision, run from an
        exported copy) when given, and the 304 answers to ``If-None-Match``."""
        from knox.models import AuthToken

        from suppliers.models import Offer

        name = "throughput: GET /api/v1/offers/{id}/ (gunicorn -w 2)"
        runs = [
            (f"{name}, CONN_MAX_AGE=0", {"CONN_MAX_AGE": "0"}, None, False),
            (name, {}, None, False),
        ]
        if baseline:
            runs.insert(0, (f"{name}, code of {baseline}", {}, baseline, False))
        runs.append((f"{name}, 304 to If-None-Match", {}, None, True))
        runs = [run for run in runs if self.wanted(run[0])]
        if not runs:
            return
        offer = Offer.objects.filter(status="registered").order_by("id").first()
        _instance, token = AuthToken.objects.create(user=self.admin)
        path = f"/api/v1/offers/{offer.pk}/"
        try:
            detail = self.api_get(self.admin, path)
            queries = self.count_queries(detail)
            single, _p95 = timed(detail, self.runs)
            raw, _p95 = timed(
                self.raw(
                    "SELECT o.*, s.name, r.title FROM suppliers_offer o "
                    "JOIN suppliers_supplier s ON s.id = o.supplier_id "
                    "JOIN roadmap_portal_roadmap r ON r.id = o.roadmap_id WHERE o.id = %s",
                    [offer.pk],
                ),
                self.runs,
            )
            etag = detail().get("ETag")
        except Missing:
            for operation, *_rest in runs:
                self.results.append(Result(operation, note="n/a (missing)"))
                self.print_row(self.results[-1])
            return
        for operation, env, revision, conditional in runs:
            result = Result(operation, queries=queries)
            headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
            expect = 200
            if conditional:
                if not etag:
                    result.note = "n/a (missing: ETag)"
                    self.results.append(result)
                    self.print_row(result)
                    continue
                expect = 304
                result.queries = self.count_queries(
                    lambda: self.api_client_get(path, {"HTTP_IF_NONE_MATCH": etag})
                )
            try:
                rps, latencies, errors, used = self.drive(
                    path, headers, expect, env, revision, seconds=seconds, threads=threads
                )
                result.median = statistics.median(latencies)
                result.p95 = latencies[int(0.95 * (len(latencies) - 1))]
                # Latencies under concurrency are not comparable with one raw query: the
                # in-process single request and its raw SQL go in the note instead.
                result.note = (
                    f"{rps:,.0f} requests/s, {threads} client threads, {seconds} s, "
                    f"{errors} errors; one request in-process {ms(single)}, raw SQL {ms(raw)}"
                )
                if conditional:
                    result.note = (
                        f"{rps:,.0f} requests/s answered 304, {threads} client threads, "
                        f"{seconds} s, {errors} errors"
                    )
                if used is not None and latencies:
                    # What each request cost the machine's CPUs, by process.
                    each = {k: v / len(latencies) for k, v in used.items()}
                    result.note += "; CPU a request: " + ", ".join(
                        f"{name} {each[key] * 1000:.2f} ms"
                        for key, name in (
                            ("server", "gunicorn"),
                            ("client", "client"),
                            ("postgres", "PostgreSQL"),
                        )
                    )
                    result.extra["cpu"] = each
                result.extra["rps"] = rps
            except Exception as exc:
                result.note = f"error: {exc}"
            self.results.append(result)
            self.print_row(result)

    def api_client_get(self, path, extra):
        from rest_framework.test import APIClient

        client = APIClient()
        client.force_authenticate(self.admin)
        return client.get(path, **extra)

    def drive(self, path, headers, expect, env_extra, revision, *, seconds, threads):
        """Start gunicorn (of ``revision``'s code when given), drive ``path`` from
        ``threads`` clients for ``seconds``: (requests/s, sorted latencies, errors)."""
        import tempfile

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            **os.environ,
            "DEBUG": "false",
            "API_RATE_USER": "10000000/minute",
            "API_RATE_KEY": "10000000/minute",
            **env_extra,
        }
        cwd, exported = ROOT, None
        if revision:
            exported = tempfile.TemporaryDirectory(prefix="bench-code-")
            archive = subprocess.run(
                ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", exported.name], input=archive, check=True)
            cwd = Path(exported.name)
            env["PYTHONPATH"] = str(cwd)
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        process = subprocess.Popen(
            [
                gunicorn,
                "roadmap_portal.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

        headers = dict(headers)
        etags = []

        def get():
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                etags.append(response.getheader("ETag"))
                return response.status
            finally:
                connection.close()

        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if get() == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not answer")
                time.sleep(0.2)
            if expect == 304:
                # The server's own ETag (it names the host the answer was asked of).
                headers["If-None-Match"] = etags[-1]
                if get() != 304:
                    raise RuntimeError("If-None-Match was not answered 304")
            for _ in range(20):
                get()
            latencies, errors = [], []
            lock = threading.Lock()
            stop = time.monotonic() + seconds

            def worker():
                mine, bad = [], 0
                while time.monotonic() < stop:
                    started = time.perf_counter()
                    try:
                        status = get()
                    except OSError:
                        status = None
                    if status == expect:
                        mine.append(time.perf_counter() - started)
                    else:
                        bad += 1
                with lock:
                    latencies.extend(mine)
                    errors.append(bad)

            pool = [threading.Thread(target=worker) for _ in range(threads)]
            before = cpu_seconds(process.pid)
            began = time.monotonic()
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            elapsed = time.monotonic() - began
            after = cpu_seconds(process.pid)
            used = after - before if before is not None and after is not None else None
            latencies.sort()
            return len(latencies) / elapsed, latencies, sum(errors), used
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if exported is not None:
                exported.cleanup()


class _CPU(dict):
    """CPU seconds by process group; subtracting gives what was used in between."""

    def __sub__(self, other):
        return _CPU({key: self[key] - other.get(key, 0.0) for key in self})


def cpu_seconds(server_pid):
    """CPU seconds (user and system) used so far by gunicorn (``server_pid`` and its
    workers), by this process (the client threads) and by PostgreSQL's processes on this
    machine; None where ``/proc`` cannot tell (not Linux)."""
    tick = os.sysconf("SC_CLK_TCK")

    def used(pid):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    totals = _CPU(server=0.0, client=0.0, postgres=0.0)
    try:
        totals["client"] = used(os.getpid())
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            if int(pid) == server_pid or parent == server_pid:
                totals["server"] += used(pid)
            elif name.startswith("postgres"):
                totals["postgres"] += used(pid)
        except (OSError, ValueError, IndexError):
            continue  # a process that ended meanwhile
    return totals


def machine(connection):
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return {
        "load": load,
        "cpus": os.cpu_count(),
        "memory": memory,
        "postgresql": version,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def counts(connection):
    tables = {
        "suppliers": "suppliers_supplier",
        "offers": "suppliers_offer",
        "offer history": "suppliers_offertransition",
        "register entries": "certification_registerentry",
        "tenders": "procurement_tender",
        "contracts": "procurement_contract",
    }
    out = {}
    with connection.cursor() as cursor:
        for label, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")
            out[label] = cursor.fetchone()[0]
    return out


def markdown(scale, info, sizes, results, seeded, total):
    lines = [
        f"### Scale `{scale}`, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {info['cpus']} CPUs, {info['memory']} RAM, PostgreSQL {info['postgresql']}, "
        f"Python {info['python']} ({info['platform']}); load average at the start: "
        f"{info['load']}.",
        "",
        "Data: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()) + ".",
        "",
    ]
    if seeded is not None:
        lines += [f"Generated by `seed_scale --scale {scale}` in {seeded:.1f} s.", ""]
    lines += [
        "| operation | median | p95 | raw SQL median | ratio | queries | note |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for r in results:
        ratio = f"{r.ratio:.2f}x" if r.ratio else ""
        queries = "" if r.queries is None else r.queries
        lines.append(
            f"| {r.operation} | {ms(r.median)} | {ms(r.p95)} | {ms(r.raw)} | {ratio} | "
            f"{queries} | {r.note} |"
        )
    lines += ["", f"The whole run took {total:.0f} s.", ""]
    return "\n".join(lines)


def write_doc(scale, section):
    """Replace this scale's section of docs/benchmarks.md, keeping the rest of the page."""
    begin, end = f"<!-- results:{scale} -->", f"<!-- /results:{scale} -->"
    block = f"{begin}\n{section}\n{end}"
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text + "\n" + block
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text.rstrip() + "\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["tiny", "small", "federal"], default="small")
    parser.add_argument("--runs", type=int, default=None, help="Timed runs per operation.")
    parser.add_argument("--no-doc", action="store_true", help="Do not write docs/benchmarks.md.")
    parser.add_argument("--throughput-seconds", type=int, default=10)
    parser.add_argument(
        "--baseline",
        metavar="REVISION",
        help="Also measure the throughput on one offer with the code of this git revision "
        "(exported to a temporary directory; same database and environment).",
    )
    parser.add_argument(
        "--only",
        metavar="PATTERN",
        help="Run only the operations whose name matches this regular expression "
        "(implies --no-doc: a partial table would replace the scale's section).",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    ensure_database(args.scale)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")
    # Timings without DEBUG's query log; gunicorn gets the same environment.
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    from suppliers.models import Offer

    call_command("migrate", verbosity=0, interactive=False)
    seeded = None
    if not Offer.objects.exists():
        print(f"Empty database: seeding scale {args.scale} ...", flush=True)
        t = time.perf_counter()
        call_command("seed_scale", scale=args.scale, stdout=io.StringIO())
        seeded = time.perf_counter() - t
        print(f"seeded in {seeded:.1f} s", flush=True)
    runs = args.runs or (5 if args.scale == "federal" else 9)
    # The process starts as a web worker does (roadmap_portal/wsgi.py): the URL configuration
    # imported and the garbage collector settled.
    import roadmap_portal.wsgi  # noqa: F401

    bench = Bench(args.scale, runs, only=args.only)
    bench.personas()
    info, sizes = machine(connection), counts(connection)
    print(
        f"scale {args.scale}: "
        + ", ".join(f"{v:,} {k}" for k, v in sizes.items())
        + f"; {info['cpus']} CPUs, {info['memory']}, PostgreSQL {info['postgresql']}"
    )
    bench.print_header()
    for step in (
        bench.offers_list,
        bench.register_list,
        bench.tenders_list,
        bench.cursor_feeds,
        bench.eligibility,
        bench.volume,
        bench.search,
        bench.pages,
        bench.report,
        bench.importing,
    ):
        try:
            step()
        except Exception as exc:  # one broken fixture must not stop the others
            bench.results.append(Result(step.__name__, note=f"error: {exc}"))
            bench.print_row(bench.results[-1])
    bench.throughput(seconds=args.throughput_seconds, baseline=args.baseline)
    total = time.perf_counter() - started
    print(f"total {total:.0f} s")
    if not args.no_doc and not args.only:
        write_doc(args.scale, markdown(args.scale, info, sizes, bench.results, seeded, total))
        print(f"written to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
