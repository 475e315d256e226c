import json

from rest_framework import renderers


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
