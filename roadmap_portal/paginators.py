from django.core.paginator import Paginator
from django.db.models import QuerySet


class IdsFirstPaginator(Paginator):
    """Pages of an ordered queryset sorted over its ids first, then read in full for the
    page's rows only. A deep page skips its OFFSET of rows in the narrow id query (just the
    joins the filters and the order need), not in the wide one that joins every related
    table for the serializer."""

    def page(self, number):
        page = super().page(number)
        rows = page.object_list
        if isinstance(rows, QuerySet) and not rows.query.distinct:
            ids = list(rows.values_list("pk", flat=True))
            full = {row.pk: row for row in self.object_list.filter(pk__in=ids)}
            page.object_list = [full[pk] for pk in ids if pk in full]
        return page
