"""schemathesis over the whole OpenAPI schema against a live gunicorn serving the test
database with the demo data: no server errors, and every answer (status code, content type,
headers, body) as the schema documents it.

Every operation is fuzzed as each of three users; the budget goes where the fuzzer finds
bugs:

* The administrator reaches every operation's validation, so it gets every phase: the
  documented examples and the coverage phase (every boundary, missing and wrongly typed
  value of every parameter and field, the phase that found most of the bugs so far) in one
  run, random fuzzing and stateful sequences in another.
* A supplier member and the read-only partner differ from it in scope, not in validation:
  their runs send the examples and random requests, which reach their scoped querysets and
  refusals, and the member's run the stateful sequences too. The partner gets none: its
  every write is refused, so a sequence never gets past its first step (a refused create
  leaves nothing to read or change).
* Random requests: ``SCHEMATHESIS_MAX_EXAMPLES`` (default 15) per write operation, a third
  of it per read. A random GET mostly asks for an id that does not exist or a filter the
  coverage phase already tried at its boundaries; writes change state, and that is where
  the bugs were. The read-only partner's writes are refusals whatever they carry: they get
  the reads' third.
* Stateful sequences (create, then read, change and transition what was created, along the
  schema's links): twice ``SCHEMATHESIS_MAX_EXAMPLES``.

Two servers for the four runs: the coverage run takes one worker, the three random runs
another (``xdist_group``), each of the two starting a server and loading the demo into its
test database. The two take about as long; more servers would cost more than they save on
the two cores.
"""

import json
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
# (run, user, phases, about how many seconds it takes on the busy machine).
PLANS = [
    ("admin-coverage", "admin", "examples,coverage", 150),
    ("admin-fuzzing", "admin", "fuzzing,stateful", 55),
    ("mikran", "mikran", "examples,fuzzing,stateful", 60),
    ("partner", "partner", "examples,fuzzing", 30),
]
RANDOM = pytest.mark.xdist_group("api-fuzz-random")
USERS = sorted({plan[1] for plan in PLANS})
READ_ONLY = {"partner"}

# The django_db mark makes pytest-django create the test database even when these runs are
# the only tests selected (the server shares it).
pytestmark = [pytest.mark.live, pytest.mark.django_db]


def max_examples() -> int:
    return int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES") or "15")


def budget(directory: Path, username: str) -> Path:
    """The random examples per operation and the stateful sequences, as a schemathesis
    configuration file (its ``--max-examples`` option would set one number for all)."""
    reads = max(1, max_examples() // 3)
    writes = reads if username in READ_ONLY else max_examples()
    path = directory / "schemathesis.toml"
    path.write_text(
        f"generation.max-examples = {writes}\n"
        f"phases.stateful.generation.max-examples = {2 * max_examples()}\n"
        "\n[[operations]]\n"
        'include-method = "GET"\n'
        f"generation.max-examples = {reads}\n"
    )
    return path


def operations(schema: dict) -> int:
    """How many operations of the schema a run selects."""
    return sum(
        method in {"get", "post", "put", "patch", "delete"}
        for path, item in schema["paths"].items()
        if not re.search(EXCLUDED, path)
        for method in item
    )


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post_json(url, body):
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
    URL, a token per demo user and the schema it serves; the database is emptied afterwards."""
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
    with urllib.request.urlopen(f"{url}/api/schema/?format=json", timeout=60) as answer:  # noqa: S310
        served = answer.read()
    schema = json.loads(served)
    # The runs read the schema the server served from a file: building it takes the server
    # about a second and a half, once is enough.
    schema_file = tmp_path / "schema.json"
    schema_file.write_bytes(served)
    yield url, tokens, schema, schema_file
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
    ("username", "phases"),
    [
        pytest.param(
            user,
            phases,
            id=run,
            marks=[pytest.mark.long(seconds=seconds)] + ([RANDOM] if "fuzzing" in phases else []),
        )
        for run, user, phases, seconds in PLANS
    ],
)
def test_the_api_answers_as_its_schema_says(demo_server, username, phases, tmp_path):
    url, tokens, schema, schema_file = demo_server
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "--config-file",
            str(budget(tmp_path, username)),
            "run",
            str(schema_file),
            "--url",
            url,
            "--checks",
            CHECKS,
            "--phases",
            phases,
            "--exclude-path-regex",
            EXCLUDED,
            "-H",
            f"Authorization: Token {tokens[username]}",
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
    assert operations(schema) >= 100, "the schema lost operations"
    assert int(selected.group(1)) == operations(schema), summary
