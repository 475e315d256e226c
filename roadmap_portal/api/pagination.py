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


class _StableCursorPagination(pagination.CursorPagination):
    """A cursor over the view's fixed key: ``?ordering=`` would make the cursor unstable."""

    def get_ordering(self, request, queryset, view):
        return self.ordering


class FeedPagination(PageNumberPagination):
    """Page numbers by default; with ``?cursor=`` (or ``?mode=cursor`` to start) a cursor
    over a stable key, for large feeds followed by machines: no ``count``, and rows added
    while a client pages are neither skipped nor repeated.

    The key is the view's ``cursor_ordering`` (default newest first by ``id``); ``?ordering=``
    does not apply in cursor mode.
    """

    cursor_query_param = "cursor"

    def _cursor_pager(self, view):
        pager = _StableCursorPagination()
        pager.ordering = tuple(getattr(view, "cursor_ordering", ("-id",)))
        pager.page_size = self.page_size
        pager.page_size_query_param = self.page_size_query_param
        pager.max_page_size = self.max_page_size
        return pager

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        wants_cursor = self.cursor_query_param in params or params.get("mode") == "cursor"
        if wants_cursor and hasattr(queryset, "order_by"):
            self._cursor = self._cursor_pager(view)
            return self._cursor.paginate_queryset(queryset, request, view)
        self._cursor = None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if getattr(self, "_cursor", None) is not None:
            return self._cursor.get_paginated_response(data)
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results"]
        response["properties"]["count"]["description"] = "Absent in cursor mode."
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Cursor from a previous answer's `next`/`previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": "mode",
                "required": False,
                "in": "query",
                "description": "`cursor` starts cursor paging (no `count`).",
                "schema": {"type": "string", "enum": ["cursor"]},
            },
        ]
