from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token

from . import notification_views, views
from .routers import IdDefaultRouter

router = IdDefaultRouter()
router.register("regions", views.RegionViewSet, basename="regions")
router.register("corporations", views.CorporationViewSet, basename="corporations")
router.register("roadmaps", views.RoadmapViewSet, basename="roadmaps")
router.register("reports", views.ReportViewSet, basename="reports")
router.register("notifications", notification_views.NotificationViewSet, basename="notifications")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    *router.urls,
]
