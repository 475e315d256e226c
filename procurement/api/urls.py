from django.urls import path

from roadmap_portal.api.routers import IdRouter

from . import views

router = IdRouter()
router.register("demands", views.DemandViewSet, basename="demands")
router.register("tenders", views.TenderViewSet, basename="tenders")
router.register("bids", views.BidViewSet, basename="bids")
router.register("contracts", views.ContractViewSet, basename="contracts")

urlpatterns = [
    path("ocds/releases/", views.OcdsReleasePackageView.as_view(), name="ocds-releases"),
    path(
        "ocds/extension/<str:name>",
        views.OcdsExtensionFileView.as_view(),
        name="ocds-extension",
    ),
    *router.urls,
]
