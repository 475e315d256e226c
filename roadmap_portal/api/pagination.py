import base64
import binascii
import datetime
import functools
import json
import operator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.core.exceptions import EmptyResultSet
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, router
from django.db.models import BooleanField, Expression, F, Func, Q, Value
from django.db.models.query import ValuesIterable
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from roadmap_portal.api.statements import plain
from roadmap_portal.db.postgresql.base import prepared, run_statement
from roadmap_portal.paginators import IdsFirstPaginator


class PageNumberPagination(pagination.PageNumberPagination):
    """``{"count", "next", "previous", "results"}`` with ``?page=&page_size=`` (at most 200).

    An unordered queryset is refused: pages of it would overlap or skip rows.
    """

    django_paginator_class = IdsFirstPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        if hasattr(queryset, "ordered") and not queryset.ordered:
            raise TypeError(
                f"{view.__class__.__name__ if view else 'A view'} paginates an unordered "
                "queryset: give it an order_by()."
            )
        counted = getattr(view, "counted", None)
        if counted is None or counted[0] is not queryset:
            return super().paginate_queryset(queryset, request, view)
        # The view counted these very rows already (its ETag's query): no count(*) again;
        # and read the page's ids with them: no id query either.
        base = type(self).django_paginator_class
        known = {"count": counted[1], "known_ids": getattr(view, "page_ids", None)}
        self.django_paginator_class = type("CountedPaginator", (base,), known)
        try:
            return super().paginate_queryset(queryset, request, view)
        finally:
            del self.django_paginator_class


class FeedPagination(PageNumberPagination):
    """Page numbers by default; with ``?cursor=`` (or ``?mode=cursor`` to start) keyset pages
    over a stable key, for large feeds followed by machines.

    The key is the view's ``cursor_ordering`` (default newest first by ``id``) and must end in
    a unique field. A cursor holds the key of the last row seen, so page 10,000 costs an index
    range scan like page 1 (no ``OFFSET``), rows added while a client pages are neither skipped
    nor repeated, and there is no ``count``. ``?ordering=`` does not apply in cursor mode.
    """

    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        self._keyset = None
        if params.get("mode") not in (None, "", "cursor"):
            raise ValidationError(
                {"mode": [_("Use mode=cursor, or leave it out for page numbers.")]}
            )
        if self.wants_cursor(request):
            self._keyset = self.keyset_page(request, view)
            return self._keyset.paginate(queryset)
        return super().paginate_queryset(queryset, request, view)

    def paginate_statement(self, statement, request, view, *, keyset=None):
        """A cursor page read by a kept ``ValuesStatement`` of the request's shape
        (``keyset``: the request's page, its cursor read already)."""
        self._keyset = keyset or self.keyset_page(request, view)
        return self._keyset.paginate_statement(statement)

    def wants_cursor(self, request):
        params = request.query_params
        return self.cursor_query_param in params or params.get("mode") == "cursor"

    def keyset_page(self, request, view):
        """The :class:`KeysetPage` a cursor request reads."""
        return KeysetPage(
            keys=tuple(getattr(view, "cursor_ordering", ("-id",))),
            page_size=self.get_page_size(request),
            request=request,
            cursor_query_param=self.cursor_query_param,
        )

    def get_paginated_response(self, data):
        if self._keyset is not None:
            return Response(
                {
                    "next": self._keyset.next_link(),
                    "previous": self._keyset.previous_link(),
                    "results": data,
                }
            )
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results"]
        response["properties"]["count"]["description"] = "Absent in cursor mode."
        return response

    def get_schema_operation_parameters(self, view):
        keys = ", ".join(
            f"`{k.lstrip('-')}` {'descending' if k.startswith('-') else 'ascending'}"
            for k in getattr(view, "cursor_ordering", ("-id",))
        )
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": (
                    "Opaque cursor from a previous answer's `next` or `previous` link "
                    f"(cursor order: {keys}). A malformed cursor is 400."
                ),
                "schema": {"type": "string"},
            },
            {
                "name": "mode",
                "required": False,
                "in": "query",
                "description": f"`cursor` starts cursor paging (order: {keys}; no `count`).",
                "schema": {"type": "string", "enum": ["cursor"]},
            },
        ]


