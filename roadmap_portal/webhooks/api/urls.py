from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhooks")
router.register(
    r"webhooks/(?P<endpoint_pk>\d+)/deliveries",
    views.WebhookDeliveryViewSet,
    basename="webhook-deliveries",
)

urlpatterns = router.urls
