"""Conditional GETs: ``ETag`` and ``Last-Modified`` from one cheap query, ``304 Not Modified``
without building the answer, and a ``Cache-Control`` that fits the resource (docs/api.md).

A view names the rows its answer is made of as :class:`Stamp`\\ s (a queryset, the
timestamp columns that change when a row is written, and optionally a column to sum for
rows written without a timestamp). One query reads, for every stamp, the number of rows,
the latest timestamp (and the sum); the ETag is a digest of those figures with what else
decides the answer's bytes: the path and query string, the host, the media type, the
language, the caller's scope (and, for private resources, the caller). A new, edited or
removed row changes a figure, so the ETag; ``Last-Modified`` is the latest timestamp.

The check runs after authentication, permissions and throttling (inside the view's
method): a 304 tells a caller nothing it could not read.
"""

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from django.utils.translation import get_language

from roadmap_portal.api.pagination import FeedPagination
from roadmap_portal.api.pagination import PageNumberPagination as PageNumbers
from roadmap_portal.api.statements import Statements, plain, reader
from roadmap_portal.db.postgresql.base import run_statement
from roadmap_portal.scope import scope_of

# The largest OFFSET of a page read by number (PostgreSQL's bigint).
MAX_OFFSET = 2**63 - 1
# Bump when the answer's format changes without any row changing.
FORMAT_VERSION = "1"
VARY = ("Accept", "Accept-Language", "Authorization", "Cookie")
PUBLIC = "public"
PRIVATE = "private"


@dataclass
class Stamp:
    """Rows an answer is made of: ``latest`` columns (``updated``, or several for rows
    that show related rows' fields) and a ``total`` column summed (by default the ids, so
    that a row removed and another added change it; a value column for rows edited in
    place without a timestamp)."""

    # The rows, or a function giving them: built only when the stamps query runs (a GET
    # that asks nothing conditional takes its figures from the rows the answer read).
    queryset: object
    latest: tuple = ("updated",)
    total: str | None = "pk"
    # A cursor page's few rows need no count (the sum of their ids tells a change in them).
    count: bool = True
    # The rows' ids themselves instead of their sum (a page's: the paginator reads them).
    ids: bool = False

    def rows(self):
        if callable(self.queryset):
            self.queryset = self.queryset()
        return self.queryset


@dataclass(frozen=True)
class Statement:
    """The one query of a set of stamps: its SQL and parameters, and the model whose
    database (the router's choice for reads, at the time it runs) it runs on."""

    model: type
    sql: str
    params: tuple
    # The database its rows were named on (``using``), else the router's for reads.
    database: str | None = None

    def run(self, *, prepared=False):
        """``[(count, latest, total), ...]`` of the stamps it was written for; ``prepared``:
        as a statement the connection prepares once (one object's stamps, whose plan is a
        lookup by key whatever the values; a list's counts keep a plan of their own)."""
        connection = connections[self.database or router.db_for_read(self.model)]
        with connection.cursor() as cursor:
            run_statement(connection, cursor, self.sql, self.params, prepared=prepared)
            row = cursor.fetchone()
        return [(row[i], _moment(row[i + 1]), row[i + 2]) for i in range(0, len(row), 3)]

    @property
    def reusable(self):
        """Whether the same request shape always gives this statement: no parameter is a
        moment (``now``, ``today``) read while the querysets were built."""
        return all(plain(value) for value in self.params)


