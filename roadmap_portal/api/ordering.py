from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` that always ends with the primary key, so rows with equal sort values
    come in the same order on every request and pages neither overlap nor skip."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        fields = [field.lstrip("-") for field in ordering]
        if "id" in fields or "pk" in fields:
            return ordering
        descending = ordering[-1].startswith("-")
        return [*ordering, "-id" if descending else "id"]

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        try:
            names = [name for name, _ in self.get_valid_fields(None, view)]
        except (AttributeError, TypeError):
            names = []
        fields = ", ".join(f"`{name}`" for name in names) or "the listed fields"
        for parameter in parameters:
            parameter["description"] = (
                f"Sort by {fields}; prefix `-` for descending, comma-separate several. Ties "
                "are broken by `id`, so the order is stable. Without it, each list has its "
                "documented default order."
            )
        return parameters
