"""Content negotiation that remembers its choices.

DRF's negotiation parses the ``Accept`` header and matches it against each renderer's media
type on every request (about 50 µs of a request that answers 304). Its choice depends only
on the header, the format asked for (``.json`` or ``?format=``) and the view's renderers, so
it is made once per such triple and looked up afterwards; what cannot be negotiated (a 406)
is not remembered and is negotiated, and refused, each time.
"""

from rest_framework.negotiation import DefaultContentNegotiation

# Triples remembered per process; the headers are the callers', so the store is bounded.
MOST = 512

_chosen: dict[tuple, tuple[int, str]] = {}  # (renderers, format, Accept): (index, media type)


class RememberedNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        asked = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (
            tuple(type(renderer) for renderer in renderers),
            asked,
            request.META.get("HTTP_ACCEPT"),
        )
        found = _chosen.get(key)
        if found is None:
            renderer, media_type = super().select_renderer(request, renderers, format_suffix)
            found = (renderers.index(renderer), media_type)
            if len(_chosen) >= MOST:
                _chosen.clear()
            _chosen[key] = found
        index, media_type = found
        return renderers[index], media_type
