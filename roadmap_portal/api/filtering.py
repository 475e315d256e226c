"""django-filter's backend without two costs a request paid whether it filtered or not."""

from django_filters.rest_framework import DjangoFilterBackend


class QueryFilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` with two fixed costs taken off:

    * a view's ``filterset_fields`` make their filter set class once per view class and
      model, not on every request (django-filter builds a new class each time);
    * a request whose query string names none of the filter set's filters skips the filter
      set (its form and validation): without a value every filter leaves the rows as they
      are, and no filter of the portal is required. A parameter counts when it is a
      filter's name or starts with it and ``_`` (a range's ``_min`` / ``_after`` halves).
    """

    _classes: dict = {}
    _names: dict = {}

    def get_filterset_class(self, view, queryset=None):
        if getattr(view, "filterset_class", None) or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (type(view), queryset.model, tuple(getattr(view, "filterset_fields", None) or ()))
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().get_filterset_class(view, queryset)
        return found

    def names(self, filterset_class):
        found = self._names.get(filterset_class)
        if found is None:
            found = self._names[filterset_class] = tuple(filterset_class.base_filters)
        return found

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = self.names(filterset_class)
        if not any(
            key == name or key.startswith(f"{name}_")
            for key in request.query_params
            for name in names
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
