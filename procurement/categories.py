"""Tender categories in SQL: a tender's ``categories`` is a JSON array of OKPD2 prefixes.

An OKPD2 code falls under a category when the category is a prefix of it, so the tenders
a code qualifies for are those with one of the code's prefixes among their categories: an
array membership test the database answers itself (``?|`` on PostgreSQL, ``json_each`` on
SQLite) instead of Python reading every tender's categories.

The prefix rule itself lives in ``roadmap_portal.okpd2``.
"""

from collections.abc import Iterable

from django.db.models import BooleanField, F, Func

from roadmap_portal.expressions import ArrayParameterTest


class HasCategoryIn(ArrayParameterTest):
    """The tender has one of ``categories`` (exact strings) among its categories."""

    template = (
        "EXISTS (SELECT 1 FROM json_each(%(expressions)s) "
        "WHERE json_each.value IN (%(placeholders)s))"
    )
    template_postgresql = "%(expressions)s ?| %%s::text[]"

    def __init__(self, categories: Iterable[str], field_name: str = "categories") -> None:
        super().__init__(field_name, sorted(set(categories)))


class HasCategoryUnder(Func):
    """The tender has a category that starts with ``code`` (a narrower category)."""

    output_field = BooleanField()
    template = (
        "EXISTS (SELECT 1 FROM json_each(%(expressions)s) "
        "WHERE substr(json_each.value, 1, length(%%s)) = %%s)"
    )
    template_postgresql = (
        "EXISTS (SELECT 1 FROM jsonb_array_elements_text(%(expressions)s) AS c(code) "
        "WHERE starts_with(c.code, %%s))"
    )

    def __init__(self, code, field_name="categories"):
        super().__init__(F(field_name))
        self.code = code

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection)
        return sql, [*params, self.code, self.code]

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = super().as_sql(compiler, connection, template=self.template_postgresql)
        return sql, [*params, self.code]
