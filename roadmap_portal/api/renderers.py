import json

import orjson
from django.utils.functional import Promise
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder as DRFJSONEncoder


class PDFRenderer(renderers.BaseRenderer):
    """Lets a client ask for ``application/pdf`` (``Accept`` or ``?format=pdf``). Downloads
    are file responses; an error answer is still JSON, and says so in its Content-Type."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, default=str).encode()


class FastJSONRenderer(renderers.JSONRenderer):
    """DRF's JSON answer written by orjson: the same keys in the same order, the same
    values (decimals as the serializers' strings, dates and times through DRF's own encoder,
    so ``Z`` for UTC and milliseconds as before), compact and UTF-8 like DRF's, U+2028 and
    U+2029 escaped like DRF's. An ``indent`` asked for in ``Accept`` is DRF's own output."""

    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        renderer_context = renderer_context or {}
        if self.get_indent(accepted_media_type, renderer_context):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_encode_other, option=self._options)
        except (TypeError, orjson.JSONEncodeError):
            # Whatever orjson refuses (an int past 64 bits, a float NaN): DRF as before.
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out:
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out


_drf_encoder = DRFJSONEncoder()


def _encode_other(value):
    """Dates, times, lazy strings, decimals outside serializers, querysets: as DRF's encoder."""
    if isinstance(value, Promise):
        return str(value)
    return _drf_encoder.default(value)
