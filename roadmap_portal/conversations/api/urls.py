from roadmap_portal.api.routers import IdRouter

from . import views

router = IdRouter()
router.register(
    r"offers/(?P<offer_pk>\d+)/messages", views.OfferMessageViewSet, basename="offer-messages"
)

urlpatterns = router.urls
