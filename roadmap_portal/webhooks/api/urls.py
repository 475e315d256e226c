from roadmap_portal.api.routers import IdRouter

from . import views

router = IdRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhooks")
router.register(
    r"webhooks/(?P<endpoint_pk>\d+)/deliveries",
    views.WebhookDeliveryViewSet,
    basename="webhook-deliveries",
)

urlpatterns = router.urls
