from roadmap_portal.api.routers import IdRouter

from . import views

router = IdRouter()
router.register("export-jobs", views.ExportJobViewSet, basename="export-jobs")

urlpatterns = router.urls
