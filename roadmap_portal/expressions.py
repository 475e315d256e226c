"""SQL tests of one expression against a list of values sent as ONE array parameter.

Thousands of values in an ``__in`` lookup are prepared one by one and sent as as many
parameters; on PostgreSQL these tests send the list as one array instead (``= ANY(%s)``,
``?| %s::text[]``). Elsewhere (SQLite) they expand it into placeholders. An empty list
is false without asking the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, Func, QuerySet, Subquery
from django.db.models.sql.compiler import SQLCompiler


class ArrayParameterTest(Func):
    """``template`` holds ``%(placeholders)s`` for the values one by one; the PostgreSQL
    template one ``%%s`` for the values as an array."""

    output_field = BooleanField()
    template_postgresql: ClassVar[str]

    def __init__(self, field_name: str, values: Iterable[Any]) -> None:
        super().__init__(F(field_name))
        self.values = list(values)

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        # Func.as_sql's signature; the test's own template is used, whatever is given.
        if not self.values:
            return "1 = 0", []
        placeholders = ", ".join(["%s"] * len(self.values))
        sql, params = super().as_sql(compiler, connection, placeholders=placeholders)
        return sql, [*params, *self.values]

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        if not self.values:
            return "1 = 0", []
        sql, params = super().as_sql(compiler, connection, template=self.template_postgresql)
        return sql, [*params, self.values]


class IdIn(ArrayParameterTest):
    """The column (ids, or any scalar) is one of ``values``."""

    template = "%(expressions)s IN (%(placeholders)s)"
    template_postgresql = "%(expressions)s = ANY(%%s)"


class IdInQuery(Func):
    """The column is one of the values ``query`` selects (one column), the query run once.

    On PostgreSQL ``= ANY(ARRAY(query))``: the planner runs the query first, as an init
    plan, and matches the column against its values as against a list, through the
    column's index and ANDed with the other conditions' indexes. ``IN (query)`` it may
    plan as a join instead, and a join of a few rows to a large table's text search reads
    the text index once per row. Elsewhere (SQLite) ``IN (query)``."""

    output_field = BooleanField()

    def __init__(self, field_name: str, query: QuerySet[Any]) -> None:
        super().__init__(F(field_name), Subquery(query))

    def _parts(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, str, list[Any]]:
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        query_sql, query_params = compiler.compile(subquery)
        return column_sql, query_sql, [*column_params, *query_params]

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        column_sql, query_sql, params = self._parts(compiler, connection)
        return f"{column_sql} IN {query_sql}", params

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, list[Any]]:
        column_sql, query_sql, params = self._parts(compiler, connection)
        return f"{column_sql} = ANY(ARRAY{query_sql})", params
