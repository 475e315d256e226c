"""The PostgreSQL backend's health check (roadmap_portal/db/postgresql): a connection that
ended a request within CONN_HEALTH_CHECK_BYPASS seconds is reused without the ping; an idle
one is pinged, and one the server dropped is found dead and opened again. What the
connection last sent is read from PostgreSQL itself (pg_stat_activity)."""

import time

import psycopg2
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def _other():
    other = psycopg2.connect(**connection.get_connection_params())
    other.autocommit = True
    return other


def _last_query(pid):
    with _other() as other, other.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def _request(sql):
    """What a request does to the connection: the start signal's check, the first query
    (after its health check), the end signal's check."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute(sql)
    connection.close_if_unusable_or_obsolete()


def test_a_busy_connection_is_not_pinged_an_idle_one_is(settings):
    settings.CONN_HEALTH_CHECK_BYPASS = 0.5
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.close()
    _request("SELECT 'first request'")
    pid = connection.connection.info.backend_pid
    # The next request's first query, right after: no ping before it.
    connection.close_if_unusable_or_obsolete()
    connection.close_if_health_check_failed()
    assert _last_query(pid) == "SELECT 'first request'"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'second request'")
    connection.close_if_unusable_or_obsolete()
    # Idle for longer than the window: pinged.
    time.sleep(0.6)
    connection.close_if_unusable_or_obsolete()
    connection.close_if_health_check_failed()
    assert _last_query(pid) == "SELECT 1"
    connection.close_if_unusable_or_obsolete()


def test_a_connection_the_server_dropped_while_idle_is_opened_again(settings):
    settings.CONN_HEALTH_CHECK_BYPASS = 0.5
    connection.close()
    _request("SELECT 'before'")
    pid = connection.connection.info.backend_pid
    with _other() as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.6)
    _request("SELECT 'after'")  # no error: the ping found it dead, a new one was opened
    assert connection.connection.info.backend_pid != pid
