from django.core.paginator import Paginator
from django.db.models import QuerySet


def _pk(row):
    """The primary key of a model instance or of a ``.values()`` row."""
    if isinstance(row, dict):
        return row["pk"] if "pk" in row else row["id"]
    return row.pk


class IdsFirstPaginator(Paginator):
    """Pages of an ordered queryset sorted over its ids first, then read in full for the
    page's rows only. A deep page skips its OFFSET of rows in the narrow id query (just the
    joins the filters and the order need), not in the wide one that joins every related
    table for the serializer."""

    # (page number, its ids in any order) when the caller read them already.
    known_ids = None

    def page(self, number):
        page = super().page(number)
        rows = page.object_list
        if isinstance(rows, QuerySet) and not rows.query.distinct:
            if self.known_ids is not None and self.known_ids[0] == page.number:
                # The full rows in the list's own order (it ends with a unique key).
                page.object_list = list(self.object_list.filter(pk__in=self.known_ids[1]))
                return page
            ids = list(rows.values_list("pk", flat=True))
            full = {_pk(row): row for row in self.object_list.filter(pk__in=ids)}
            page.object_list = [full[pk] for pk in ids if pk in full]
        return page
