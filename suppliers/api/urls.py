from roadmap_portal.api.routers import IdRouter

from . import views
from .import_urls import urlpatterns as import_urlpatterns

router = IdRouter()
router.register("suppliers", views.SupplierViewSet, basename="suppliers")
router.register("offers", views.OfferViewSet, basename="offers")

# The import routes come first: "offers/import/" must not be read as an offer's id.
urlpatterns = [*import_urlpatterns, *router.urls]
