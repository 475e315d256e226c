from rest_framework.routers import DefaultRouter, SimpleRouter


class IdRouterMixin:
    """Ids in URLs are whole numbers: anything else is 404 before any view runs,
    unless a viewset names its own ``lookup_value_regex`` (regions use their code)."""

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        if getattr(viewset, "lookup_value_regex", None) is None:
            viewset.lookup_value_regex = "[0-9]+"
        return super().get_lookup_regex(viewset, lookup_prefix)


class IdRouter(IdRouterMixin, SimpleRouter):
    pass


class IdDefaultRouter(IdRouterMixin, DefaultRouter):
    pass
