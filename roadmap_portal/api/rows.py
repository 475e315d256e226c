"""Hot feeds written from ``.values()`` rows instead of model instances and serializers.

A cursor page of the register or the offers spent most of its time outside the database:
building 50 model instances and their related instances, then walking the serializer's
fields for each (``get_attribute`` through ``supplier.region.code``), and building the
serializer's fields for every request. A :class:`RowPlan` reads, once per process, how the
view's serializer writes each field (the same field objects convert decimals, dates and
times, so the answer is the serializer's own) and then writes each page from plain rows.

The serializer stays the API's contract (OpenAPI, writes, other lists); a test compares the
plan's output with the serializer's for the same rows.
"""

import operator
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, connections, router
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language
from django_filters.filters import QuerySetRequestMixin
from rest_framework import fields as drf_fields
from rest_framework import permissions, relations, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from roadmap_portal.api.pagination import FeedPagination, PositionValue, values_statement
from roadmap_portal.api.statements import Statements, reader

# Fields whose ``to_representation`` formats the value (the others return it as it comes
# from the database: str, int, bool, a primary key, JSON).
_CONVERTED = (
    drf_fields.DecimalField,
    drf_fields.DateTimeField,
    drf_fields.DateField,
    drf_fields.TimeField,
    drf_fields.DurationField,
    drf_fields.UUIDField,
    drf_fields.FloatField,
)


_MOMENT = object()  # a date-time field written as DRF's DateTimeField writes it


def _plain_iso_datetime(field):
    """A ``DateTimeField`` in ISO 8601 in the current time zone (DRF's default): written
    by :func:`_moment_writer` with the time zone looked up once per page, not per value."""
    return (
        type(field) is drf_fields.DateTimeField
        and not hasattr(field, "timezone")
        and (getattr(field, "format", api_settings.DATETIME_FORMAT) or "").lower() == "iso-8601"
        and settings.USE_TZ
    )


def _moment_writer():
    zone = timezone.get_current_timezone()

    def write(value):
        if isinstance(value, str):
            return value
        if timezone.is_naive(value):
            value = timezone.make_aware(value, zone)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def _has(name):
    """The column telling whether a row has any of its nested ``name``."""
    return f"_has_{name}"


def _decimal_writer(field):
    """DRF's ``DecimalField.to_representation``, quicker for what a column of the field's
    own places returns: a decimal of exactly ``decimal_places`` places is already what the
    quantizing would give, and is written as it is; anything else goes through DRF."""
    general = field.to_representation
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.normalize_output or field.decimal_places is None:
        return general
    exponent = -field.decimal_places

    most = field.max_digits

    def write(value):
        if isinstance(value, Decimal):
            _sign, digits, places = value.as_tuple()
            if places == exponent and (most is None or len(digits) <= most):
                return format(value, "f")
        return general(value)

    return write


