from django.urls import URLPattern, URLResolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.functional import cached_property
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


class FirstSegmentResolver(URLResolver):
    """An ``include()`` that tries only the routes a path's first segment can reach.

    Django tries an include's routes in order, one regular expression each, and writes down
    every route it tried: the API's 109 routes cost up to 60 µs of every request to resolve.
    Here the routes are sorted once into groups by the literal first segment that each
    requires (``offers`` for ``^offers/(?P<pk>[0-9]+)/$`` and ``offers/import/``); a path
    is resolved by Django's own resolver over its segment's group, in the routes' order,
    with the routes that do not name a first segment of their own (a converter or a
    pattern there) in every group. Reversing reads all the routes, as before.
    """

    @cached_property
    def _groups(self):
        named, anywhere = {}, []
        for index, route in enumerate(self.url_patterns):
            segment = first_segment(route)
            if segment is None:
                anywhere.append((index, route))
            else:
                named.setdefault(segment, []).append((index, route))

        def resolver(routes):
            return URLResolver(
                self.pattern,
                [route for _index, route in sorted(routes, key=lambda pair: pair[0])],
                self.default_kwargs,
                self.app_name,
                self.namespace,
            )

        groups = {segment: resolver(routes + anywhere) for segment, routes in named.items()}
        return groups, resolver(anywhere)

    def resolve(self, path):
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            raise Resolver404({"path": path})
        groups, anywhere = self._groups
        segment = match[0].split("/", 1)[0].split(".", 1)[0]
        return groups.get(segment, anywhere).resolve(path)


def first_segment(route):
    """The first segment of every path ``route`` matches (the text before its first ``/``,
    then before its first ``.``), or None where it could match paths of different ones."""
    if isinstance(route, URLResolver) and not isinstance(route.pattern, RoutePattern):
        return None
    pattern = route.pattern
    if isinstance(pattern, RoutePattern):
        text, endpoint = str(pattern._route), pattern._is_endpoint
        head, slash, _rest = text.partition("/")
        if not _literal(head) or (not slash and not endpoint):
            return None
        return head
    if isinstance(pattern, RegexPattern) and isinstance(route, URLPattern):
        text = str(pattern._regex)
        if not text.startswith("^"):
            return None
        head = ""
        for index, char in enumerate(text[1:], start=1):
            if _literal(char):
                head += char
            elif (
                char == "/"
                or (char == "$" and index == len(text) - 1)
                or text.startswith("\\.", index)
            ):
                return head
            else:
                return None
        return None
    return None


def _literal(text):
    """Whether ``text`` is written only of characters that stand for themselves in a route
    and in a regular expression, none of them ``/`` or ``.``."""
    return all(char.isalnum() or char in "-_" for char in text)
