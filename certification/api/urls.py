from roadmap_portal.api.routers import IdRouter

from . import views

router = IdRouter()
router.register("requirements", views.RequirementViewSet, basename="requirements")
router.register("requirement-checks", views.RequirementCheckViewSet, basename="requirement-checks")
router.register(
    "readiness-evaluations", views.ReadinessEvaluationViewSet, basename="readiness-evaluations"
)
router.register("tests", views.ProductTestViewSet, basename="tests")
router.register("certificates", views.CertificateViewSet, basename="certificates")
router.register("register", views.RegisterEntryViewSet, basename="register")
router.register("review-queue", views.ReviewQueueViewSet, basename="review-queue")

urlpatterns = router.urls
