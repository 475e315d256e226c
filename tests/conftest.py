import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg2
import pytest
from celery._state import _set_task_join_will_block
from django.db import connection
from rest_framework.test import APIClient

from roadmap_portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """The suite runs against the real services only: PostgreSQL and a Redis broker."""
    from django.conf import settings

    hint = (
        "run `make test`, which finds or starts the local PostgreSQL and Redis, or "
        "`tests/services.sh .venv/bin/pytest ...` for a part of the suite"
    )
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        raise pytest.UsageError(f"The suite runs on PostgreSQL (DATABASE_URL is unset): {hint}.")
    if not os.environ.get("CELERY_BROKER_URL"):
        raise pytest.UsageError(f"The suite needs a Redis broker (CELERY_BROKER_URL): {hint}.")
    from tests import emptying

    emptying.install()
    if _controller(config) and config.option.testrunuid is None:
        # Known here, so the run's template database can be dropped at the end.
        config.option.testrunuid = uuid.uuid4().hex


# Tests that drive a browser, a live server or a worker process take seconds each, much of
# it waiting: after the ``long`` ones, they start before the quick tests of a second or less.
SLOW_MARKS = ("browser", "live", "worker")


def pytest_collection_modifyitems(config, items):
    """The long tests first: pytest-xdist hands tests out in this order, so the longest
    ones start at once on every worker instead of closing the run on one of them (a test
    waiting on a worker's timeouts at the end leaves the cores idle)."""

    def seconds(item: pytest.Item) -> float:
        mark = item.get_closest_marker("long")
        if mark:
            return mark.kwargs["seconds"]
        return 3 if any(item.get_closest_marker(name) for name in SLOW_MARKS) else 0

    items.sort(key=seconds, reverse=True)


def _server(database: str):
    """A connection to ``database`` on the test settings' PostgreSQL server, autocommit,
    closed after its ``with`` block."""
    from django.conf import settings

    s = settings.DATABASES["default"]
    conn = psycopg2.connect(
        dbname=database,
        user=s.get("USER") or None,
        password=s.get("PASSWORD") or None,
        host=s.get("HOST") or "127.0.0.1",
        port=s.get("PORT") or 5432,
    )
    conn.autocommit = True
    return closing(conn)


def _template_name(run: str) -> str:
    """The migrated database the xdist workers of run ``run`` copy theirs from."""
    from django.conf import settings

    return f"test_{settings.DATABASES['default']['NAME']}_template_{run[:12]}"[:63]


def _migrate_template(name: str) -> None:
    """Create ``name`` and migrate it as Django creates a test database, in a process of its
    own (so no connection of this one is left on it to stop the copies)."""
    from django.conf import settings

    with _server("postgres") as conn, conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    s = settings.DATABASES["default"]
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    url = f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{name}"
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.core.management import call_command; "
            "call_command('migrate', run_syncdb=True, interactive=False, verbosity=0); "
            "call_command('createcachetable', verbosity=0)",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings):
    """Under pytest-xdist, each worker's test database is a copy of one database migrated
    once for the run (``CREATE DATABASE ... TEMPLATE``): the first worker migrates it, the
    others wait for it and copy it, instead of each running every migration. The copy is
    kept for pytest-django, which then only finds its migrations applied, and dropped after
    the session. Without xdist, or with ``--reuse-db``, pytest-django's own behaviour."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if request.config.getvalue("reuse_db") or not run:
        return request.config.getvalue("reuse_db")
    from django.conf import settings
    from django.db import connections

    own = settings.DATABASES["default"]["TEST"]["NAME"]
    template = _template_name(run)
    lock_path = Path(tempfile.gettempdir()) / f"{template}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with _server("postgres") as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            migrated = cursor.fetchone() is not None
        if not migrated:
            _migrate_template(template)
        with _server("postgres") as conn, conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{own}"')
            cursor.execute(f'CREATE DATABASE "{own}" TEMPLATE "{template}"')

    def drop():
        connections.close_all()
        with _server("postgres") as conn, conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{own}"')

    request.addfinalizer(drop)
    return True


def _controller(config) -> bool:
    """The process that hands tests to xdist workers."""
    return not hasattr(config, "workerinput") and bool(config.getoption("numprocesses", None))


def pytest_sessionfinish(session):
    """The run's template database and demo rows go once the workers are done (in the
    controller)."""
    if not _controller(session.config):
        return
    from tests.demo_data import shared_files

    for path in shared_files(session.config.option.testrunuid):
        path.unlink(missing_ok=True)
    template = _template_name(session.config.option.testrunuid)
    with _server("postgres") as conn, conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{template}"')
    (Path(tempfile.gettempdir()) / f"{template}.lock").unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def eager_celery(request):
    """Tasks run in-process unless a test asks for the real worker (marker ``worker``)."""
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous
    # An eager task sets Celery's process-wide "inside a task" flag and restores what it
    # found: tasks run eagerly by several threads at once can leave it set, and the next
    # test's ``result.get()`` would then be refused as a join inside a task.
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def broker_not_known_away(monkeypatch):
    """Each test starts with no memory of a broker that an earlier test made unreachable."""
    from roadmap_portal.outbox import services as outbox

    monkeypatch.setattr(outbox, "_broker_away_until", 0.0, raising=False)


@pytest.fixture(autouse=True)
def english(request, settings):
    """Tests read the English source texts; browser tests see the Russian default."""
    if request.node.get_closest_marker("browser"):
        yield
        return
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as():
    """``api_as(user)``: an API client authenticated as ``user``."""

    def login(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return login


def _database_url():
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class Worker:
    """A real ``celery worker`` process on the test database and the configured broker."""

    def __init__(self, queue):
        self.queue = queue
        self.process = None

    def start(self, *extra):
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"],
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "roadmap_portal",
                "worker",
                "-Q",
                self.queue,
                "-P",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "warning",
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self):
        if self.process and self.process.stdout and self.process.poll() is not None:
            return self.process.stdout.read().decode(errors="replace")
        return ""


@pytest.fixture
def celery_worker_process(request):
    """Start a real worker on the test database and the Redis broker."""
    queue = f"test-{os.getpid()}-{int(time.time() * 1000)}"
    worker = Worker(queue)
    yield worker
    worker.stop()


def wait_for(predicate, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@contextmanager
def chromium_context(**options):
    """Debian's chromium through Playwright, as a context manager.

    Database work goes before or after the ``with`` block: inside it the ORM would run in
    the event loop's thread and Django refuses that."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    Path("test-results").mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        context = instance.new_context(
            **{
                "locale": "ru-RU",
                "viewport": {"width": 1280, "height": 900},
                "accept_downloads": True,
                **options,
            }
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()
            instance.close()


@pytest.fixture
def browser():
    """``with browser(**context_options) as context:`` opens chromium for one block of the
    test."""
    return chromium_context


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
