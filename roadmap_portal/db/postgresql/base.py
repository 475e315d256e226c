"""Django's PostgreSQL backend with a health check that a busy connection skips.

With ``CONN_HEALTH_CHECKS`` Django pings a persistent connection (``SELECT 1``) before the
first query of every request: a round trip of its own on every request, the third of the
queries a 304 made. Here a connection that finished a request without an error less than
``CONN_HEALTH_CHECK_BYPASS`` seconds ago (default 1) is trusted without the ping, as
connection pools do (HikariCP's ``aliveBypassWindowMs``); an idle one is still pinged,
and one found dead is closed and reopened before the request's first query. A server
that drops the connection within the window fails that request's first query, as it
would without health checks, and the connection is closed at the request's end.
"""

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    # time.monotonic() when the connection last ended a request without an error.
    answered_at = None

    def close_if_unusable_or_obsolete(self):
        # Called at a request's start and end; after the request's first query the health
        # check is done, so this is the end of a request that used the connection.
        used = self.health_check_done
        super().close_if_unusable_or_obsolete()
        if self.connection is None or self.errors_occurred:
            self.answered_at = None
        elif used:
            self.answered_at = time.monotonic()

    def close_if_health_check_failed(self):
        bypass = getattr(settings, "CONN_HEALTH_CHECK_BYPASS", 1.0)
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.answered_at is not None
            and time.monotonic() - self.answered_at < bypass
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close(self):
        self.answered_at = None
        super().close()