def stamps_statement(stamps):
    """The :class:`Statement` reading, for every stamp, the number of rows, the latest
    timestamp and the total, in one query."""
    first = stamps[0].rows()
    database = first.db
    selects, params = [], []
    for index, stamp in enumerate(stamps):
        columns = [F(name) for name in stamp.latest]
        annotations = {}
        if columns:
            annotations["_stamp"] = Greatest(*columns) if len(columns) > 1 else columns[0]
        if stamp.total:
            annotations["_total"] = F(stamp.total)
        inner = stamp.rows().order_by()
        inner = (
            inner.annotate(**annotations).values_list(*annotations)
            if annotations
            else inner.values_list("pk")
        )
        latest = 'max("_stamp")' if columns else "NULL"
        total = ('array_agg("_total")' if stamp.ids else 'sum("_total")') if stamp.total else "NULL"
        count = "count(*)" if stamp.count else "NULL"
        try:
            sql, inner_params = inner.query.get_compiler(using=database).as_sql()
        except EmptyResultSet:
            # A scope that holds none of these rows (``.none()``): no rows, nothing to read.
            count = "0" if stamp.count else "NULL"
            selects.append(f"(SELECT {count} AS n, NULL AS m, NULL AS s) a{index}")
            continue
        # The inner SQL is Django's own compilation, its values stay parameters.
        selects.append(
            f"(SELECT {count} AS n, {latest} AS m, {total} AS s FROM ({sql}) t{index}) "  # noqa: S608
            f"a{index}"
        )
        params.extend(inner_params)
    columns = ", ".join(f"a{i}.n, a{i}.m, a{i}.s" for i in range(len(stamps)))
    sql = f"SELECT {columns} FROM {', '.join(selects)}"  # noqa: S608
    return Statement(first.model, sql, tuple(params), first._db)


def read_stamps(stamps):
    """``[(count, latest, total), ...]`` for ``stamps``, in one query."""
    return stamps_statement(stamps).run()


# The stamps statements of the single objects answered to conditional GETs: a 304 then
# builds and compiles no queryset (about 0.8 ms of the 2.0 ms of CPU it took).
statements = Statements()


def _moment(value):
    """A latest change as the rows give it: SQLite (the demo) returns an aggregated
    date-time as its stored text (UTC), PostgreSQL as an aware ``datetime``."""
    if isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment, datetime.UTC)
        return moment if moment is not None else value
    return value


def figures_of(rows, stamp, *, read=None):
    """The figures :func:`read_stamps` gives for ``stamp``, from the rows the answer
    already read (``.values()`` dicts or instances; ``read(row, name)`` for others), so that
    a plain GET needs no query of its own for its ETag."""
    if read is None:

        def read(row, name):
            if isinstance(row, dict):
                return row[name] if name != "pk" or "pk" in row else row["id"]
            value = row
            for part in name.split("__"):
                value = getattr(value, part)
            return value

    rows = list(rows)
    moments = [read(row, name) for row in rows for name in stamp.latest]
    moments = [m for m in moments if m is not None]
    total = None
    if stamp.total and rows:
        total = sum(read(row, stamp.total) for row in rows)
    return (len(rows) if stamp.count else None, max(moments) if moments else None, total)


def _figure(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, int | Decimal) and value == int(value):
        return int(value)  # a sum of ids: numeric from PostgreSQL, int from Python
    return None if value is None else str(value)


def validators(request, stamps, *, visibility, figures=None, salt=""):
    """``(etag, last_modified timestamp or None)`` of the answer to ``request``; ``salt`` is
    whatever else the answer depends on (e.g. today's date)."""
    if figures is None:
        figures = read_stamps(stamps)
    scope = scope_of(request.user)
    api_key = getattr(request.user, "_api_key", None)
    who = [scope.role, scope.region_id, scope.group_id, scope.body_id, scope.supplier_id]
    if visibility == PRIVATE:
        who.append(getattr(request.user, "pk", None))
    accepted = getattr(request, "accepted_media_type", "") or ""
    parts = [
        FORMAT_VERSION,
        request.get_host(),
        request.get_full_path(),
        accepted,
        get_language() or "",
        repr(who),
        repr(getattr(api_key, "pk", None)),
        salt,
        repr([tuple(_figure(value) for value in figure) for figure in figures]),
    ]
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    moments = [m for _n, m, _s in figures if hasattr(m, "timestamp")]
    last_modified = int(max(moments).timestamp()) if moments else None
    return f'"{digest}"', last_modified


def cache_headers(response, *, visibility, etag=None, last_modified=None):
    if etag:
        response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    if visibility == PUBLIC:
        patch_cache_control(response, public=True, max_age=settings.API_PUBLIC_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, VARY)
    return response


def asks_conditionally(request):
    """Whether a GET or HEAD holds a copy to confirm (``If-None-Match`` or
    ``If-Modified-Since``)."""
    return request.method in ("GET", "HEAD") and bool(
        request.META.get("HTTP_IF_NONE_MATCH") or request.META.get("HTTP_IF_MODIFIED_SINCE")
    )


