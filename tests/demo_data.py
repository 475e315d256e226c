"""The demo data for tests, loaded by ``manage.py load_demo`` once per test process and
copied back in afterwards.

``load_demo`` runs the whole pipeline (offers submitted, forwarded, checked, certified,
registered; tenders, bids, contracts): about 5 s of CPU, asked for by some thirty tests,
most of them in browsers. The first call in a process runs the command on an empty
database and keeps what it wrote, table by table (``COPY ... TO STDOUT``, binary); a later
call on an empty database copies the same rows back in one transaction (``COPY ... FROM
STDIN``; Django's foreign keys are deferred to the commit) and moves the sequences past
them: 0.1 s. A database that is not empty gets the real command, as before.

Under pytest-xdist the rows are also written to a file of the run (the workers' databases
are copies of one migrated database, so the rows fit each of them): a worker whose first
call finds the file copies the rows in instead of running the command.

Rows only: what ``load_demo`` sends on the way (e-mails in ``mail.outbox``, tasks) is not
sent again, so a test that reads those clears them and makes its own.
"""

import base64
import io
import json
import os
import tempfile
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

from roadmap_portal.celery import app as celery_app

# Per context: inside a test's transaction the command's after-commit work never runs, in a
# transactional test it does, eagerly or (a test with the real worker) not: the rows differ
# (the outbox's rows relayed or not, the notifications written or not).
_snapshots: dict[tuple[bool, bool], list[tuple[str, str, bytes]]] = {}


def _models():
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _filled(cursor, tables):
    cursor.execute(
        " UNION ALL ".join(f"SELECT %s, EXISTS (SELECT 1 FROM {t})" for t in tables), tables
    )
    return dict(cursor.fetchall())


def _columns(cursor, table):
    """The columns a COPY may write: not the generated ones."""
    cursor.execute(
        "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "AND attgenerated = ''",
        [table],
    )
    return cursor.fetchone()[0]


def load_demo():
    """The demo's rows in the test database, as ``call_command("load_demo")`` leaves them."""
    tables = [connection.ops.quote_name(m._meta.db_table) for m in _models()]
    key = (connection.in_atomic_block, bool(celery_app.conf.task_always_eager))
    with connection.cursor() as cursor:
        before = _filled(cursor, tables)
    snapshot = _snapshots.get(key) or _read_shared(key)
    if snapshot is not None:
        _snapshots[key] = snapshot
    if snapshot is not None and not any(before[table] for table, _, _ in snapshot):
        _restore(snapshot)
        return
    call_command("load_demo", verbosity=0)
    if snapshot is None:
        with connection.cursor() as cursor:
            after = _filled(cursor, tables)
            written = [t for t in tables if after[t] and not before[t]]
            # Tables that held rows before (content types, permissions) are left out: the
            # snapshot is the demo's alone, and only an empty database gets it back.
            if not any(before[t] for t in tables if t not in _SHARED):
                _snapshots[key] = [_copy_out(cursor, table) for table in written]
                _write_shared(key, _snapshots[key])


def shared_files(run: str) -> list[Path]:
    """The files of run ``run`` (pytest-xdist's test run id) that hold the demo's rows."""
    return sorted(Path(tempfile.gettempdir()).glob(f"roadmap-demo-{run[:12]}-*.json"))


def _shared_path(key: tuple[bool, bool]) -> Path | None:
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        return None
    return Path(tempfile.gettempdir()) / f"roadmap-demo-{run[:12]}-{key[0]:d}{key[1]:d}.json"


def _read_shared(key):
    path = _shared_path(key)
    if path is None or not path.exists():
        return None
    return [
        (table, columns, base64.b64decode(data))
        for table, columns, data in json.loads(path.read_text())
    ]


def _write_shared(key, snapshot) -> None:
    """Written whole under another name, then renamed: a reader sees all of it or none."""
    path = _shared_path(key)
    if path is None:
        return
    partial = path.with_suffix(f".{os.getpid()}.partial")
    partial.write_text(
        json.dumps([[t, c, base64.b64encode(data).decode()] for t, c, data in snapshot])
    )
    partial.replace(path)


# Rows every test database has after a flush (Django writes them again after each one).
_SHARED = {'"django_content_type"', '"auth_permission"', '"django_migrations"'}


def _copy_out(cursor, table):
    columns = _columns(cursor, table)
    buffer = io.BytesIO()
    cursor.copy_expert(f"COPY {table} ({columns}) TO STDOUT (FORMAT binary)", buffer)
    return table, columns, buffer.getvalue()


def _restore(snapshot):
    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, data in snapshot:
            cursor.copy_expert(
                f"COPY {table} ({columns}) FROM STDIN (FORMAT binary)", io.BytesIO(data)
            )
        for statement in connection.ops.sequence_reset_sql(no_style(), _models()):
            cursor.execute(statement)