class KeysetPage:
    """One page of a queryset after (or, going back, before) a position in ``keys``.

    The position is the key values of a boundary row, encoded in the cursor. The filter is
    ``k1 >= v1 AND (k1 > v1 OR (k1 = v1 AND k2 > v2) ...)``: the redundant leading bound lets
    PostgreSQL read the page from an index on the keys instead of filtering the table.
    """

    def __init__(self, *, keys, page_size, request, cursor_query_param):
        self.keys = [(k.lstrip("-"), k.startswith("-")) for k in keys]
        self.page_size = page_size
        self.request = request
        self.param = cursor_query_param
        self.rows = []
        self.has_more = False
        self.backwards = False
        self.position = None
        self.fetched = None

    # -- the cursor -----------------------------------------------------------------------

    def _encode(self, row, *, backwards):
        # A model instance, or a ``.values()`` row (roadmap_portal.api.rows).
        read = row.__getitem__ if isinstance(row, dict) else functools.partial(getattr, row)
        values = [_key_value(read(name)) for name, _ in self.keys]
        raw = json.dumps({"p": values, "b": backwards}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _decode(self, model, cursor):
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            values, backwards = payload["p"], bool(payload.get("b"))
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise ValueError(cursor)
            position = []
            for (name, _descending), value in zip(self.keys, values, strict=True):
                model_field = model._meta.get_field(name)
                value = model_field.to_python(value)
                # The database's own bounds (an id past bigint would be a server error).
                model_field.run_validators(value)
                position.append(value)
            if any(value is None for value in position):
                raise ValueError(cursor)
        except (
            ValueError,
            TypeError,
            KeyError,
            UnicodeDecodeError,
            binascii.Error,
            DjangoValidationError,
        ) as exc:
            raise ValidationError(
                {
                    self.param: [
                        _(
                            "This cursor is not valid: use the next or previous link of an "
                            "earlier page as it was given."
                        )
                    ]
                }
            ) from exc
        return position, backwards

    # -- the page -------------------------------------------------------------------------

    def _after(self, position, *, backwards):
        """Rows strictly after ``position`` in key order (before it when ``backwards``)."""
        directions = {descending for _name, descending in self.keys}
        if len(directions) == 1:
            # All keys one way: a row comparison, which PostgreSQL reads as one range of
            # the keys' index even inside thousands of rows sharing the first key (a bulk
            # import stamps all its offers with the same ``updated``).
            forward = directions.pop() == backwards
            return Q(RowCompare([name for name, _ in self.keys], position, forward=forward))
        alternatives = []
        equal = Q()
        for (name, descending), value in zip(self.keys, position, strict=True):
            forward = descending == backwards
            alternatives.append(equal & Q(**{f"{name}__{'gt' if forward else 'lt'}": value}))
            equal &= Q(**{name: value})
        name, descending = self.keys[0]
        forward = descending == backwards
        leading = Q(**{f"{name}__{'gte' if forward else 'lte'}": position[0]})
        return leading & functools.reduce(operator.or_, alternatives)

    def read_cursor(self, model):
        """Take the position from the request's cursor (a 400 for one that is not valid)."""
        cursor = self.request.query_params.get(self.param)
        if cursor:
            self.position, self.backwards = self._decode(model, cursor)

    def page_queryset(self, queryset, *, marked=False):
        """The page's rows and the one after it, unevaluated (the cursor is checked);
        ``marked``: the position's values as :class:`PositionValue` markers."""
        if self.position is None:
            self.read_cursor(queryset.model)
        order = [
            f"{'-' if descending != self.backwards else ''}{name}" for name, descending in self.keys
        ]
        queryset = queryset.order_by(*order)
        if self.position is not None:
            position = self.position
            if marked:
                meta = queryset.model._meta
                position = [
                    PositionValue(index, meta.get_field(name))
                    for index, (name, _descending) in enumerate(self.keys)
                ]
            queryset = queryset.filter(self._after(position, backwards=self.backwards))
        return queryset[: self.page_size + 1]

    def statement(self, queryset):
        """The page of a ``.values()`` queryset as a :class:`ValuesStatement`, or None
        where the ORM must read it (another database, keys in mixed directions, a queryset
        that cannot hold a row). A first page's is prepared (its plan is the same for every
        caller of the shape); a page after a position PostgreSQL plans for the position's
        values whether prepared or not (it judges a generic plan costlier): it runs as it
        is."""
        directions = {descending for _name, descending in self.keys}
        if (
            queryset._iterable_class is not ValuesIterable
            or len(directions) != 1
            or connections[queryset.db].vendor != "postgresql"
        ):
            return None
        fields = [queryset.model._meta.get_field(name) for name, _d in self.keys]
        page = self.page_queryset(queryset, marked=True)
        return values_statement(
            page, fields if self.position is not None else [], prepared=self.position is None
        )

    def paginate(self, queryset):
        statement = self.statement(queryset)
        if statement is None:
            page = self.page_queryset(queryset)
            if self.position is None:
                with prepared(queryset.db):
                    rows = list(page)
            else:
                rows = list(page)
            return self._take(rows)
        self.kept = statement
        return self.paginate_statement(statement)

    def paginate_statement(self, statement):
        """The page read by ``statement`` (a :class:`ValuesStatement` of this request's
        shape) at this request's position."""
        if self.position is None:
            self.read_cursor(statement.model)
        if bool(statement.slots) != (self.position is not None):
            raise ValueError("The statement is not of this page's shape.")
        return self._take(statement.run(self.position or ()))

    kept = None  # the page's ValuesStatement, when it was read by one

    def _take(self, rows):
        self.fetched = rows[:]  # the page and the row after it (roadmap_portal.api.conditional)
        self.has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if self.backwards:
            rows.reverse()
        self.rows = rows
        return rows

    @functools.cached_property
    def _link_parts(self):
        # The request's URL taken apart once for both links: without ``mode``, ``page``
        # and the cursor (DRF's ``replace_query_param`` would parse it three times a link).
        scheme, netloc, path, query, fragment = urlsplit(self.request.build_absolute_uri())
        dropped = ("mode", "page", self.param)
        params = {
            name: values
            for name, values in parse_qs(query, keep_blank_values=True).items()
            if name not in dropped
        }
        return scheme, netloc, path, params, fragment

    def _link(self, row, *, backwards):
        """The URL of the page after (before) ``row``: the request's, its parameters in
        order as DRF writes them (``replace_query_param``), with the cursor."""
        scheme, netloc, path, params, fragment = self._link_parts
        query = {**params, self.param: [self._encode(row, backwards=backwards)]}
        query = urlencode(sorted(query.items()), doseq=True)
        return urlunsplit((scheme, netloc, path, query, fragment))

    def next_link(self):
        more_ahead = self.has_more if not self.backwards else True
        if not self.rows or not more_ahead:
            return None
        return self._link(self.rows[-1], backwards=False)

    def previous_link(self):
        more_behind = self.has_more if self.backwards else self.position is not None
        if not self.rows or not more_behind:
            return None
        return self._link(self.rows[0], backwards=True)


class RowCompare(Func):
    """``(a, b, ...) > (%s, %s, ...)`` (``<`` when not ``forward``)."""

    output_field = BooleanField()

    def __init__(self, names, values, *, forward):
        super().__init__(
            *[F(name) for name in names],
            *[v if isinstance(v, Expression) else Value(v) for v in values],
        )
        self.size = len(names)
        self.operator = ">" if forward else "<"

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        columns, values = parts[: self.size], parts[self.size :]
        return f"({', '.join(columns)}) {self.operator} ({', '.join(values)})", params


def _key_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class PositionValue(Expression):
    """A value a :class:`ValuesStatement` leaves open (a cursor's position, the id of the
    row asked for): written as a parameter whose place the statement records, and given
    each request's value when the statement runs."""

    def __init__(self, index, field):
        super().__init__(output_field=field)
        self.index = index

    def as_sql(self, compiler, connection):
        return "%s", [self]


def values_statement(queryset, fields, *, prepared):
    """``queryset`` (of ``.values()`` rows, with a :class:`PositionValue` for each of
    ``fields``) as a :class:`ValuesStatement`, or None when it cannot hold a row or a
    marker is missing from its parameters."""
    query = queryset.query
    compiler = query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    selected = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
    converters = tuple(
        (index, tuple(functions), expression)
        for index, (functions, expression) in compiler.get_converters(selected).items()
    )
    slots = [None] * len(fields)
    for place, value in enumerate(params):
        if isinstance(value, PositionValue):
            slots[value.index] = place
    if None in slots:
        return None
    return ValuesStatement(
        model=queryset.model,
        sql=sql,
        params=tuple(params),
        slots=tuple(slots),
        fields=tuple(fields),
        names=(*query.extra_select, *query.values_select, *query.annotation_select),
        converters=converters,
        prepared=prepared,
        database=queryset._db,
    )


@dataclass(frozen=True)
class ValuesStatement:
    """A ``.values()`` queryset as its SQL: the parameters, with the places (``slots``) of
    the values each request gives (``fields``: a cursor's position, a row's id), the names
    of the columns, and the model whose database (the router's choice for reads when it
    runs) reads it.

    A feed's page differs from the next only in the position, and a row from another
    only in its id: a view keeps the statement for its request's shape
    (``roadmap_portal.api.rows``) and later requests run it with their own values, without
    building or compiling the queryset again.
    """

    model: type
    sql: str
    params: tuple
    slots: tuple
    fields: tuple
    names: tuple
    # ``(column, functions, expression)``: what the ORM converts after the driver (JSON).
    converters: tuple = ()
    # Run as a statement the connection prepares once (a plan that is right whatever the
    # values: a first page, a row by its id).
    prepared: bool = False
    database: str | None = None

    @property
    def reusable(self):
        """Whether the next request of the same shape has the same statement: no parameter
        but the request's own values is a moment (``roadmap_portal.api.statements``)."""
        return all(
            plain(value) for place, value in enumerate(self.params) if place not in self.slots
        )

    def run(self, values=()):
        """The rows (``.values()`` dicts) for ``values`` (one for each of ``fields``)."""
        connection = connections[self.database or router.db_for_read(self.model)]
        params = list(self.params)
        for slot, field, value in zip(self.slots, self.fields, values, strict=True):
            params[slot] = field.get_db_prep_value(value, connection)
        with connection.cursor() as cursor:
            run_statement(connection, cursor, self.sql, params, prepared=self.prepared)
            rows = cursor.fetchall()
        if self.converters:
            rows = [self._converted(list(row), connection) for row in rows]
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _converted(self, row, connection):
        # As the ORM's ``SQLCompiler.apply_converters``.
        for index, functions, expression in self.converters:
            value = row[index]
            for function in functions:
                value = function(value, expression, connection)
            row[index] = value
        return row
