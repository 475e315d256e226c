"""Where uploaded files and built reports are kept: local disk (``MEDIA_ROOT``, the default)
or a private bucket of an S3-compatible object store (``S3_BUCKET``, django-storages).

Files are never served by URL. Every download goes through a portal view that checks the
reader's scope first and then streams the file from the storage (``stored_file_response``):
from S3 the object's body is passed on chunk by chunk as it arrives, never read whole into
memory or a temporary file. Presigned URLs were not used: a presigned URL is a bearer token
that works for anyone who holds it until it expires (forwarded links, browser history,
proxy logs), it needs the bucket reachable from every client, and the portal could no
longer name the download or refuse it after a scope change. Files are at most
``MAX_UPLOAD_BYTES`` (10 MiB) and reports a few MiB, so passing them through a web worker
costs little (docs/deploy.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    """``S3Storage`` that keeps every object private whatever the settings say: no ACL on
    upload (the bucket's own policy, which must not be public), no overwriting of an
    existing key, and ``url()`` gives the same unserved ``MEDIA_URL`` path that local disk
    gives, never a bucket address or a presigned link."""

    def __init__(self, **options: Any) -> None:
        options |= {"default_acl": None, "file_overwrite": False, "querystring_auth": True}
        super().__init__(**options)

    def url(
        self, name: str, parameters: Any = None, expire: Any = None, http_method: Any = None
    ) -> str:
        return f"/{settings.MEDIA_URL.strip('/')}/{name}"


def stored_file_response(
    field: FieldFile, *, filename: str, content_type: str = "application/pdf"
) -> FileResponse:
    """Streams the stored file ``field`` as an attachment named ``filename``; 404 when there
    is none. Call it only after the reader's scope has been checked."""
    if not field:
        raise Http404
    storage = field.storage
    if isinstance(storage, S3Storage):
        from botocore.exceptions import ClientError

        try:
            stored = storage.open(field.name, "rb")  # asks for the object's head: 404 here
            answer = stored.obj.get()
        except FileNotFoundError as exc:
            raise Http404 from exc
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise Http404 from exc
            raise
        response = FileResponse(
            answer["Body"], as_attachment=True, filename=filename, content_type=content_type
        )
        response["Content-Length"] = str(answer["ContentLength"])
        return response
    try:
        handle = storage.open(field.name, "rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
