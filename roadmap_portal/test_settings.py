"""Settings of the test suite: the development settings with what only tests want.

Passwords are hashed with a fast hasher (the full-strength one costs about half a second
per user, and the suite makes hundreds of users); e-mail stays in memory. Subprocesses that
a test starts (a Celery worker, gunicorn) inherit ``DJANGO_SETTINGS_MODULE`` and so these
settings too.
"""

import os

# The suite runs four workers, browsers and Celery workers on two cores: a local Redis can
# take longer than production's half second to answer, and a hand-off that timed out would
# leave its work to the sweep. Tests of a frozen or stopped Redis measure with these.
os.environ.setdefault("REDIS_CONNECT_TIMEOUT", "1")
os.environ.setdefault("REDIS_SOCKET_TIMEOUT", "2")

from .settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test process has queues of its own on the shared Redis, and so do the workers it
# starts (they inherit the variable), so parallel tests never take each other's tasks.
TASK_QUEUE_PREFIX = os.environ.setdefault("CELERY_QUEUE_PREFIX", f"test-{os.getpid()}-")
