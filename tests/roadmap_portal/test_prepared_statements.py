"""Statements prepared once per connection (roadmap_portal/db/postgresql/base.py): the token
check and a conditional GET's stamps are parsed and planned by PostgreSQL once, then only
executed. What is prepared is read from PostgreSQL itself (``pg_prepared_statements``)."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken

from roadmap_portal.api.conditional import statements
from roadmap_portal.db.postgresql import base
from tests.factories import OfferFactory, TenderFactory, admin_user

pytestmark = pytest.mark.django_db(transaction=True)


def _prepared():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements ORDER BY prepare_time")
        return [row[0] for row in cursor.fetchall()]


def _run(sql, params):
    """(the rows, the SQL sent) of ``sql`` run through ``execute_prepared``."""
    with CaptureQueriesContext(connection) as sent, connection.cursor() as cursor:
        connection.execute_prepared(cursor, sql, params)
        rows = cursor.fetchall()
    return rows, [query["sql"] for query in sent.captured_queries]


def test_a_statement_is_prepared_once_per_connection():
    connection.close()
    sql = "SELECT %s::int + 1, 'a%%b' LIKE %s"
    rows, sent = _run(sql, [41, "a%"])
    assert rows == [(42, True)]
    assert len(sent) == 1 and sent[0].startswith("PREPARE p_")
    [statement] = _prepared()
    assert "AS SELECT $1::int + 1, 'a%b' LIKE $2" in statement
    rows, sent = _run(sql, [1, "x%"])
    assert rows == [(2, False)]
    assert sent == [sent[0]] and sent[0].startswith("EXECUTE p_") and "(1, 'x%')" in sent[0]
    assert len(_prepared()) == 1
    # A new connection prepares it again.
    connection.close()
    rows, sent = _run(sql, [2, "a%"])
    assert rows == [(3, True)]
    assert sent[0].startswith("PREPARE p_")


def test_sql_postgresql_cannot_prepare_runs_as_it_is():
    connection.close()
    sql = "SELECT %s IS NULL"  # no type PostgreSQL can tell for the parameter
    rows, sent = _run(sql, [None])
    assert rows == [(True,)]
    assert sent[-1] == "SELECT NULL IS NULL"
    assert sql in connection.unpreparable
    rows, sent = _run(sql, [1])
    assert (rows, sent) == ([(False,)], ["SELECT 1 IS NULL"])
    assert _prepared() == []


def test_within_a_transaction_only_a_prepared_statement_is_executed():
    connection.close()
    first, second = "SELECT %s::int", "SELECT %s::int * 2"
    _run(first, [1])
    with transaction.atomic():
        rows, sent = _run(first, [5])
        assert rows == [(5,)] and sent[0].startswith("EXECUTE p_")
        # Not yet prepared: plain SQL, so that no failed PREPARE can abort the transaction.
        rows, sent = _run(second, [5])
        assert (rows, sent) == ([(10,)], ["SELECT 5::int * 2"])
    assert len(_prepared()) == 1


def test_turned_off_every_statement_runs_as_it_is(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    connection.close()
    rows, sent = _run("SELECT %s::int", [7])
    assert (rows, sent) == ([(7,)], ["SELECT 7::int"])
    assert _prepared() == []


def test_a_statement_whose_table_changed_shape_is_prepared_again():
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE shaped (a int)")
        cursor.execute("INSERT INTO shaped VALUES (1)")
    sql = "SELECT * FROM shaped WHERE a = %s"
    assert _run(sql, [1])[0] == [(1,)]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE shaped ADD COLUMN b int DEFAULT 2")
    rows, sent = _run(sql, [1])
    assert rows == [(1, 2)]
    assert sent[0].startswith("EXECUTE p_") and sent[-1].startswith("PREPARE p_")


def test_past_its_most_a_connection_releases_its_statements(monkeypatch):
    monkeypatch.setattr(base, "PREPARED_MOST", 2)
    connection.close()
    for n in range(3):
        _run(f"SELECT %s::int + {n}", [n])
    assert len(_prepared()) == len(connection.prepared) == 1


def _token_headers():
    _token, key = AuthToken.objects.create(user=admin_user())
    return {"Authorization": f"Token {key}", "Accept": "application/json"}


def _304_again(client, url):
    """The SQL sent for the second of two conditional GETs of ``url`` (each a 304), on a
    new connection."""
    headers = _token_headers()
    connection.close()
    etag = client.get(url, headers=headers)["ETag"]
    for _ in range(2):
        with CaptureQueriesContext(connection) as sent:
            response = client.get(url, headers={**headers, "If-None-Match": etag})
        assert response.status_code == 304
    return [query["sql"] for query in sent.captured_queries]


def test_a_304_runs_the_token_check_and_the_stamps_as_prepared_statements(client):
    offer = OfferFactory()
    statements.clear()
    sent = _304_again(client, f"/api/v1/offers/{offer.pk}/")
    assert [sql.split(" ", 1)[0] for sql in sent] == ["EXECUTE", "EXECUTE"]
    # The token check, the row's statement (the GET that took the ETag) and the stamps.
    assert len(_prepared()) == 3


def test_rows_asked_for_one_after_another_run_one_prepared_statement(client):
    offers = [OfferFactory(unit_price=Decimal(n)) for n in range(1, 4)]
    headers = _token_headers()
    connection.close()
    bodies = []
    for offer in offers:
        with CaptureQueriesContext(connection) as sent:
            bodies.append(client.get(f"/api/v1/offers/{offer.pk}/", headers=headers).json())
        verbs = [query["sql"].split(" ", 1)[0] for query in sent]
        # The token check and the row: prepared by the first request, executed after.
        assert verbs == (["PREPARE", "PREPARE"] if offer is offers[0] else ["EXECUTE", "EXECUTE"])
    assert [(b["id"], b["unit_price"]) for b in bodies] == [
        (offer.pk, f"{offer.unit_price:.2f}") for offer in offers
    ]
    assert len(_prepared()) == 2
    assert client.get(f"/api/v1/offers/{offers[-1].pk + 100}/", headers=headers).status_code == 404
    assert client.get("/api/v1/offers/abc/", headers=headers).status_code == 404
    assert client.get(f"/api/v1/offers/{10**30}/", headers=headers).status_code == 404


@pytest.mark.parametrize("url", ["/api/v1/register/", "/api/v1/offers/", "/api/v1/tenders/"])
def test_first_cursor_pages_read_through_prepared_statements_give_the_same_answers(
    client, settings, url
):
    from tests.procurement.conftest import register

    for _ in range(4):
        register(OfferFactory())
    TenderFactory.create_batch(4)
    headers = _token_headers()

    def pages():
        answers, link = [], f"{url}?mode=cursor&page_size=2"
        while link:
            with CaptureQueriesContext(connection) as sent:
                body = client.get(link, headers=headers).json()
            answers.append((body, [query["sql"].split(" ", 1)[0] for query in sent]))
            link = body["next"]
        return answers

    connection.close()
    settings.DATABASE_PREPARED_STATEMENTS = False
    plain = pages()
    settings.DATABASE_PREPARED_STATEMENTS = True
    first, again = pages(), pages()
    assert [body for body, _ in first] == [body for body, _ in again] == [b for b, _ in plain]
    assert len(plain) >= 2 and all("EXECUTE" not in sent for _, sent in plain)
    # The first page prepared once, executed after (with the token check, prepared too);
    # the pages after a position as they are.
    assert "PREPARE" in first[0][1] and again[0][1].count("EXECUTE") == 2
    for _, sent in first[1:] + again[1:]:
        assert "PREPARE" not in sent and sent.count("EXECUTE") == 1 and "SELECT" in sent


def test_a_lists_counts_keep_plans_of_their_own(client):
    """A list's stamps count rows under its filters: planned for their values each time."""
    OfferFactory.create_batch(3)
    token_check, stamps = _304_again(client, "/api/v1/offers/?status=draft")
    assert token_check.startswith("EXECUTE p_")
    assert stamps.startswith("SELECT ") and "count(*)" in stamps
