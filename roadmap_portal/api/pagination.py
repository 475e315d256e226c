import base64
import binascii
import datetime
import functools
import json
import operator
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import BooleanField, F, Func, Q, Value
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from roadmap_portal.db.postgresql.base import prepared
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

    def _decode(self, queryset, cursor):
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            values, backwards = payload["p"], bool(payload.get("b"))
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise ValueError(cursor)
            position = []
            for (name, _descending), value in zip(self.keys, values, strict=True):
                model_field = queryset.model._meta.get_field(name)
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

    def page_queryset(self, queryset):
        """The page's rows and the one after it, unevaluated (the cursor is checked)."""
        cursor = self.request.query_params.get(self.param)
        if cursor:
            self.position, self.backwards = self._decode(queryset, cursor)
        order = [
            f"{'-' if descending != self.backwards else ''}{name}" for name, descending in self.keys
        ]
        queryset = queryset.order_by(*order)
        if self.position is not None:
            queryset = queryset.filter(self._after(self.position, backwards=self.backwards))
        return queryset[: self.page_size + 1]

    def paginate(self, queryset):
        page = self.page_queryset(queryset)
        if self.position is None:
            # A feed's first page: the same statement for every caller of the same scope and
            # filters, planned once per connection (PostgreSQL planned the register's
            # six-table join in about 2.3 ms on every request, three times the read). A
            # page after a position PostgreSQL plans for the position's values whether
            # prepared or not (it judges a generic plan costlier): it runs as it is.
            with prepared(queryset.db):
                rows = list(page)
        else:
            rows = list(page)
        self.fetched = rows[:]  # the page and the row after it (roadmap_portal.api.conditional)
        self.has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if self.backwards:
            rows.reverse()
        self.rows = rows
        return rows

    def _link(self, row, *, backwards):
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, "mode")
        url = remove_query_param(url, "page")
        return replace_query_param(url, self.param, self._encode(row, backwards=backwards))

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
        super().__init__(*[F(name) for name in names], *[Value(v) for v in values])
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
