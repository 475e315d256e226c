import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from roadmap_portal.runtime import settle_collector

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")
application = get_wsgi_application()
# The URL configuration, and with it every view module, is imported now, when the server
# starts a worker, not by the worker's first request (about a second of CPU that request
# waited for).
url_patterns = get_resolver().url_patterns
# What the worker holds now lives as long as it does: out of the collector's way.
settle_collector()
