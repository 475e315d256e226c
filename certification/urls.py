from django.urls import path

from . import bulk_views, views

app_name = "certification"

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("review/<int:pk>/", views.review, name="review"),
    path("review/<int:pk>/requirements/", views.review_requirements, name="review-requirements"),
    path("review/<int:pk>/readiness/", views.review_readiness, name="review-readiness"),
    path("review/<int:pk>/tests/", views.review_test_record, name="review-test-record"),
    path(
        "review/<int:pk>/tests/decision/",
        views.review_tests_decision,
        name="review-tests-decision",
    ),
    path("review/<int:pk>/register/<slug:action>/", views.review_register, name="review-register"),
    path("tests/<int:pk>/protocol/", views.test_protocol, name="test-protocol"),
    path("requirements/", views.requirement_list, name="requirement-list"),
    path("requirements/new/", views.requirement_create, name="requirement-create"),
    path("requirements/<int:pk>/edit/", views.requirement_edit, name="requirement-edit"),
    path("requirements/<int:pk>/active/", views.requirement_toggle, name="requirement-toggle"),
    path("officer/", views.officer_queue, name="officer-queue"),
    path("officer/offers/<int:pk>/certify/", views.certify, name="certify"),
    path("certificates/", views.certificate_list, name="certificate-list"),
    path("certificates/new/", views.certificate_issue, name="certificate-issue"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate-detail"),
    path("certificates/<int:pk>/certify/", views.certificate_certify, name="certificate-certify"),
    path(
        "certificates/<int:pk>/status/<slug:status>/",
        views.certificate_status,
        name="certificate-status",
    ),
    path("certificates/<int:pk>/renew/", views.certificate_renew, name="certificate-renew"),
    path("certificates/<int:pk>/scan/", views.certificate_scan, name="certificate-scan"),
    path("register/", views.register, name="register"),
    path("register/bulk/", bulk_views.register_bulk, name="register-bulk"),
]