def _plain_select(model, names, foreign_key):
    """``SELECT <names> FROM <table> WHERE <foreign key> = ANY(%s) ORDER BY <ordering>``
    for ``model``, or False when a name is not a plain column of it (a related path, a
    field converting what the driver returns) or its ordering is not plain columns."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns = []
    for name in names:
        field = meta.pk if name == "pk" else None
        if field is None:
            field = next((f for f in meta.concrete_fields if name in (f.name, f.attname)), None)
        if field is None or hasattr(field, "from_db_value"):
            return False
        if field.is_relation and name != field.attname:
            return False
        columns.append(quote(field.column))
    order = []
    for item in meta.ordering or ["pk"]:
        if not isinstance(item, str):
            return False
        descending, name = item.startswith("-"), item.lstrip("-")
        field = meta.pk if name == "pk" else None
        if field is None:
            field = next((f for f in meta.concrete_fields if f.name == name), None)
        if field is None or field.is_relation:
            return False
        order.append(quote(field.column) + (" DESC" if descending else ""))
    key = next((f for f in meta.concrete_fields if f.attname == foreign_key), None)
    if key is None:
        return False
    return (
        f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} "  # noqa: S608
        f"WHERE {quote(key.column)} = ANY(%s) ORDER BY {', '.join(order)}"
    )


def readable_fields(serializer):
    """``(name, source attribute, field, its items' fields or None)`` of ``serializer``'s
    readable fields, for :func:`written`: built once by a caller that writes many answers
    of one shape (a serializer builds its fields, by deep copy, each time it is made)."""
    fields = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        many = isinstance(field, serializers.ListSerializer)
        fields.append((name, field.source, field, readable_fields(field.child) if many else None))
    return fields


def written(obj, fields):
    """What the serializer of ``fields`` (:func:`readable_fields`) writes for ``obj``: each
    attribute through its own field's ``to_representation``, None as None, a nested list
    item by item."""
    data = {}
    for name, source, field, items in fields:
        value = getattr(obj, source)
        if items is not None:
            data[name] = [written(item, items) for item in value]
        else:
            data[name] = None if value is None else field.to_representation(value)
    return data


class RowPlan:
    """How ``serializer_class`` writes one row, from the row's ``.values()`` dict.

    ``columns`` names the values path of a field whose source is not its own name (the
    default is the field's ``source`` with ``__`` for dots); ``computed`` gives, for a
    method field or a property, ``(paths, function(row, context))``; ``nested`` gives, for
    a nested list, ``(child plan, foreign key of the child to this row)``. A field the plan
    cannot read raises at the first use, so a field added to the serializer without its
    path fails the tests instead of writing a wrong value.
    """

    def __init__(self, serializer_class, *, columns=None, computed=None, nested=None, extra=()):
        self.serializer_class = serializer_class
        self._extra = tuple(extra)  # read too, not written (e.g. for the ETag's figures)
        self._columns = dict(columns or {})
        self._computed = dict(computed or {})
        self._nested = dict(nested or {})
        self._steps = None
        self._children = None
        self.paths = None

    @property
    def model(self):
        return self.serializer_class.Meta.model

    def _build(self):
        serializer = self.serializer_class()
        steps, paths = [], []
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if name in self._computed:
                needed, function = self._computed[name]
                paths.extend(needed)
                steps.append((name, "computed", function))
                continue
            if name in self._nested:
                steps.append((name, "nested", self._nested[name]))
                continue
            if isinstance(field, drf_fields.SerializerMethodField | drf_fields.ListField):
                raise TypeError(f"{self.serializer_class.__name__}.{name}: give its computation")
            if isinstance(field, relations.ManyRelatedField) or getattr(field, "many", False):
                raise TypeError(f"{self.serializer_class.__name__}.{name}: give it as nested")
            path = self._columns.get(name) or field.source.replace(".", "__")
            paths.append(path)
            convert = field.to_representation if isinstance(field, _CONVERTED) else None
            if _plain_iso_datetime(field):
                convert = _MOMENT
            elif isinstance(field, drf_fields.DecimalField):
                convert = _decimal_writer(field)
            steps.append((name, path, convert))
        self.paths = tuple(dict.fromkeys((*paths, *self._extra)))
        # A row is first written as its columns in the fields' order (a method field or a
        # nested list holds a column's value until its own is put in its place), then the
        # converted, computed and nested fields are written over them.
        placeholder = self.paths[0] if self.paths else "pk"
        reads = [placeholder if path in ("computed", "nested") else path for _n, path, _c in steps]
        self._names = tuple(name for name, _path, _convert in steps)
        self._read = operator.itemgetter(*reads) if len(reads) > 1 else lambda row: (row[reads[0]],)
        self._converted = [
            (name, convert)
            for name, path, convert in steps
            if path not in ("computed", "nested") and convert is not None
        ]
        self._computations = [
            (name, function) for name, path, function in steps if path == "computed"
        ]
        self._steps = steps

    def values(self, queryset, *, flags=False):
        """The queryset as the rows this plan writes (no instances, no prefetches).

        ``flags``: each row also tells whether it has any of each nested list's children,
        which are then read only for the rows that do (most offers have no attachment, and
        their page reads none). For a statement compiled once and run many times (a kept
        cursor page): the flag's subquery costs more to build than the children's query
        it saves."""
        if self._steps is None:
            self._build()
        keys = list(self.paths)
        annotations = {}
        for name, _kind, (child, foreign_key) in self._nested_steps():
            keys.append("pk")
            if flags:
                children = child.model._default_manager.filter(**{foreign_key: OuterRef("pk")})
                annotations[_has(name)] = Exists(children)
        return queryset.prefetch_related(None).values(*dict.fromkeys(keys), **annotations)

    def _nested_steps(self):
        return [step for step in self._steps if step[1] == "nested"]

    def write(self, rows, context):
        """The serializer's output for ``rows`` (dicts of :meth:`values`)."""
        if self._steps is None:
            self._build()
        rows = list(rows)
        children = {}
        for name, _kind, (child, foreign_key) in self._nested_steps():
            flag = _has(name)
            parents = [row for row in rows if row.get(flag, True)]
            children[name] = child.children_of(parents, foreign_key, context)
        moment = _moment_writer()
        converted = [(n, moment if c is _MOMENT else c) for n, c in self._converted]
        computations = self._computations
        nested = list(children.items())
        names, read = self._names, self._read
        out = []
        for row in rows:
            item = dict(zip(names, read(row), strict=True))
            for name, convert in converted:
                value = item[name]
                if value is not None:
                    item[name] = convert(value)
            for name, function in computations:
                item[name] = function(row, context)
            for name, found in nested:
                item[name] = found.get(row["pk"], [])
            out.append(item)
        return out

    def _child_rows(self, model, foreign_key, ids, database):
        """The child rows of the parents ``ids`` as ``.values()`` dicts, in the model's
        order. When every column read is the model's own and comes from the driver as it
        is (no ``from_db_value``), the SELECT is written once per process from the model's
        metadata and run with the ids as one array (``= ANY(%s)``): building and compiling
        the queryset cost twice the query itself. Otherwise the ORM reads them."""
        names = tuple(dict.fromkeys((*self.paths, foreign_key)))
        if self._children is None:
            self._children = _plain_select(model, names, foreign_key)
        if self._children is False or connections[database].vendor != "postgresql":
            ordering = model._meta.ordering or ["pk"]
            queryset = model._default_manager.using(database)
            return list(
                queryset.filter(**{f"{foreign_key}__in": ids}).order_by(*ordering).values(*names)
            )
        with connections[database].cursor() as cursor:
            cursor.execute(self._children, [list(ids)])
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def children_of(self, parents, foreign_key, context):
        """``{parent pk: [written child rows]}`` in the child model's default order."""
        ids = [row["pk"] for row in parents]
        if not ids:
            return {}
        if self._steps is None:
            self._build()
        model = self.serializer_class.Meta.model
        database = context.get("database") or model._default_manager.db
        rows = self._child_rows(model, foreign_key, ids, database)
        context.setdefault("fetched", {})[foreign_key, model] = rows
        grouped = {}
        for row, written in zip(rows, self.write(rows, context), strict=True):
            grouped.setdefault(row[foreign_key], []).append(written)
        return grouped


# The statements of cursor pages and single rows, by request shape
# (``ValuesCursorFeedMixin.kept_statement``).
kept_statements = Statements()


class ValuesCursorFeedMixin:
    """A view whose pages (numbered, or cursor pages of a ``FeedPagination``) and single
    rows are written by ``row_plan`` from ``.values()`` rows; writes use the serializer (and
    so does a single row when a permission of the view checks objects).

    The view's queryset, filters, scope and cursor are the same; only the reading and
    writing of the rows change. A cursor page and a single row are read by a statement
    (``pagination.ValuesStatement``) that the process keeps for the request's shape: the
    view, its path (for a row: its URL but the row's id) and query string but the cursor,
    the cursor's direction, the caller's scope, the caller and the language. The next page
    of a feed (and every first page), or the next row asked for, of that shape runs it with
    its own position or id instead of building the scoped, filtered queryset and compiling
    it again. A shape whose filters look rows up (a filter by a choice of rows, checked
    against the caller's scope: its answer to an id may change) or whose statement holds a
    moment is read as it is each time.
    """

    row_plan = None
    _kept_looked_up = False
    _keyset_read = None
    _kept_key = None
    _kept = None

    def list(self, request, *args, **kwargs):
        if self.row_plan is None or self.paginator is None:
            return super().list(request, *args, **kwargs)
        kept = self.kept_statement()
        if kept is not None:
            rows = self.paginator.paginate_statement(kept, request, self, keyset=self._keyset_read)
            database = kept.database or router.db_for_read(kept.model)
        else:
            queryset = self._answer_queryset()
            values = self.row_plan.values(queryset, flags=self._kept_key is not None)
            counted = getattr(self, "counted", None)
            if counted is not None and counted[0] is queryset:
                self.counted = (values, counted[1])  # the same rows, as the paginator gets them
            rows = self.paginate_queryset(values)
            database = queryset.db
            keyset = getattr(self.paginator, "_keyset", None)
            self._keep(getattr(keyset, "kept", None))
        context = self.get_serializer_context()
        context["database"] = database
        self.row_context = context
        return self.get_paginated_response(self.row_plan.write(rows, context))

    def kept_statement(self):
        """The statement kept for this request's cursor page or single row, or None."""
        if not self._kept_looked_up:
            self._kept_looked_up = True
            if self.action == "retrieve":
                self._kept_key = self._row_key()
            elif self.action == "list":
                self._kept_key = self._cursor_page_key()
            if self._kept_key is not None:
                self._kept = kept_statements.get(self._kept_key)
        return self._kept

    def _keep(self, statement):
        if (
            self._kept_key is not None
            and statement is not None
            and statement.model is self.row_plan.model
        ):
            kept_statements.keep(self._kept_key, statement)

    def _caller(self):
        """What of the request, besides its path and parameters, decides its rows."""
        return (*reader(self.request.user), get_language())

    def _cursor_page_key(self):
        """The shape of a GET of a cursor page (see the class's text), or None for a request
        whose page is not to be kept."""
        request = self.request
        paginator = self.paginator
        if (
            self.row_plan is None
            or request.method not in ("GET", "HEAD")
            or not isinstance(paginator, FeedPagination)
            or not paginator.wants_cursor(request)
            or not self._filters_read_no_rows()
        ):
            return None
        keyset = paginator.keyset_page(request, self)
        try:
            keyset.read_cursor(self.row_plan.model)
        except ValidationError:
            return None  # answered by the view's own path, in its own order of checks
        self._keyset_read = keyset  # the page read by a kept statement: its cursor read
        param = paginator.cursor_query_param
        return (
            type(self),
            request.path_info,
            tuple(
                (name, tuple(values))
                for name, values in request.query_params.lists()
                if name != param
            ),
            keyset.position is not None,
            keyset.backwards,
            keyset.page_size,
            *self._caller(),
        )

    def _row_key(self):
        """The shape of a GET of one row: the view, its URL's arguments but the row's id,
        the query string and the caller; None when the row is not found by a column of its
        own."""
        request = self.request
        if (
            self.row_plan is None
            or request.method not in ("GET", "HEAD")
            or "__" in self.lookup_field
            or not self._filters_read_no_rows()
        ):
            return None
        lookup = self.lookup_url_kwarg or self.lookup_field
        return (
            type(self),
            "row",
            tuple(sorted((k, v) for k, v in self.kwargs.items() if k != lookup)),
            tuple((name, tuple(values)) for name, values in request.query_params.lists()),
            *self._caller(),
        )

    def _filters_read_no_rows(self):
        """Whether none of the request's filters is a choice of rows (a model choice)."""
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is None:
            return not getattr(self, "filterset_fields", None)
        asked = list(self.request.query_params)
        return not any(
            isinstance(item, QuerySetRequestMixin)
            and any(key == name or key.startswith(f"{name}_") for key in asked)
            for name, item in filterset_class.base_filters.items()
        )

    def _answer_queryset(self):
        """The view's scoped, filtered rows: those a conditional GET already built
        (``ConditionalListMixin``), else built now."""
        prefiltered = getattr(self, "_prefiltered", None)
        if prefiltered is not None:
            self._prefiltered = None
            return prefiltered
        return self.filter_queryset(self.get_queryset())

    def _permissions_check_objects(self):
        return any(
            type(permission).has_object_permission
            is not permissions.BasePermission.has_object_permission
            for permission in self.get_permissions()
        )

    def retrieve(self, request, *args, **kwargs):
        if self.row_plan is None or self._permissions_check_objects():
            return super().retrieve(request, *args, **kwargs)
        lookup = self.lookup_url_kwarg or self.lookup_field
        model = self.row_plan.model
        meta = model._meta
        field = meta.pk if self.lookup_field == "pk" else None
        kept = self.kept_statement()
        queryset = None
        if kept is None and self._kept_key is not None:
            # The row's id left open: the statement serves every row of the shape.
            queryset = self._answer_queryset()
            field = field or meta.get_field(self.lookup_field)
            found = queryset.filter(**{self.lookup_field: PositionValue(0, field)}).order_by()
            kept = values_statement(
                self.row_plan.values(found, flags=True)[:2], [field], prepared=True
            )
            self._keep(kept)
        if kept is not None:
            try:
                value = kept.fields[0].to_python(self.kwargs[lookup])
                kept.fields[0].run_validators(value)
            except DjangoValidationError:
                raise Http404 from None
            rows = kept.run([value])
            database = kept.database or router.db_for_read(kept.model)
        else:
            queryset = queryset if queryset is not None else self._answer_queryset()
            found = queryset.filter(**{self.lookup_field: self.kwargs[lookup]}).order_by()
            rows = list(self.row_plan.values(found)[:2])
            database = queryset.db
        if len(rows) != 1:
            raise Http404
        context = self.get_serializer_context()
        context["database"] = database
        self.row_context = context
        self._answered_object = rows[0]
        return Response(self.row_plan.write(rows, context)[0])
