from django.urls import path

from certification.api.urls import router as certification
from procurement.api.urls import router as procurement
from suppliers.api.urls import router as suppliers

from ..insights import api_views as insights
from ..notifications import api_views as notification_views
from ..search import api_views as search
from . import tokens, views
from .routers import IdDefaultRouter

router = IdDefaultRouter()
router.register("regions", views.RegionViewSet, basename="regions")
router.register("corporations", views.CorporationViewSet, basename="corporations")
router.register("roadmaps", insights.RoadmapViewSet, basename="roadmaps")
router.register("reports", insights.ReportViewSet, basename="reports")
router.register("notifications", notification_views.NotificationViewSet, basename="notifications")
router.register("auth/tokens", tokens.TokenViewSet, basename="api-tokens")


def _api_root():
    """``/api/v1/``: every resource of every app's router, and the OCDS feed."""
    resources = {}
    for each in (router, suppliers, certification, procurement):
        for prefix, _viewset, basename in each.registry:
            resources[prefix] = f"{basename}-list"
    resources["webhooks"] = "webhooks-list"
    resources["ocds/releases"] = "ocds-releases"
    resources["search"] = "api-search"
    return router.APIRootView.as_view(api_root_dict=dict(sorted(resources.items())))


router.include_root_view = False

urlpatterns = [
    path("", _api_root(), name="api-root"),
    path("auth/token/", tokens.ObtainTokenView.as_view(), name="api-token"),
    path("search/", search.SearchView.as_view(), name="api-search"),
    *router.urls,
]
