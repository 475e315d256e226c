"""schemathesis over the whole OpenAPI schema against a live gunicorn serving the test
database with the demo data: no server errors, and every answer (status code, content type,
headers, body) as the schema documents it.

The budget goes where the fuzzer finds bugs. The administrator reaches every operation's
validation, so it gets every phase, in two runs: the documented examples and the coverage
phase (every boundary, missing and wrongly typed value of every parameter and field, the
phase that found most of the bugs so far), then random fuzzing and stateful sequences
(create, then read, change and transition what was created). A supplier member and the read-only partner differ from
it in scope, not in validation: their runs send the examples, random requests and stateful
sequences, which reach their scoped querysets and refusals. ``SCHEMATHESIS_MAX_EXAMPLES``
changes the number of random examples per operation (default 15).

A worker that takes one of the runs starts one server and loads the demo into its own test
database for the runs it takes.
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
from django.conf import settings
from django.core.management import call_command

from tests.conftest import _database_url
from tests.demo_data import load_demo

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
# Operations that end the caller's own credentials would cut the run short.
EXCLUDED = r"^/api/v1/auth/tokens/"
# (run, user, phases): the administrator's phases in two runs, which two workers take at once.
PLANS = [
    ("admin-coverage", "admin", "examples,coverage"),
    ("admin-fuzzing", "admin", "fuzzing,stateful"),
    ("mikran", "mikran", "examples,fuzzing,stateful"),
    ("partner", "partner", "examples,fuzzing,stateful"),
]
USERS = sorted({user for _, user, _ in PLANS})

# Each run on whichever test worker is free: a worker starts the server (and the demo) for
# the runs it takes. The django_db mark makes pytest-django create the test database even
# when these runs are the only tests selected (the server shares it).
pytestmark = [pytest.mark.live, pytest.mark.long(seconds=120), pytest.mark.django_db]


def max_examples():
    return os.environ.get("SCHEMATHESIS_MAX_EXAMPLES") or "15"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post_json(url, body):
    import json

    request = urllib.request.Request(  # noqa: S310
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """The production WSGI server (2 workers) on the test database with the demo, DEBUG off,
    no request budget (the fuzzer's volume is not what it is for), tasks eager. Yields the
    URL and a token per demo user; the database is emptied afterwards."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail("the server shares the test database: the suite runs on PostgreSQL")
    tmp_path = tmp_path_factory.mktemp("fuzz")
    with django_db_blocker.unblock():
        load_demo()
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
    log_path = tmp_path / "gunicorn.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "roadmap_portal.wsgi",
            "--config",
            str(ROOT / "tests" / "gunicorn_offline.py"),
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
                pytest.fail(log_path.read_text()[-3000:])
            time.sleep(0.3)
    tokens = {
        username: _post_json(
            f"{url}/api/v1/auth/token/",
            {"username": username, "password": settings.DEMO_PASSWORD},
        )["token"]
        for username in USERS
    }
    yield url, tokens
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
    errors = re.findall(r"^Internal Server Error: .*$", log_path.read_text(), re.M)
    assert not errors, errors[:10]


@pytest.mark.parametrize(
    ("username", "phases"), [plan[1:] for plan in PLANS], ids=[plan[0] for plan in PLANS]
)
def test_the_api_answers_as_its_schema_says(demo_server, username, phases, tmp_path):
    url, tokens = demo_server
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "run",
            f"{url}/api/schema/",
            "--checks",
            CHECKS,
            "--phases",
            phases,
            "--exclude-path-regex",
            EXCLUDED,
            "-H",
            f"Authorization: Token {tokens[username]}",
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
        timeout=1200,
    )
    output = result.stdout + result.stderr
    summary = "\n".join(output.splitlines()[-60:])
    print(summary)
    assert result.returncode == 0, summary
    selected = re.search(r"Operations:\s+(\d+) selected", output)
    assert selected, summary
    assert int(selected.group(1)) >= 80, "the schema lost operations: " + summary
