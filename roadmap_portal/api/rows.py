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

from django.conf import settings
from django.db import connection, connections
from django.http import Http404
from django.utils import timezone
from rest_framework import fields as drf_fields
from rest_framework import permissions, relations, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

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
            steps.append((name, path, convert))
        self.paths = tuple(dict.fromkeys((*paths, *self._extra)))
        self._steps = steps

    def values(self, queryset):
        """The queryset as the rows this plan writes (no instances, no prefetches)."""
        if self._steps is None:
            self._build()
        keys = list(self.paths)
        if self._nested_steps():
            keys.append("pk")
        return queryset.prefetch_related(None).values(*dict.fromkeys(keys))

    def _nested_steps(self):
        return [step for step in self._steps if step[1] == "nested"]

    def write(self, rows, context):
        """The serializer's output for ``rows`` (dicts of :meth:`values`)."""
        if self._steps is None:
            self._build()
        rows = list(rows)
        children = {}
        for name, _kind, (child, foreign_key) in self._nested_steps():
            children[name] = child.children_of(rows, foreign_key, context)
        moment = _moment_writer()
        out = []
        for row in rows:
            item = {}
            for name, path, convert in self._steps:
                if path == "computed":
                    item[name] = convert(row, context)
                elif path == "nested":
                    item[name] = children[name].get(row["pk"], [])
                else:
                    value = row[path]
                    if value is None:
                        item[name] = None
                    elif convert is None:
                        item[name] = value
                    elif convert is _MOMENT:
                        item[name] = moment(value)
                    else:
                        item[name] = convert(value)
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


class ValuesCursorFeedMixin:
    """A view whose pages (numbered, or cursor pages of a ``FeedPagination``) and single
    rows are written by ``row_plan`` from ``.values()`` rows; writes use the serializer (and
    so does a single row when a permission of the view checks objects).

    The view's queryset, filters, scope and cursor are the same; only the reading and
    writing of the page's rows change.
    """

    row_plan = None

    def list(self, request, *args, **kwargs):
        if self.row_plan is None or self.paginator is None:
            return super().list(request, *args, **kwargs)
        queryset = self._answer_queryset()
        values = self.row_plan.values(queryset)
        counted = getattr(self, "counted", None)
        if counted is not None and counted[0] is queryset:
            self.counted = (values, counted[1])  # the same rows, as the paginator gets them
        rows = self.paginate_queryset(values)
        context = self.get_serializer_context()
        context["database"] = queryset.db
        self.row_context = context
        return self.get_paginated_response(self.row_plan.write(rows, context))

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
        queryset = self._answer_queryset()
        lookup = self.lookup_url_kwarg or self.lookup_field
        found = queryset.filter(**{self.lookup_field: self.kwargs[lookup]}).order_by()
        rows = list(self.row_plan.values(found)[:2])
        if len(rows) != 1:
            raise Http404
        context = self.get_serializer_context()
        context["database"] = queryset.db
        self.row_context = context
        self._answered_object = rows[0]
        return Response(self.row_plan.write(rows, context)[0])
