"""Validate a release package offline with libcoveocds against the standard's ZIP.

The package names the portal's extension by URL; a validator on a machine without the
network reads the extension from ``procurement/ocds/extension`` instead, so what is
checked is the extended schema the partners get.
"""

import json
import os
import tempfile
from pathlib import Path

import requests
from django.conf import settings

from .package import EXTENSION_DIR, EXTENSION_FILES

STANDARD_ZIP_NAME = "standard-1__1__5.zip"


def standard_zip_path():
    """``$OCDS_STANDARD_ZIP`` or ``../shared/ocds/standard-1__1__5.zip`` beside the project."""
    configured = os.environ.get("OCDS_STANDARD_ZIP")
    if configured:
        return Path(configured)
    return Path(settings.BASE_DIR).parent / "shared" / "ocds" / STANDARD_ZIP_NAME


class LocalExtensionAdapter(requests.adapters.BaseAdapter):
    """Answers requests for the extension's files from the copy in this repository."""

    def send(self, request, **kwargs):
        name = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        response = requests.models.Response()
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        if name in EXTENSION_FILES:
            response.status_code = 200
            response._content = (EXTENSION_DIR / name).read_bytes()
        else:
            response.status_code = 404
            response._content = b""
        response.reason = "OK" if response.status_code == 200 else "Not Found"
        return response

    def close(self):
        pass


def _serve_extension_locally(package):
    from ocdsextensionregistry import util

    for url in package.get("extensions") or []:
        if isinstance(url, str) and url.endswith("/extension.json"):
            util.session.mount(url[: -len("extension.json")], LocalExtensionAdapter())


def validate_release_package(package, *, standard_zip=None):
    """libcoveocds' findings for ``package`` (as it would be sent, i.e. JSON round-tripped):
    ``validation_errors``, ``additional_closed_codelist_values``, ``invalid_extension`` and
    the whole context as ``context``. ``ok`` says whether the first three are all empty."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    zip_path = Path(standard_zip or standard_zip_path())
    if not zip_path.exists():
        raise FileNotFoundError(
            f"The OCDS standard ZIP is missing: {zip_path} (set OCDS_STANDARD_ZIP)."
        )
    from ocdsextensionregistry.util import session

    data = json.loads(json.dumps(package))
    _serve_extension_locally(data)
    config = LibCoveOCDSConfig({"standard_zip": zip_path.resolve().as_uri(), "context": "api"})
    # The local answers are not worth caching (and carry no raw HTTP response to cache).
    # libcoveocds writes the extended schema into its output directory: keep that out of sight.
    with session.cache_disabled(), tempfile.TemporaryDirectory() as output_dir:
        context = ocds_json_output(output_dir, json_data=data, lib_cove_ocds_config=config)
    errors = context.get("validation_errors") or []
    closed = context.get("additional_closed_codelist_values") or {}
    invalid = (context.get("extensions") or {}).get("invalid_extension") or {}
    return {
        "ok": not errors and not closed and not invalid,
        "validation_errors": errors,
        "additional_closed_codelist_values": closed,
        "invalid_extension": invalid,
        "context": context,
    }
