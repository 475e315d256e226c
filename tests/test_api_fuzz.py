"""schemathesis over the whole OpenAPI schema against a live gunicorn serving the test
database with the demo data: no server errors, and every answer (status code, content type,
headers, body) as the schema documents it.

CI generates at least 100 examples per operation; locally the default is a quick 15
(``SCHEMATHESIS_MAX_EXAMPLES`` sets it either way).
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.conftest import _database_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


def max_examples():
    return os.environ.get("SCHEMATHESIS_MAX_EXAMPLES") or ("100" if os.environ.get("CI") else "15")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn_server(tmp_path):
    """The production WSGI server (2 workers) on the test database, DEBUG off, no request
    budget (the fuzzer's volume is not what it is for), tasks eager."""
    if connection.vendor != "postgresql":
        pytest.skip("the server shares the test database: PostgreSQL only")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "API_RATE_KEY": "",
        "API_RATE_USER": "",
        "API_RATE_ANON": "",
        "CELERY_BROKER_URL": "",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "roadmap_portal.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=2)  # noqa: S310
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail((tmp_path / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.3)
    yield url
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    errors = re.findall(
        r"^Internal Server Error: .*$", (tmp_path / "gunicorn.log").read_text(), re.M
    )
    assert not errors, errors[:10]


@pytest.mark.parametrize("username", ["admin", "mikran", "partner"])
def test_the_api_answers_as_its_schema_says(gunicorn_server, username, tmp_path):
    call_command("load_demo", verbosity=0)
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "run",
            f"{gunicorn_server}/api/schema/",
            "--checks",
            CHECKS,
            "-H",
            f"Authorization: Token {token.key}",
            "--max-examples",
            max_examples(),
            "--generation-deterministic",
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=2400,
    )
    output = result.stdout + result.stderr
    summary = "\n".join(output.splitlines()[-60:])
    print(summary)
    assert result.returncode == 0, summary
    assert re.search(r"Tested: 8\d", output), "the schema lost operations: " + summary
