import json

from rest_framework import renderers

from roadmap_portal.exports import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE


class _FileRenderer(renderers.BaseRenderer):
    """Lets a client ask for the file's type (``Accept``); the file is the view's own
    response, an error answer is still JSON and says so in its Content-Type."""

    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, default=str).encode()


class CSVFileRenderer(_FileRenderer):
    media_type = CSV_CONTENT_TYPE.split(";")[0]
    format = "csv"


class XLSXFileRenderer(_FileRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
