from rest_framework.routers import SimpleRouter

from .import_urls import urlpatterns as import_urlpatterns

router = SimpleRouter()

# The import routes come first: "offers/import/" must not be read as an offer's id.
urlpatterns = [*import_urlpatterns, *router.urls]
