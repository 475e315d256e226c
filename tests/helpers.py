"""Shared test helpers: scope checks and query-count baselines."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(func, *args, **kwargs):
    """Run ``func`` and return (result, number of SQL queries it issued)."""
    with CaptureQueriesContext(connection) as ctx:
        result = func(*args, **kwargs)
    return result, len(ctx.captured_queries)


def assert_constant_queries(make_rows, call):
    """The query count of ``call()`` is the same with 1 row and with 50 rows.

    ``make_rows(n)`` creates ``n`` more rows; ``call()`` returns a response or result.
    """
    make_rows(1)
    _, one = count_queries(call)
    make_rows(49)
    _, fifty = count_queries(call)
    assert one == fifty, f"queries grew with rows: {one} for 1 row, {fifty} for 50"
    return one


def assert_scope(
    *,
    url,
    anonymous_client,
    wrong_role=None,
    out_of_scope=None,
    allowed=None,
    method="get",
    data=None,
    allowed_status=200,
):
    """The four answers every endpoint gives: 401/403 anonymous, 403 wrong role,
    404 out of scope, ``allowed_status`` allowed. Each client argument is an API client."""

    def call(client):
        return (
            getattr(client, method)(url, data, format="json")
            if data is not None
            else getattr(client, method)(url)
        )

    response = call(anonymous_client)
    assert response.status_code == 401, (url, "anonymous", response.status_code)
    if wrong_role is not None:
        response = call(wrong_role)
        assert response.status_code == 403, (
            url,
            "wrong role",
            response.status_code,
            response.content[:300],
        )
    if out_of_scope is not None:
        response = call(out_of_scope)
        assert response.status_code == 404, (
            url,
            "out of scope",
            response.status_code,
            response.content[:300],
        )
    if allowed is not None:
        response = call(allowed)
        assert response.status_code == allowed_status, (
            url,
            "allowed",
            response.status_code,
            response.content[:300],
        )
        return response
    return None
