import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roadmap_portal.settings")
application = get_wsgi_application()
# The URL configuration, and with it every view module, is imported now, when the server
# starts a worker, not by the worker's first request (about a second of CPU that request
# waited for).
url_patterns = get_resolver().url_patterns
