"""Settings of the test suite: the development settings with what only tests want.

Passwords are hashed with a fast hasher (the full-strength one costs about half a second
per user, and the suite makes hundreds of users); e-mail stays in memory. Subprocesses that
a test starts (a Celery worker, gunicorn) inherit ``DJANGO_SETTINGS_MODULE`` and so these
settings too.
"""

import os

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Each test process has queues of its own on the shared Redis, and so do the workers it
# starts (they inherit the variable), so parallel tests never take each other's tasks.
TASK_QUEUE_PREFIX = os.environ.setdefault("CELERY_QUEUE_PREFIX", f"test-{os.getpid()}-")
