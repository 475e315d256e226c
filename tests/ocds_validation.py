"""The tests' validator of release packages: offline, with libcoveocds, against the OCDS 1.1.5
schema.

The schema and codelists of OCDS 1.1.5 ship with the portal in ``procurement/ocds/standard``
(Apache License 2.0, see the ``LICENSE`` and ``README.md`` there), so validation needs no
network and no file outside the repository. The package names the portal's extension by
URL; the validator reads the extension from ``procurement/ocds/extension`` instead, so what
is checked is the extended schema the partners get.
"""

import io
import json
import tempfile
import zipfile
from functools import cache
from pathlib import Path

import requests

from procurement.ocds.package import EXTENSION_DIR, EXTENSION_FILES

STANDARD_TAG = "1__1__5"
STANDARD_DIR = Path(__file__).resolve().parent.parent / "procurement" / "ocds" / "standard"


@cache
def standard_zip_bytes(directory: Path = STANDARD_DIR) -> bytes:
    """The shipped schema folder as the ZIP layout the OCDS tools read
    (``standard-1__1__5/schema/...``, the folder entry first)."""
    top = f"standard-{STANDARD_TAG}/"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(top, "")
        for path in sorted((directory / "schema").rglob("*")):
            if path.is_file():
                archive.write(path, top + path.relative_to(directory).as_posix())
    return buffer.getvalue()


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


def validate_release_package(package, *, standard_dir: Path = STANDARD_DIR):
    """libcoveocds' findings for ``package`` (as it would be sent, i.e. JSON round-tripped):
    ``validation_errors``, ``additional_closed_codelist_values``, ``invalid_extension`` and
    the whole context as ``context``. ``ok`` says whether the first three are all empty."""
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    if not (standard_dir / "schema" / "release-schema.json").is_file():
        raise FileNotFoundError(f"The OCDS schema is missing from {standard_dir}.")
    from ocdsextensionregistry.util import session

    data = json.loads(json.dumps(package))
    _serve_extension_locally(data)
    config = LibCoveOCDSConfig({"standard_zip": standard_zip_bytes(standard_dir), "context": "api"})
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
