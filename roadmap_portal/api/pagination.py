from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``{"count", "next", "previous", "results"}`` with ``?page=&page_size=`` (at most 200).

    An unordered queryset is refused: pages of it would overlap or skip rows.
    """

    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        if hasattr(queryset, "ordered") and not queryset.ordered:
            raise TypeError(
                f"{view.__class__.__name__ if view else 'A view'} paginates an unordered "
                "queryset: give it an order_by()."
            )
        return super().paginate_queryset(queryset, request, view)