def conditional(
    request, stamps, answer, *, visibility, answered_figures=None, figures=None, salt=""
):
    """A 304 when the caller's copy is current, else ``answer()`` with its validators.

    ``answered_figures()``, when given, gives the stamps' figures from the rows ``answer()``
    read: a GET that asks nothing conditional then runs no stamps query."""
    if request.method not in ("GET", "HEAD"):
        return answer()
    if not asks_conditionally(request) and answered_figures is not None:
        response = answer()
        if response.status_code != 200:
            return response
        # From the rows read (a cursor page, one object), else from the stamps query.
        figures = answered_figures()
        etag, last_modified = validators(
            request, stamps, visibility=visibility, figures=figures, salt=salt
        )
        return cache_headers(
            response, visibility=visibility, etag=etag, last_modified=last_modified
        )
    etag, last_modified = validators(
        request, stamps, visibility=visibility, figures=figures, salt=salt
    )
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        return cache_headers(not_modified, visibility=visibility, etag=etag)
    response = answer()
    if response.status_code != 200:
        return response
    return cache_headers(response, visibility=visibility, etag=etag, last_modified=last_modified)


class ConditionalListMixin:
    """``list`` and ``retrieve`` answer conditional GETs (one query for a 304).

    ``cache_visibility`` is ``public`` for what every caller of the same scope reads alike
    (cacheable by shared caches, keyed on the credentials by ``Vary``) and ``private``
    otherwise; ``conditional_stamps(queryset)`` names the rows of an answer (default: the
    view's scoped, filtered queryset by ``updated``).
    """

    cache_visibility = PRIVATE

    def conditional_stamps(self, queryset):
        return [Stamp(queryset, count=not self._cursor_page)]

    def filter_queryset(self, queryset):
        # The answer's own filtering reuses the stamps' (one filter set a request).
        prefiltered, self._prefiltered = getattr(self, "_prefiltered", None), None
        if prefiltered is not None and prefiltered.model is queryset.model:
            return prefiltered
        return super().filter_queryset(queryset)

    _cursor_page = False
    _stamps = None  # the answer's stamps, once built
    _shown = None  # the rows shown, when a page of the answer's rows (a function)

    def _answer_rows(self):
        queryset = self.filter_queryset(self.get_queryset())
        self._prefiltered = queryset
        if self.action == "retrieve":
            lookup = self.lookup_url_kwarg or self.lookup_field
            return lambda: queryset.filter(**{self.lookup_field: self.kwargs[lookup]})
        paginator = self.paginator
        if isinstance(paginator, FeedPagination) and paginator.wants_cursor(self.request):
            # A cursor page is its own rows (a range of the key's index, no count of the
            # feed): their number, latest change and the sum of their ids.
            keyset = paginator.keyset_page(self.request, self)
            rows = queryset.model._default_manager.using(queryset.db)
            self._cursor_page = True

            def page():
                return keyset.page_queryset(queryset)

            # The rows shown (without the one after them), for what only they show.
            self._shown = lambda: rows.filter(pk__in=page()[: keyset.page_size].values("pk"))
            return lambda: rows.filter(pk__in=page().values("pk"))
        return queryset

    def get_object(self):
        self._answered_object = super().get_object()
        return self._answered_object

    def answered_rows(self):
        """The rows the answer read for the first stamp: the cursor page's rows and the
        one after it, or the single object; None when not known (a page-number page)."""
        if self.action == "retrieve":
            found = getattr(self, "_answered_object", None)
            return None if found is None else [found]
        keyset = getattr(self.paginator, "_keyset", None) if self._cursor_page else None
        return None if keyset is None else keyset.fetched

    def answered_figures(self):
        """The stamps' figures from the rows the answer read (no query), or None."""
        rows = self.answered_rows()
        if rows is None or len(self._stamps) != 1:
            return None
        stamp = self._stamps[0]
        if rows and not isinstance(rows[0], dict) and any("__" in n for n in stamp.latest):
            return None  # a related row's column: not read with the instance
        return [figures_of(rows, stamp)]

    counted = None  # (queryset, its number of rows) for the page-number paginator
    page_ids = None  # (page number, the page's ids in any order) for the same

    def _page_figures(self, rows):
        """A page-number page's figures, in one query: the list's count (which the
        paginator then takes from here instead of counting again) with the latest change and
        the sum of the ids of the page's own rows (and the other stamps of the rows shown).
        The answer is the count and those rows: a change elsewhere in the list that moves
        neither leaves the page as it was, and the page's figures cost a read of its 50 ids,
        not of every row's ``updated``. For a page that is not a plain number, or one past
        the end, the figures are the whole list's."""
        stamp = self._stamps[0]
        pagination = self.paginator
        page_size = pagination.get_page_size(self.request) if pagination else None
        number = None
        if page_size and stamp.total == "pk" and isinstance(pagination, PageNumbers):
            asked = self.request.query_params.get(pagination.page_query_param) or 1
            try:
                number = int(asked)
            except ValueError:
                number = None
        # A page whose first row is past any table (an OFFSET PostgreSQL cannot hold) is
        # left to the paginator, which answers it 404 like any page past the end.
        if number is not None and 1 <= number <= MAX_OFFSET // page_size:
            bottom = (number - 1) * page_size
            shown = rows.model._default_manager.using(rows.db).filter(
                pk__in=rows.values("pk")[bottom : bottom + page_size]
            )
            self._shown = lambda: shown
            stamps = self.conditional_stamps(rows)
            # The page's ids themselves where the database can aggregate them into an array
            # (PostgreSQL); their sum elsewhere (the SQLite demo), and the paginator reads them.
            as_array = connections[rows.db].vendor == "postgresql"
            page = Stamp(shown, latest=stamp.latest, count=False, ids=as_array)
            figures = read_stamps([Stamp(rows, latest=(), total=None), page, *stamps[1:]])
            count, (_n, latest, total) = figures[0][0], figures[1]
            if number == 1 or bottom < count:  # a page that exists (the first always does)
                self._stamps = stamps
                self.counted = (rows, count)
                if as_array:
                    self.page_ids = (number, total or [])
                    total = sum(total) if total else None
                return [(count, latest, total), *figures[2:]]
            self._shown = None
            self._stamps = self.conditional_stamps(rows)
        figures = read_stamps(self._stamps)
        self.counted = (rows, figures[0][0])
        return figures

    def _statement_key(self):
        """The request's shape, when its stamps statement may be kept (:class:`Statements`):
        one object asked conditionally."""
        request = self.request
        if self.action != "retrieve" or not asks_conditionally(request):
            return None
        return (
            type(self),
            request.path_info,
            request.META.get("QUERY_STRING", ""),
            *reader(request.user),
            get_language(),
        )

    def _answered_by_kept_statement(self):
        """Whether a plain GET of a cursor page or a row will be read by a kept statement (a
        view with ``kept_statement``, ``roadmap_portal.api.rows.ValuesCursorFeedMixin``)."""
        kept_statement = getattr(self, "kept_statement", None)
        return (
            self.action in ("list", "retrieve")
            and kept_statement is not None
            and not asks_conditionally(self.request)
            and kept_statement() is not None
        )

    def _conditional(self, answer):
        key = self._statement_key()
        statement = None if key is None else statements.get(key)
        figures = None
        if statement is None and self._answered_by_kept_statement():
            # A cursor page or a row read by a kept statement (``roadmap_portal.api.rows``):
            # its figures come from its rows, and no queryset is built.
            self._cursor_page = self.action == "list"
            self._stamps = self.conditional_stamps(None)
        elif statement is None:
            rows = self._answer_rows()
            self._stamps = self.conditional_stamps(rows)
            if key is not None:
                statement = stamps_statement(self._stamps)
                statements.keep(key, statement)
            elif self.action == "list" and not self._cursor_page and self._stamps[0].count:
                figures = self._page_figures(rows)
        if statement is not None:
            figures = statement.run(prepared=True)
        return conditional(
            self.request,
            self._stamps,
            answer,
            visibility=self.cache_visibility,
            answered_figures=None if figures else self.answered_figures,
            figures=figures,
        )

    def list(self, request, *args, **kwargs):
        return self._conditional(
            lambda: super(ConditionalListMixin, self).list(request, *args, **kwargs)
        )

    def retrieve(self, request, *args, **kwargs):
        return self._conditional(
            lambda: super(ConditionalListMixin, self).retrieve(request, *args, **kwargs)
        )
